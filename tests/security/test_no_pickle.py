"""Nothing lsrules runs unpickles anything: no module imports a pickle-like codec, and
parsing reads no file from the temp dir (Lark's `cache=True` unpickled one there, at a
name anyone could compute, so another user of the machine could plant it)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "lsrules"
CODECS = re.compile(r"^\s*(?:import|from)\s+(pickle|cPickle|_pickle|marshal|shelve|dill|"
                    r"cloudpickle|joblib)\b|\bcache\s*=\s*True", re.MULTILINE)


def test_no_module_imports_a_pickle_codec():
    found = [f"{path.relative_to(SOURCE)}: {match.group(0).strip()}"
             for path in sorted(SOURCE.rglob("*.py"))
             for match in CODECS.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


PROBE = """
import pickle, sys
def refuse(*args, **kwargs):
    raise SystemExit("lsrules unpickled something")
pickle.load = pickle.loads = pickle.Unpickler = refuse
from lsrules.dsl.parser import parse
assert parse("region.x > 1 and not x").operator == "and"
"""


def test_parsing_reads_and_writes_nothing_in_the_temp_dir(tmp_path):
    environment = dict(os.environ, TMPDIR=str(tmp_path), TEMP=str(tmp_path), TMP=str(tmp_path))
    for _ in range(2):  # the second process would read what the first wrote
        completed = subprocess.run([sys.executable, "-c", PROBE], env=environment,
                                   capture_output=True, text=True)
        assert completed.returncode == 0, completed.stderr
    assert sorted(os.listdir(tmp_path)) == []
