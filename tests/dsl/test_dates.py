"""Date and time functions: ISO 8601 text read the same way everywhere, no clock."""
from __future__ import annotations

import datetime
import os
import time

import pytest

from lsrules.dsl import dates
from lsrules.dsl.builtins import DATES

from .support import HEADER, load, value

CREATED = "2024-05-01T10:22:33.123456Z"


@pytest.mark.parametrize("expression, expected", [
    ('timestamp("1970-01-02")', 86400),
    ('timestamp("2024-05-01T10:22:33.5Z")', 1714558953.5),
    ('timestamp("2024-05-01T10:22:33.123456789Z")', 1714558953.123456),  # microseconds
    ('timestamp("2024-05-01T12:00:00+02:00") == timestamp("2024-05-01T10:00Z")', True),
    ('timestamp("2024-05-01T12:00+0200") == timestamp("2024-05-01 10:00")', True),  # no offset: UTC
    ('timestamp("2024-05")', 1714521600),  # reduced precision: the first instant
    ('date("2024-05-01T23:30:00-02:00")', "2024-05-02"),  # the UTC date
    ('date("2024-05-01")', "2024-05-01"),
    ('days_between("2024-02-28", "2024-03-01")', 2),  # a leap year
    ('days_between("2024-03-01T00:10Z", "2024-02-29T23:50Z")', -1),  # calendar days
    ('seconds_between("2024-05-01T10:00Z", "2024-05-01T09:59:30Z")', -30),
    ('seconds_between("2024-05-01", null)', None),
    ('year("2024")', 2024),
    ('month("2024-12-31T23:00-02:00")', 1),  # already next year in UTC
    ('day("2024-05-31")', 31),
    ('hour("2024-05-01 07:05")', 7),
    ('weekday("2024-05-04")', 6),  # a Saturday
    ('weekday("2024-05-06T00:00Z")', 1),
    # dates in this form compare as text
    ('date("2024-05-01T10:00Z") < date("2024-11-01")', True),
])
def test_date_functions(expression, expected):
    assert value(expression) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "10:22", 1714558953, "2024-05-01T10:22Z x",
                                  "2024-05-01T10:22+24:00", None, ["2024-05-01"]])
def test_what_is_no_date_is_null(text):
    """A time without a date, an impossible day, a number: no instant."""
    task = {"id": 1, "data": {"when": text}}
    assert [value(f"{name}(task.data.when)", task=task) for name in sorted(DATES)
            if name not in ("seconds_between", "days_between")] == [None] * 7
    assert value('days_between(task.data.when, "2024-05-01")', task=task) is None


def test_created_at_as_label_studio_writes_it():
    from lsrules.engine.evaluation import Evaluation

    from .support import compile_rules
    engine = compile_rules("  - id: probe\n    assert: "
                           "seconds_between(annotation.created_at, annotation.updated_at)\n")
    annotation = {"id": 2, "created_at": CREATED, "updated_at": "2024-05-02T09:00:00.5Z",
                  "result": []}
    state = Evaluation(engine, {"id": 1, "data": {}}, annotation, None)
    assert engine.namespace["trace_0"](state, None)[2] == 81447.376544


def test_no_time_zone_of_the_machine_changes_anything():
    before = [dates.timestamp("2024-05-01T10:22"), dates.date("2024-05-01T23:30"),
              dates.hour("2024-05-01T10:22")]
    saved = os.environ.get("TZ")
    try:
        os.environ["TZ"] = "Pacific/Kiritimati"  # UTC+14
        time.tzset()
        assert [dates.timestamp("2024-05-01T10:22"), dates.date("2024-05-01T23:30"),
                dates.hour("2024-05-01T10:22")] == before == [1714558920, "2024-05-01", 10]
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_every_instant_is_what_python_reads():
    """The parser agrees with Python's own ISO reader on the texts both take."""
    for text in ("2024-05-01", "2024-05-01T10:22", "2024-05-01T10:22:33", "2024-05-01T10:22:33Z",
                 "2024-05-01T10:22:33.250+05:30", "1999-12-31T23:59:59-08:00"):
        expected = datetime.datetime.fromisoformat(text)
        if expected.tzinfo is None:
            expected = expected.replace(tzinfo=datetime.timezone.utc)
        assert dates.instant(text) == expected


def test_long_text_is_no_date():
    assert dates.instant("2024-05-01" + " " * 100) is None


@pytest.mark.parametrize("expression", [
    'timestamp("2024-13-01") > 0',
    'days_between("2024-01-01", "yesterday") > 0',
])
def test_a_literal_that_is_no_date_is_reported(expression):
    _, diagnostics = load(HEADER + f"rules:\n  - id: a\n    assert: '{expression}'\n")
    assert [d.code for d in diagnostics] == ["LSR114"]
    assert "is not an ISO 8601 date" in diagnostics[0].message


def test_a_number_is_no_date_argument():
    _, diagnostics = load(HEADER + "rules:\n  - id: a\n    assert: year(2024) > 0\n")
    assert [d.code for d in diagnostics] == ["LSR114"]


@pytest.mark.parametrize("expression, expected", [
    ('timestamp("01.05.2024", "%d.%m.%Y")', 1714521600),
    ('date("01.05.2024 23:10", "%d.%m.%Y %H:%M")', "2024-05-01"),
    ('date("2024-05-01T23:10-0200", "%Y-%m-%dT%H:%M%z")', "2024-05-02"),  # to UTC
    ('timestamp("2024/05/01", "%Y/%m/%d") == timestamp("2024-05-01")', True),
    ('timestamp(task.data.text, "%d.%m.%Y")', None),  # does not read as the format
    ('timestamp("01.05.2024", task.data.zero)', None),  # a format that is no text
    ('timestamp("01.05.2024", task.data.month_name)', None),  # a locale's directive
])
def test_a_format_reads_what_a_datetime_control_with_one_writes(expression, expected):
    task = {"id": 1, "data": {"text": "Alice", "zero": 0, "month_name": "%d %b %Y"}}
    assert value(expression, task=task) == expected


def test_the_format_can_come_from_the_config(tmp_path):
    """`config.control("due").format`: the control's own format, read once."""
    from lsrules.engine.engine import Engine

    (tmp_path / "c.xml").write_text(
        '<View><Text name="text" value="$text"/><Header value="$sent"/>'
        '<DateTime name="due" toName="text" only="date" format="%d.%m.%Y"/></View>')
    ruleset, diagnostics = load(HEADER + "labeling_config: c.xml\nrules:\n  - id: late\n"
                                "    for: region where region.from_name == 'due'\n"
                                "    assert: days_between(task.data.sent, date("
                                "region.value.datetime, config.control('due').format)) <= 7\n",
                                tmp_path / "r.yaml")
    assert [str(d) for d in diagnostics] == []
    item = {"id": "d", "from_name": "due", "to_name": "text", "type": "datetime",
            "value": {"datetime": "20.05.2024"}}
    decision = Engine(ruleset).evaluate({"id": 1, "data": {"text": "x", "sent": "2024-05-10"}},
                                        {"id": 2, "result": [item]})
    assert decision.fired == ["late"]


@pytest.mark.parametrize("expression, message", [
    ('timestamp("01.05.2024", "%d %b %Y") > 0', "is not a date format of digits"),
    ('date("2024-05-01", "%d.%m.%Y") != ""', "does not read as '%d.%m.%Y'"),
])
def test_a_literal_format_is_checked(expression, message):
    _, diagnostics = load(HEADER + f"rules:\n  - id: a\n    assert: '{expression}'\n")
    assert [d.code for d in diagnostics] == ["LSR114"] and message in diagnostics[0].message
