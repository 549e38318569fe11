"""What goes to a person's terminal: colour, and how much to say.

Colour only on a terminal, never in a pipe or a file, and never when `NO_COLOR` is set
(https://no-color.org) or `TERM=dumb`; CI logs and redirected output stay plain text.
`--quiet` says only what is wrong; `--verbose` also says what was fine.
"""
from __future__ import annotations

import argparse
import os
from typing import TextIO

_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36",
          "bold": "1", "dim": "2"}
SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}
VERDICT_COLOURS = {"accept": "green", "fixed": "cyan", "review": "yellow", "reject": "red"}


def colour_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR", "") != "" or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Painter:
    """`paint(text, "red")`: the text in colour when enabled, else unchanged."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, colour: str | None) -> str:
        if not self.enabled or colour is None or colour not in _CODES:
            return text
        return f"\x1b[{_CODES[colour]}m{text}\x1b[0m"


def add_verbosity_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quiet", "-q", action="store_true",
                       help="say only what is wrong (no summary, no progress)")
    group.add_argument("--verbose", "-v", action="store_true",
                       help="also say what was fine")
