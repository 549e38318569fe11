"""The code generator itself keeps user text out of the generated source, even for a model
the loader would have refused (rule ids, descriptions and messages arrive only as `repr`s):
the loader's checks and the generator's are two walls, not one."""
from __future__ import annotations

import dataclasses

from lsrules.engine.compiling import compile_everything
from lsrules.engine.engine import check_and_load

HOSTILE = ("x\n_get.__globals__['__builtins__']['__import__']('pathlib').Path('PWNED')"
           ".write_text('x')\ndef _f(state):")


def test_a_hostile_id_and_description_stay_literals(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "r.yaml"
    path.write_text("ruleset: r\nrules:\n  - id: r\n    for: region\n    assert: 'false'\n")
    ruleset, diagnostics = check_and_load(path)
    assert diagnostics == []
    ruleset.rules = [dataclasses.replace(ruleset.rules[0], id=HOSTILE, description=HOSTILE)]
    namespace = compile_everything(ruleset)
    assert not (tmp_path / "PWNED").exists()
    source = namespace["__source__"]
    assert repr(HOSTILE) in source
    assert not any(line.startswith("_get.") for line in source.splitlines())
