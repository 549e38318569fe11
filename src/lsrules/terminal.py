"""What goes to a person's terminal: colour, how much to say, and text made safe to print.

Colour only on a terminal, never in a pipe or a file, and never when `NO_COLOR` is set
(https://no-color.org) or `TERM=dumb`; CI logs and redirected output stay plain text.
`--quiet` says only what is wrong; `--verbose` also says what was fine.

Ids, labels, messages, test names, file names and error messages can come from a pull
request or an annotator. Printed raw, an escape sequence (`\\x1b]...`, `\\x9b...`) could
rewrite the terminal or a CI log, a bidirectional control could make a line read as
something else, and a lone surrogate would stop the output with an encoding error. Every
line lsrules prints for people passes such text through `visible` (before any colour is
added); JSON, SARIF and the other machine formats escape by their own rules.
"""
from __future__ import annotations

import argparse
import os
import re
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


# C0 and C1 controls, DEL, the bidirectional controls, lone surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """`text` as a string whose control characters are written as `\\x1b`, `\\u202e`..."""
    return _UNSAFE.sub(_escape, str(text))


def one_line(text: object) -> str:
    """`visible`, with every run of whitespace (newlines included) one space."""
    return visible(" ".join(str(text).split()))
