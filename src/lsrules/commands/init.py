"""`lsrules init --config XML`: a starter ruleset derived from a labeling config.

A team adopting lsrules has a labeling config and no rules yet. Everything the config
states (labels, types, ranges, required answers, bounds) the built-in pack already checks,
so the starter extends the pack and adds only what the config cannot say: an annotation
submitted empty, tiny or duplicate boxes, crossing polygons, spans with white space at
their ends, blank text. An inline test with a valid annotation of every control makes
`lsrules check` pass on the result from the start, and shows how tests are written.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

from lsrules.errors import Location, LsrulesError
from lsrules.files import cannot_write, write_atomically
from lsrules.result_types import CLASSIFICATIONS, RESULT_TYPES
from lsrules.ruleset.labeling_config import Control, LabelingConfig, read_labeling_config

_SAMPLE_TEXT = "Alice works at Acme Corp in Paris."
_SAMPLE_DATA = {
    "image": "/data/upload/example.jpg",
    "audio": "/data/upload/example.wav",
    "video": "/data/upload/example.mp4",
    "hypertext": "<p>Alice works at Acme Corp in Paris.</p>",
}
_SPAN_OBJECTS = frozenset({"text", "hypertext", "paragraphs", "audio", "audioplus"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", metavar="XML",
                        help="the project's Label Studio labeling config")
    source.add_argument("--project", type=int, metavar="ID",
                        help="read the labeling config of this Label Studio project through "
                             "its API (token: LABEL_STUDIO_API_KEY) and bind the new ruleset "
                             "to the project in the project file (needs the labelstudio "
                             "extra)")
    parser.add_argument("--ls-url", help="Label Studio's base URL, with --project (default: "
                                         "LABEL_STUDIO_URL, else the project file's)")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="write the ruleset here instead of to standard output")
    parser.add_argument("--name", help="the ruleset's name (default: from the config's file name)")
    parser.add_argument("--force", action="store_true", help="overwrite --output if it exists")


def run(args: argparse.Namespace) -> int:
    if args.project is not None:
        return _init_project(args)
    config_path = Path(args.config)
    config = read_labeling_config(config_path)
    if not config.controls:
        raise LsrulesError("the labeling config defines no control tags to write rules for",
                           Location(str(config_path)))
    output = Path(args.output) if args.output else None
    if output is not None and output.exists() and not args.force:
        raise LsrulesError(f"{output} exists; pass --force to overwrite it", Location(str(output)))
    base = output.resolve().parent if output is not None else Path.cwd()
    relative = Path(os.path.relpath(config_path.resolve(), base)).as_posix()
    name = args.name or _kebab(config_path.stem) or "ruleset"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise LsrulesError(f"ruleset name {name!r} must be letters, digits, '-', '_' and '.', "
                           "starting with a letter or digit", "--name")
    text = render_ruleset(config, name=name, labeling_config=relative)
    if output is None:
        sys.stdout.write(text)
    else:
        _write_atomically(output, text, overwrite=args.force)
        print(f"lsrules: wrote {output} ({len(config.controls)} controls)", file=sys.stderr)
        _note_outside_root(output, config_path)
    return 0


def _init_project(args: argparse.Namespace) -> int:
    """Write `rulesets/NAME.xml` (the project's config, as Label Studio has it), the starter
    `rulesets/NAME.yaml` beside it, and the project's `[[projects]]` entry in the project file
    (a new `lsrules.toml` here when there is none). Nothing is written unless all can be."""
    from lsrules.labelstudio.project_config import fetch_project
    from lsrules.labelstudio.writeback import DEFAULT_LABEL_STUDIO_URL
    from lsrules.project_file import require_unbound, with_binding
    from lsrules.ruleset.labeling_config import parse_labeling_config

    project = getattr(args, "_project", None)
    require_unbound(project, args.project)  # before asking Label Studio anything
    url = args.ls_url or os.environ.get("LABEL_STUDIO_URL") or DEFAULT_LABEL_STUDIO_URL
    title, xml = fetch_project(url, args.project)
    config = parse_labeling_config(xml, f"project {args.project}'s labeling config")
    if not config.controls:
        raise LsrulesError("the labeling config defines no control tags to write rules for",
                           Location(f"project {args.project}"))
    name = args.name or _kebab(title) or f"project-{args.project}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise LsrulesError(f"ruleset name {name!r} must be letters, digits, '-', '_' and '.', "
                           "starting with a letter or digit", "--name")
    root = project.root if project is not None else Path.cwd()
    ruleset_path = Path(args.output) if args.output else root / "rulesets" / f"{name}.yaml"
    xml_path = ruleset_path.with_suffix(".xml")
    project_path, project_text = with_binding(project, Path.cwd(), args.project, ruleset_path,
                                              url)
    for path in (ruleset_path, xml_path):
        if path.exists() and not args.force:
            raise LsrulesError(f"{path} exists; pass --force to overwrite it", Location(str(path)))
    ruleset_path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(xml_path, xml if xml.endswith("\n") else xml + "\n", overwrite=args.force)
    _write_atomically(ruleset_path, render_ruleset(config, name=name,
                                                   labeling_config=xml_path.name),
                      overwrite=args.force)
    write_atomically(project_path, project_text)
    print(f"lsrules: wrote {os.path.relpath(xml_path)}, {os.path.relpath(ruleset_path)} "
          f"({len(config.controls)} controls) and project {args.project} in "
          f"{os.path.relpath(project_path)}", file=sys.stderr)
    return 0


def _note_outside_root(output: Path, config_path: Path) -> None:
    """`check` holds the config to the ruleset's project root: say so now, not in CI."""
    from lsrules.ruleset.containment import ruleset_root

    root = ruleset_root(output)
    if root not in config_path.resolve().parents:
        print(f"lsrules: note: {config_path} is outside the ruleset's project root {root}; "
              "put an lsrules.toml in a directory holding both (or check with "
              "--allow-outside-root)", file=sys.stderr)


def render_ruleset(config: LabelingConfig, name: str, labeling_config: str) -> str:
    """The starter ruleset as YAML text (comments and quoting chosen for people to edit)."""
    lines = [
        "# yaml-language-server: $schema=ruleset.schema.json",
        f"# Starter ruleset written by `lsrules init` from {labeling_config}.",
        "# Edit freely: `lsrules check` validates it against the labeling config. For completion",
        "# in an editor, write the schema beside it: `lsrules schema > ruleset.schema.json`.",
        f"ruleset: {_scalar(name)}",
        'version: "1"',
        f"description: {_scalar('Checks derived from ' + labeling_config)}",
        f"labeling_config: {_scalar(labeling_config)}",
        "# The pack checks every result against the config: names, types, labels, value keys,",
        "# ranges, required answers, shapes inside the image, spans inside the text.",
        "extends: [builtin:labeling-config]",
    ]
    rules: list[dict[str, str]] = [_not_empty_rule()]
    left: list[str] = []
    used_ids = {rules[0]["id"]}
    for control in config.controls.values():
        own = _rules_for(control, config)
        if not own:
            left.append(f"{control.name} ({control.tag})")
        for rule in own:
            rule["id"] = _unique(rule["id"], used_ids)
            rules.append(rule)
    if left:
        lines.extend(textwrap.wrap("Only the pack checks " + ", ".join(left) + ": the config "
                                   "says all there is to check about them.", width=90,
                                   initial_indent="# ", subsequent_indent="# "))
    lines.append("rules:")
    for rule in rules:
        lines.extend(_render_rule(rule))
    task, annotation = example_annotation(config)
    test: dict[str, Any] = {"name": "a complete, valid annotation is accepted", "task": task,
                            "annotation": annotation, "expect": {"verdict": "accept"}}
    lines.append("tests:")
    lines.append("  - name: " + _scalar(test["name"]))
    for key in ("task", "annotation", "expect"):
        lines.append(f"    {key}: " + _flow(test[key]))
    return "\n".join(lines) + "\n"


def _not_empty_rule() -> dict[str, str]:
    """Submitted with nothing in it: no control is wrong, so the pack says nothing."""
    return {
        "id": "annotation-not-empty",
        "description": "A submitted (not skipped) annotation should answer something.",
        "severity": "warning",
        "when": "annotation.was_cancelled != true",
        "assert": "len(regions) > 0",
        "message": "annotation {annotation.id} was submitted empty",
    }


def _rules_for(control: Control, config: LabelingConfig) -> list[dict[str, str]]:
    """Rules for one control that the pack does not already check (it checks everything
    the config states: labels, types, ranges, required answers, bounds), as ordered
    fields, id first. Many controls get none."""
    name = control.name
    literal = json.dumps(name, ensure_ascii=False)
    base_id = _kebab(name) or "control"
    scope = f"region where region.from_name == {literal}"
    if control.per_region:
        if control.type == "textarea" and _IDENTIFIER.match(name):
            return [{
                "id": f"{base_id}-not-blank",
                "description": f"A region's {name} must not be blank.",
                "severity": "warning",
                "for": f"region where region.attrs.{name} != null",
                "assert": f"all(len(trim(t)) > 0 for t in region.attrs.{name}.text)",
                "message": f"region {{region.id}} has a blank {name}",
            }]
        return []
    rules: list[dict[str, str]] = []
    if control.type in ("rectanglelabels", "rectangle"):
        rules.append({
            "id": f"{base_id}-not-tiny",
            "description": "A box under half a percent of the image wide or high is usually "
                           "a slip of the mouse.",
            "severity": "warning",
            "for": scope,
            "when": "region.width >= 0 and region.height >= 0",  # negative: the pack's
            "assert": "region.width >= 0.5 and region.height >= 0.5",
            "message": "box {region.id} is tiny ({region.width} x {region.height} %)",
        })
        rules.append({
            "id": f"{base_id}-no-duplicate",
            "description": "Two boxes with the same label on the same object are one object "
                           "drawn twice.",
            "severity": "warning",
            "for": scope,
            "assert": (f"none(o.id != region.id and o.label == region.label and "
                       f"iou(region, o) > 0.9 for o in regions if o.from_name == {literal})"),
            "message": "box {region.id} duplicates another {region.label}",
        })
    if getattr(RESULT_TYPES.get(control.type), "geometry", None) == "polygon":
        rules.append({
            "id": f"{base_id}-simple",
            "description": "A polygon whose edges cross has no clear inside.",
            "for": scope,
            "assert": "self_intersects(region) != true",  # null (broken points): the pack's
            "message": "polygon {region.id} crosses itself",
        })
    if control.type == "labels" and _text_key(control, config):
        rules.append({
            "id": f"{base_id}-trimmed",
            "description": "Spans should not start or end with white space.",
            "severity": "warning",
            "for": f"{scope} and region.type == \"labels\"",
            "assert": "region.text == trim(region.text)",
            "message": "span {region.id} starts or ends with white space",
        })
    if control.type == "textarea":
        rules.append({
            "id": f"{base_id}-not-blank",
            "description": f"{name} must not be blank.",
            "severity": "warning",
            "for": scope,
            "assert": "all(len(trim(t)) > 0 for t in region.value.text)",
            "message": f"{name} on {{region.id}} is blank",
        })
    return rules


def _render_rule(rule: dict[str, str]) -> list[str]:
    lines = [f"  - id: {rule['id']}"]
    for key in ("description", "severity", "for", "when", "assert", "message"):
        if key in rule:
            lines.append(f"    {key}: {_scalar(rule[key])}")
    return lines


def example_annotation(config: LabelingConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """A task and an annotation that answer every control validly (for the inline test)."""
    data: dict[str, Any] = {}
    for obj in config.objects.values():
        if obj.data_key and obj.data_key not in data:
            data[obj.data_key] = _SAMPLE_DATA.get(obj.type, _SAMPLE_TEXT)
    result: list[dict[str, Any]] = []
    regions_by_object: dict[str, list[str]] = {}
    for control in config.controls.values():
        if control.per_region:
            continue
        item = _example_item(control, config, f"r{len(result) + 1}")
        if item is not None:
            result.append(item)
            if control.type not in CLASSIFICATIONS:
                regions_by_object.setdefault(item["to_name"], []).append(item["id"])
    for control in config.controls.values():
        if not control.per_region:
            continue
        for to_name in control.to_names:
            for region_id in regions_by_object.get(to_name, []):
                item = _example_item(control, config, region_id)
                if item is not None:
                    item["to_name"] = to_name
                    result.append(item)
    return {"id": 1, "data": data}, {"id": 1, "result": result}


def _example_item(control: Control, config: LabelingConfig, item_id: str) -> dict[str, Any] | None:
    to_name = control.to_names[0]
    obj = config.objects[to_name]
    label = control.labels[:1]
    result_type = control.type
    values: dict[str, dict[str, Any]] = {
        "rectangle": {"x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0},
        "polygon": {"points": [[10, 10], [30, 10], [20, 30]]},
        "keypoint": {"x": 20, "y": 20, "width": 1},
        "ellipse": {"x": 50, "y": 50, "radiusX": 10, "radiusY": 10, "rotation": 0},
        "brush": {"format": "rle", "rle": [0, 0, 0]},
        "choices": {"choices": label},
        "textarea": {"text": ["example"]},
        "rating": {"rating": 1},
        "datetime": {"datetime": "2024-01-01"},
    }
    if result_type == "labels" and obj.type not in _SPAN_OBJECTS:
        tools = sorted(t for t in control.accepted_types if t != "labels")
        if not tools:
            return None
        result_type = tools[0]
    if result_type == "labels":
        value: dict[str, Any] = ({"start": 0, "end": 1.5} if obj.type.startswith("audio")
                                 else {"start": 0, "end": 5, "text": _SAMPLE_TEXT[:5]})
    elif result_type == "number":
        value = {"number": _as_number(control.attributes.get("min"))}
    elif result_type == "taxonomy":
        leaves = [path for path in control.label_paths if not any(
            len(other) > len(path) and other[:len(path)] == path for other in control.label_paths)]
        value = {"taxonomy": [list(leaves[0])] if leaves else []}  # a leaf: leafsOnly holds
    elif result_type == "hypertextlabels":
        value = {"start": "/p[1]/text()[1]", "end": "/p[1]/text()[1]", "startOffset": 0,
                 "endOffset": 5, "text": "Alice"}
    else:
        base = result_type.removesuffix("labels")
        if base not in values:
            return None
        value = dict(values[base])
    if result_type.endswith("labels"):
        if not label:
            return None
        value[result_type] = label
    if not control.labels and result_type in ("choices",):
        return None
    return {"id": item_id, "from_name": control.name, "to_name": to_name, "type": result_type,
            "value": value}


def _flow(value) -> str:
    """`value` as JSON that PyYAML reads back unchanged: YAML 1.1 reads `1e-05` (no dot) as a
    string, so such a float is written `1.0e-05`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(key), ensure_ascii=False)}: {_flow(item)}"
                               for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    text = json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and "e" in text and "." not in text:
        text = text.replace("e", ".0e", 1)
    return text


def _text_key(control: Control, config: LabelingConfig) -> str | None:
    for to_name in control.to_names:
        obj = config.objects.get(to_name)
        if obj is not None and obj.type == "text" and obj.data_key \
                and _IDENTIFIER.match(obj.data_key):
            return obj.data_key
    return None


def _scalar(text: str) -> str:
    """`text` as a YAML scalar: plain when YAML reads it back unchanged, else single-quoted."""
    try:
        if text and text == text.strip() and "\n" not in text \
                and yaml.safe_load(f"key: {text}") == {"key": text}:
            return text
    except yaml.YAMLError:
        pass
    return "'" + text.replace("'", "''") + "'"


def _kebab(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _unique(rule_id: str, used: set[str]) -> str:
    candidate, number = rule_id, 2
    while candidate in used:
        candidate = f"{rule_id}-{number}"
        number += 1
    used.add(candidate)
    return candidate


def _as_number(text: str | None, default: int = 0) -> int | float:
    """An attribute as a number, `default` when it is not a finite number (`min="1e999"`
    would otherwise write `inf`, which JSON does not have)."""
    try:
        value = float(text) if text is not None else float(default)
    except ValueError:
        value = float(default)
    if not math.isfinite(value):
        value = float(default)
    return int(value) if value.is_integer() else value


def _write_atomically(path: Path, text: str, overwrite: bool) -> None:
    """Never a half-written ruleset, and never one written over another without --force."""
    try:
        write_atomically(path, text, exclusive=not overwrite)
    except FileExistsError:
        raise LsrulesError(f"{path} exists; pass --force to overwrite it",
                           Location(str(path))) from None
    except (OSError, ValueError) as error:
        raise cannot_write(error, path) from None
