"""The pre-commit hook, as a user's repository runs it: `pre-commit try-repo` on a sample one.

pre-commit installs lsrules from this repository into a fresh virtual environment (the
`language: python` hook: pip, from the package index), so this test needs the network the
first time; it takes about a minute.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _git(repository: Path, *arguments: str) -> None:
    subprocess.run(["git", *arguments], cwd=repository, check=True, capture_output=True,
                   timeout=60)


@pytest.fixture(scope="module")
def try_repo(tmp_path_factory):
    """Run the lsrules-check hook of this repository on the staged files of a sample one."""
    try:
        import pre_commit  # noqa: F401
    except ModuleNotFoundError:
        pytest.fail("pre-commit is missing: pip install -e '.[dev]'")
    home = tmp_path_factory.mktemp("pre-commit-home")
    sample = tmp_path_factory.mktemp("sample")
    _git(sample, "init", "-q")
    _git(sample, "config", "user.email", "test@example.com")
    _git(sample, "config", "user.name", "test")
    environment = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    environment.pop("PYTHONPATH", None)  # the hook's own install of lsrules, not this tree's

    def run(*files: str) -> subprocess.CompletedProcess:
        _git(sample, "add", "-A")
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT),
                               "lsrules-check", "--files", *files], cwd=sample,
                              env=environment, capture_output=True, text=True, timeout=900)

    return sample, run


def test_the_hook_passes_a_good_ruleset_and_fails_a_bad_one(try_repo):
    sample, run = try_repo
    shutil.copy(ROOT / "rulesets" / "vehicles.yaml", sample / "vehicles.yaml")
    shutil.copy(ROOT / "rulesets" / "vehicles.xml", sample / "vehicles.xml")
    (sample / "other.yaml").write_text("not: a ruleset\n")  # passed over, not failed
    good = run("vehicles.yaml", "other.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "lsrules check" in good.stdout and "Passed" in good.stdout

    text = (sample / "vehicles.yaml").read_text()
    assert "annotation.lead_time" in text
    (sample / "broken.yaml").write_text(text.replace("annotation.lead_time",
                                                     "annotation.lead_tme", 1))
    bad = run("vehicles.yaml", "broken.yaml", "other.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "broken.yaml:" in bad.stdout
    assert "error LSR112" in bad.stdout
