"""This checkout against a baseline commit, in one run: the baseline's `src/` and `schemas/`
extracted with `git archive`, each side a fresh process (its own imports, no shared caches),
the two alternated round by round so that a change in the machine's load hits both alike.

Each benchmark script runs itself with `--worker --annotations N` as a side and prints its
findings as JSON on the last line, with `"lsrules"` naming the package it imported.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def extract(revision: str, directory: Path) -> Path:
    """The baseline's `src/` (and the `schemas/` its package links to) under `directory`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src", "schemas"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return directory / "src"


def side(script: str, source: Path, annotations: int) -> Any:
    """One run of `script --worker` with `source` as lsrules; its JSON result."""
    environment = dict(os.environ, PYTHONPATH=f"{source}{os.pathsep}{ROOT / 'bench'}",
                       LSRULES_NO_CACHE="1")
    output = subprocess.run([sys.executable, script, "--worker", "--annotations",
                             str(annotations)], env=environment, check=True,
                            capture_output=True, text=True).stdout
    found = json.loads(output.splitlines()[-1])
    assert found["lsrules"].startswith(str(source)), found["lsrules"]
    return found


def alternate(script: str, revision: str, annotations: int,
              rounds: int) -> dict[str, list[Any]]:
    """`rounds` results of each side, "baseline" and "current", run in alternating order."""
    results: dict[str, list[Any]] = {"baseline": [], "current": []}
    with tempfile.TemporaryDirectory() as temporary:
        sources = {"baseline": extract(revision, Path(temporary)), "current": ROOT / "src"}
        for number in range(rounds):
            order = ["baseline", "current"] if number % 2 == 0 else ["current", "baseline"]
            for name in order:
                results[name].append(side(script, sources[name], annotations))
    return results
