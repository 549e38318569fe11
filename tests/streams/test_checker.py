"""lsrules.ruleset.stream_checker: stream-only names, literal windows, bounds, ids, stream tests."""
from __future__ import annotations

import pytest

from lsrules.engine.engine import check_and_load
from tests.streams.helpers import HEAD, write_ruleset

BASE = """\
- id: watched
  when: {when}
"""

# (the `when` of a stream rule, the code, the text the column must point at)
WHEN_MISTAKES = [
    ('count(e.annotation.lead_time < 2 for e in window("10 minutes")) > 1', "LSR141",
     '"10 minutes"'),
    ("all(e.verdict == 'reject' for e in last(0))", "LSR141", "0"),
    ("annotation.lead_time < 2", "LSR143", "annotation"),
    ("len(regions) > 0", "LSR143", "regions"),
    ("any(e.annotation.result == [] for e in events)", "LSR144", "result"),
    ("any(e.task.data.text == '' for e in events)", "LSR144", "data"),
    ("any(e.annotation.lead_tme < 2 for e in events)", "LSR112", "lead_tme"),
    ("any(e.verdct == 'reject' for e in events)", "LSR112", "verdct"),
    ("windw('1m') == []", "LSR111", "windw"),
]


@pytest.mark.parametrize("when, code, at", WHEN_MISTAKES, ids=[m[1] + " " + m[2] for m in WHEN_MISTAKES])
def test_mistakes_in_stream_rules_point_at_their_place(tmp_path, when, code, at):
    path = write_ruleset(tmp_path, BASE.format(when=f'"{when}"' if '"' not in when else f"'{when}'"))
    _, diagnostics = check_and_load(path)
    text = path.read_text()
    position = text.index(at, text.index("when:"))
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    assert [f"{d.location.line}:{d.location.column} {d.code}" for d in diagnostics] == [
        f"{line}:{column} {code}"], [str(d) for d in diagnostics]


def test_a_window_longer_than_what_is_kept(tmp_path):
    path = write_ruleset(tmp_path, """\
        - id: watched
          window: 1h
          when: count(e.verdict == "reject" for e in window("2h")) > 3
        """)
    _, diagnostics = check_and_load(path)
    assert [d.code for d in diagnostics] == ["LSR142"]


@pytest.mark.parametrize("expression", ['len(window("1m")) > 2', "len(events) > 1",
                                        "event.verdict == 'reject'"])
def test_stream_names_outside_streams_are_explained(tmp_path, expression):
    path = tmp_path / "plain.yaml"
    path.write_text(HEAD + f"  - id: misplaced\n    when: {expression}\n")
    _, diagnostics = check_and_load(path)
    assert [d.code for d in diagnostics] == ["LSR140"]
    assert "only in stream rules" in diagnostics[0].message


def test_ids_routes_and_stream_tests_are_checked(tmp_path):
    path = write_ruleset(tmp_path, """\
        - id: one-label
          when: true
        - id: streak
          when: all(e.verdict == "reject" for e in last(3))
          route: reveiw
        """, tests="""\
        - name: expects a rule that is not a stream rule
          events: [{annotation: {id: 1}}]
          expect: {fired: [streek], verdict: reject}
        """)
    _, diagnostics = check_and_load(path)
    assert sorted(d.code for d in diagnostics) == ["LSR145", "LSR146", "LSR147", "LSR147"]
    assert any(d.suggestion == "review" for d in diagnostics)
    assert any(d.suggestion == "streak" for d in diagnostics)


def test_a_stream_test_counts_its_findings(tmp_path):
    """`findings: [...]` (the findings themselves) is for one annotation's tests only."""
    path = write_ruleset(tmp_path, """\
        - id: streak
          when: all(e.verdict == "reject" for e in last(3))
        """, tests="""\
        - name: lists findings
          events: [{annotation: {id: 1}}]
          expect: {findings: [{rule: streak}]}
        """)
    _, diagnostics = check_and_load(path)
    assert [d.code for d in diagnostics] == ["LSR147"]
    assert "is a number" in diagnostics[0].message
