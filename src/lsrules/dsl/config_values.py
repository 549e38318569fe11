"""The labeling config's values as expressions read them: `config.control(name)`.

A rule that hard-codes a config's values (`region.value.rating <= 5`) goes stale when the
config changes; `config.control("urgency").maxRating` does not. Each control becomes a
read-only record, built once per ruleset when it is compiled (never per annotation). Its
fields are a few facts the reader derives and every attribute of the control's tag, typed
from its text the same way here and in the checker.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from lsrules.dsl.names import BOOL, LIST, NUMBER, STRING
from lsrules.dsl.runtime import Record

# fields every control has, whatever its tag
CONTROL_FIELDS: dict[str, str] = {
    "name": STRING, "tag": STRING, "type": STRING, "labels": LIST, "choices": LIST,
    "to_names": LIST,
}
# attributes Label Studio gives a value when the tag leaves them out (lower-cased tag and
# attribute): a Rating draws five stars unless told otherwise
DEFAULTS: dict[tuple[str, str], Any] = {("rating", "maxrating"): 5}

_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def attribute_value(text: str) -> Any:
    """An attribute's text as a value: a number or true/false when it reads as one."""
    stripped = text.strip()
    if len(stripped) <= 40 and _NUMBER.fullmatch(stripped):
        number = float(stripped)
        return int(stripped) if number.is_integer() and re.fullmatch(r"-?\d+", stripped) \
            else number
    if stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    return text


def control_fields(control: Any) -> dict[str, Any]:
    """Field name (lower-cased) -> value for one `labeling_config.Control`."""
    fields: dict[str, Any] = {}
    tag = str(control.tag).lower()
    for (default_tag, name), value in DEFAULTS.items():
        if default_tag == tag:
            fields[name] = value
    for name, text in control.attributes.items():
        fields[name.lower()] = attribute_value(text)
    fields.update({"name": control.name, "tag": control.tag, "type": control.type,
                   "labels": list(control.labels), "choices": list(control.labels),
                   "to_names": list(control.to_names)})
    return fields


def field_type(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, list):
        return LIST
    return STRING


class ControlView(Record):
    """One control's fields; a list is copied when read, so a fix that stores it in an
    annotation can never change what the next annotation reads."""

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = dict(fields)

    def field(self, name: str) -> Any:
        if not isinstance(name, str):
            return None
        value = self.fields.get(name.lower())
        return list(value) if value.__class__ is list else value


def control_views(config: Any) -> dict[str, ControlView]:
    """Every control of a labeling config (None: no config) by name."""
    if config is None:
        return {}
    return {name: ControlView(control_fields(control))
            for name, control in config.controls.items()}


def config_control(views: Mapping[str, ControlView], name: Any) -> ControlView | None:
    """`config.control(name)` for a name known only at run time; null for unknown names."""
    return views.get(name) if isinstance(name, str) else None
