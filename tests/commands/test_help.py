"""Every option and argument of every command says what it does in `--help`."""
from __future__ import annotations

import argparse

import pytest

from lsrules.cli import COMMANDS, build_parser
from lsrules.options import sub_parsers


def undocumented(parser: argparse.ArgumentParser, label: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += undocumented(sub, f"{label} {name}")
        elif not action.help and action.help != argparse.SUPPRESS:
            missing.append(f"{label} {'/'.join(action.option_strings) or action.dest}")
    return missing


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_has_help(command):
    parser = build_parser(command, [command, "--isolated"])
    assert undocumented(sub_parsers(parser)[command], command) == []
