"""`lsrules schema`, and the one-line install hint of the service's commands without their extra."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lsrules.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("which, file", [(None, "ruleset"), ("decision", "decision"),
                                         ("project", "project")])
def test_schema_prints_the_schema_check_uses(capsys, which, file):
    assert main(["schema", *([which] if which else [])]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == json.loads((ROOT / "schemas" / f"{file}.schema.json").read_text())


# Runs the CLI with the labelstudio extra's modules made unimportable, as in an install
# without the extra.
_WITHOUT_EXTRA = """
import sys
from importlib.abc import MetaPathFinder

class Missing(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"starlette", "uvicorn", "label_studio_sdk", "httpx"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Missing())
from lsrules.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("arguments", [["serve", "--help"], ["connect", "--help"],
                                       ["sync", "r.yaml", "--project", "1"],
                                       ["audit", "--help"]])
def test_service_commands_without_the_extra_say_how_to_install_it(tmp_path, arguments):
    done = subprocess.run([sys.executable, "-c", _WITHOUT_EXTRA, *arguments], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"`lsrules {arguments[0]}` needs the labelstudio extra" in done.stderr
    assert "pip install 'lsrules[labelstudio]'" in done.stderr


def test_core_commands_work_without_the_extra(tmp_path):
    done = subprocess.run([sys.executable, "-c", _WITHOUT_EXTRA, "check",
                           str(ROOT / "rulesets" / "vehicles.yaml")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "0 errors" in done.stdout
