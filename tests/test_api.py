"""The Python API as docs/api.md promises it: every name `lsrules` exports is documented and
importable, importing `lsrules` stays light, and one engine may judge from several threads."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import lsrules

ROOT = Path(__file__).resolve().parents[1]


def record_without_time(decision: lsrules.Decision) -> dict:
    record = decision.to_dict()
    del record["audit"]["time"], record["audit"]["duration_us"]
    return record


@pytest.mark.parametrize("name", sorted(set(lsrules.__all__) - {"__version__"}))
def test_every_export_says_what_it_is(name):
    exported = getattr(lsrules, name)
    assert exported.__doc__ and len(exported.__doc__.split()) >= 5, name


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="Engin"):
        lsrules.Engin  # noqa: B018 - the lookup is the test


def test_importing_lsrules_imports_neither_the_engine_nor_its_compiler():
    """`lsrules check` starts by importing the package: the engine comes only with `load`."""
    script = ("import sys, lsrules; print(sorted(m for m in sys.modules "
              "if m.startswith(('lsrules.engine', 'lsrules.dsl', 'lark'))))")
    imported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True).stdout
    assert imported.strip() == "[]"


def test_version_prints_the_packages_version():
    completed = subprocess.run([sys.executable, "-m", "lsrules.cli", "--version"],
                               capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == f"lsrules {lsrules.__version__}"


def test_one_engine_judges_alike_from_several_threads():
    """Engine's docstring: evaluate may run in several threads at once. Each thread judges
    the whole sample export many times over; every record matches the one-thread run."""
    engine = lsrules.load(ROOT / "rulesets" / "vehicles.yaml")
    tasks = json.loads((ROOT / "rulesets" / "samples" / "vehicles-export.json").read_text())
    pairs = [(task, annotation) for task in tasks for annotation in task["annotations"]]
    alone = [record_without_time(engine.evaluate(task, annotation)) for task, annotation in pairs]

    def judge_all(_: int) -> list:
        return [record_without_time(engine.evaluate(task, annotation))
                for _ in range(5) for task, annotation in pairs]

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads change hands mid-evaluation, not once per batch
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(judge_all, range(8)))
    finally:
        sys.setswitchinterval(switching)
    for records in results:
        assert records == alone * 5
