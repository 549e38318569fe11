"""Colour on a terminal only (never in a pipe, never with NO_COLOR); --quiet and --verbose."""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from lsrules.cli import main

ROOT = Path(__file__).resolve().parents[2]
BROKEN = "ruleset: broken\nrules:\n  - id: typo\n    assert: annotation.lead_tme > 1\n"


def _on_a_terminal(arguments: list[str], cwd: Path, **environment: str) -> str:
    """Run the CLI with its standard output on a pseudo-terminal; what it wrote."""
    leader, follower = pty.openpty()
    env = {**os.environ, **environment}
    env.pop("NO_COLOR", None) if "NO_COLOR" not in environment else None
    process = subprocess.Popen([sys.executable, "-m", "lsrules.cli", *arguments], cwd=cwd,
                               stdout=follower, stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.fixture
def broken(tmp_path) -> Path:
    (tmp_path / "broken.yaml").write_text(BROKEN)
    return tmp_path


def test_check_is_coloured_on_a_terminal(broken):
    out = _on_a_terminal(["check", "broken.yaml"], broken)
    assert "\x1b[31merror\x1b[0m" in out and "LSR112" in out


def test_no_colour_with_no_color_or_in_a_pipe(broken, capsys):
    out = _on_a_terminal(["check", "broken.yaml"], broken, NO_COLOR="1")
    assert "\x1b[" not in out and "error LSR112" in out
    piped = subprocess.run([sys.executable, "-m", "lsrules.cli", "check", "broken.yaml"],
                           cwd=broken, capture_output=True, text=True, timeout=60,
                           env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
    assert "\x1b[" not in piped.stdout and "error LSR112" in piped.stdout


def test_check_quiet_and_verbose(broken, capsys):
    assert main(["check", "-q", str(ROOT / "rulesets" / "ner.yaml")]) == 0
    assert capsys.readouterr().out == ""
    assert main(["check", "-q", str(broken / "broken.yaml")]) == 1
    out = capsys.readouterr().out
    assert "LSR112" in out and "Found" not in out
    assert main(["check", "-v", str(ROOT / "rulesets" / "ner.yaml")]) == 0
    out = capsys.readouterr().out
    assert '" passed' in out and "checked " in out and out.rstrip().splitlines()[-1].startswith("Found")


def test_test_quiet_shows_only_failures(capsys):
    assert main(["test", "-q", str(ROOT / "rulesets" / "ner.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [out.splitlines()[-1]] and out.endswith("0 failed\n")
