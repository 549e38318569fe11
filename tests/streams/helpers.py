"""Small builders for stream tests: rulesets with `streams:` and annotations with times."""
from __future__ import annotations

import textwrap
from pathlib import Path

from lsrules.engine.engine import check_and_load

HEAD = """\
ruleset: streams-under-test
routes:
  review: {priority: 10}
rules:
  - id: one-label
    assert: len(regions) == 1
"""


def write_ruleset(tmp_path: Path, streams: str, tests: str = "") -> Path:
    text = HEAD + "streams:\n" + textwrap.indent(textwrap.dedent(streams), "  ")
    if tests:
        text += "tests:\n" + textwrap.indent(textwrap.dedent(tests), "  ")
    path = tmp_path / "streams.yaml"
    path.write_text(text)
    return path


def load_checked(path: Path):
    ruleset, diagnostics = check_and_load(path)
    errors = [d for d in diagnostics if d.severity == "error"]
    assert not errors, [str(d) for d in errors]
    return ruleset


def annotation(number: int, who, seconds: float, label: str = "A", lead: float = 10,
               task=None) -> tuple[dict, dict]:
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(int(minutes), 60)
    created = f"2024-05-0{1 + hours // 24}T{hours % 24:02d}:{minute:02d}:{second:06.3f}Z"
    result = [{"id": "r", "type": "choices", "from_name": "c", "to_name": "t",
               "value": {"choices": [label]}}]
    task = {"id": task if task is not None else 1000 + number}
    return task, {"id": number, "task": task["id"], "completed_by": who, "lead_time": lead,
                  "created_at": created, "result": result}
