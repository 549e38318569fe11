"""The type check: mypy over src/ with the configuration in pyproject.toml.

A test rather than a separate step of the test command, so that a type error fails the run
the same way a failing test does and shows mypy's own report in pytest's summary.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10; mypy depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def test_mypy_passes():
    completed = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT,
                               capture_output=True, text=True)
    output = completed.stdout + completed.stderr
    assert "No module named mypy" not in output, "mypy is not installed: pip install -e '.[dev]'"
    assert completed.returncode == 0 and "unused section" not in output, output


def test_strict_override_has_every_flag_of_mypy_strict():
    """`strict = true` is global-only in mypy, so the override lists `--strict`'s flags."""
    from mypy.main import define_options
    from mypy.options import PER_MODULE_OPTIONS

    _, _, strict_flags = define_options()
    config = _mypy_config()
    [strict] = [o for o in config["overrides"] if "lsrules.engine.*" in o["module"]]
    for name, value in strict_flags:
        section = strict if name in PER_MODULE_OPTIONS else config
        assert section.get(name) == value, f"{name} = {str(value).lower()} missing"
