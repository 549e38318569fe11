"""Dates and times in expressions: ISO 8601 text -> instants, with no clock.

Label Studio writes `created_at`/`updated_at` as ISO 8601 in UTC
(`2024-05-01T10:22:33.123456Z`) and a DateTime control as `2024-05-01`,
`2024-05-01T10:22` or `2024`. These functions read exactly that family of texts, the
same way on every machine: a time without an offset is UTC, nothing reads the clock or
the machine's time zone (a rule gives the same finding tomorrow), and any other text is
null, like every built-in's wrong-typed argument.
"""
from __future__ import annotations

import datetime
import re
from typing import Any

# YYYY, YYYY-MM, YYYY-MM-DD, then optionally [T ]HH:MM[:SS[.fraction]] and Z or ±HH[:]MM
_ISO = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?")
MAX_LENGTH = 40  # longer text is no date: never handed to the regex
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def instant(text: Any) -> datetime.datetime | None:
    """The UTC instant an ISO 8601 date or date-time names; None for anything else."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return None
    match = _ISO.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime.datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0), int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=_zone(offset))
    except ValueError:  # month 13, 25 o'clock, 30 February
        return None
    return moment.astimezone(datetime.timezone.utc)


def _zone(offset: str | None) -> datetime.timezone:
    if offset is None or offset == "Z":
        return datetime.timezone.utc
    digits = offset[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    if minutes >= 24 * 60:
        raise ValueError("offset of a day or more")
    return datetime.timezone(datetime.timedelta(minutes=-minutes if offset[0] == "-"
                                                else minutes))


# a format's directives: only those that read digits (month and day names, AM/PM are the
# machine's locale's, so they would not read the same everywhere)
_FORMAT = re.compile(r"(?:[^%]|%[YmdHMSyjfz%])*")


def is_format(form: Any) -> bool:
    return isinstance(form, str) and len(form) <= MAX_LENGTH and _FORMAT.fullmatch(form) is not None


def formatted(text: Any, form: Any) -> datetime.datetime | None:
    """The UTC instant `text` names in `form` (strptime's directives that read digits; no
    offset: UTC), as a DateTime control with a `format` writes it; None if it does not."""
    if not (isinstance(text, str) and len(text) <= MAX_LENGTH and is_format(form)):
        return None
    try:
        moment = datetime.datetime.strptime(text, form)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def _read(text: Any, form: Any) -> datetime.datetime | None:
    return instant(text) if form is _ISO_ONLY else formatted(text, form)


_ISO_ONLY = object()  # no format given: ISO 8601


def timestamp(text: Any, form: Any = _ISO_ONLY) -> int | float | None:
    """Seconds since 1970-01-01T00:00:00Z (whole seconds as an integer)."""
    moment = _read(text, form)
    if moment is None:
        return None
    return _seconds(moment - _EPOCH)


def date(text: Any, form: Any = _ISO_ONLY) -> str | None:
    """The UTC calendar date, `YYYY-MM-DD`: dates compare as text in this form."""
    moment = _read(text, form)
    return None if moment is None else moment.date().isoformat()


def seconds_between(start: Any, end: Any) -> int | float | None:
    """`end` minus `start`, in seconds (negative when `end` is earlier)."""
    first, second = instant(start), instant(end)
    if first is None or second is None:
        return None
    return _seconds(second - first)


def _seconds(span: datetime.timedelta) -> int | float:
    """Exact to the microsecond (no difference of two large floats)."""
    seconds = span / datetime.timedelta(seconds=1)
    return int(seconds) if seconds.is_integer() else seconds


def days_between(start: Any, end: Any) -> int | None:
    """Calendar days from `start`'s UTC date to `end`'s (negative when `end` is earlier)."""
    first, second = instant(start), instant(end)
    if first is None or second is None:
        return None
    return (second.date() - first.date()).days


def year(text: Any) -> int | None:
    moment = instant(text)
    return None if moment is None else moment.year


def month(text: Any) -> int | None:
    moment = instant(text)
    return None if moment is None else moment.month


def day(text: Any) -> int | None:
    moment = instant(text)
    return None if moment is None else moment.day


def hour(text: Any) -> int | None:
    moment = instant(text)
    return None if moment is None else moment.hour


def weekday(text: Any) -> int | None:
    """1 for Monday to 7 for Sunday (ISO 8601's numbering)."""
    moment = instant(text)
    return None if moment is None else moment.isoweekday()
