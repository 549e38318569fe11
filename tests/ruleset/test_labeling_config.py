"""The labeling config reader: controls, objects, labels and positions, over a table of configs."""
from __future__ import annotations

from pathlib import Path

import pytest

from lsrules.errors import LsrulesError
from lsrules.ruleset.labeling_config import (
    parse_labeling_config,
    read_labeling_config,
)

CONFIGS = Path(__file__).parent.parent / "fixtures" / "labeling_configs"

# config file -> {control name: (type, to_names, labels)}
EXPECTED_CONTROLS = {
    "image_bbox.xml": {"label": ("rectanglelabels", ["image"], ["Car", "Person"])},
    "polygons.xml": {
        "outline": ("polygonlabels", ["img"], ["Building", "Road"]),
        "free": ("polygon", ["img"], []),
    },
    "keypoints.xml": {
        "joints": ("keypointlabels", ["photo"], ["Nose", "left_eye", "right_eye"]),
    },
    "text_single.xml": {
        "sentiment": ("choices", ["text"], ["Positive", "Negative", "Neutral"]),
    },
    "text_multiple.xml": {
        "topics": ("choices", ["review"], ["Price", "Quality", "Delivery"]),
    },
    "ner.xml": {"ner": ("labels", ["text"], ["PER", "ORG", "LOC"])},
    "taxonomy.xml": {
        "category": ("taxonomy", ["text"], ["Animal", "Mammal", "Cat", "Dog", "Bird", "Plant"]),
    },
    "textarea.xml": {"transcript": ("textarea", ["audio"], [])},
    "rating.xml": {
        "quality": ("rating", ["answer"], []),
        "tokens": ("number", ["answer"], []),
        "when": ("datetime", ["answer"], []),
    },
    "per_region.xml": {
        "box": ("rectanglelabels", ["image"], ["Car", "Truck"]),
        "colour": ("choices", ["image"], ["Red", "Blue"]),
        "plate": ("textarea", ["image"], []),
    },
    "nested_views.xml": {
        "entities": ("hypertextlabels", ["page"], ["Price", "Date"]),
        "kind": ("choices", ["page"], ["Invoice", "Receipt", "Letter"]),
    },
    "image_tools.xml": {
        "tissue": ("labels", ["scan"], ["Tumour", "Healthy"]),
        "box": ("rectangle", ["scan"], []),
        "cells": ("ellipselabels", ["scan"], ["Cell"]),
        "mask": ("brushlabels", ["scan"], ["Lesion"]),
    },
}

# config file -> {object name: (tag, value, data_key)}
EXPECTED_OBJECTS = {
    "image_bbox.xml": {"image": ("Image", "$image", "image")},
    "polygons.xml": {"img": ("Image", "$url", "url")},
    "keypoints.xml": {"photo": ("Image", "$photo", "photo")},
    "text_single.xml": {"text": ("Text", "$text", "text")},
    "text_multiple.xml": {"review": ("Text", "$review", "review")},
    "ner.xml": {"text": ("Text", "$text", "text")},
    "taxonomy.xml": {"text": ("Text", "$text", "text")},
    "textarea.xml": {"audio": ("Audio", "$audio", "audio")},
    "rating.xml": {"answer": ("Text", "$answer", "answer")},
    "per_region.xml": {"image": ("Image", "$image", "image")},
    "nested_views.xml": {"page": ("HyperText", "$html", "html")},
    "image_tools.xml": {"scan": ("Image", "$scan", "scan")},
}


@pytest.mark.parametrize("file_name", sorted(EXPECTED_CONTROLS))
def test_controls_have_type_targets_and_labels(file_name):
    config = read_labeling_config(CONFIGS / file_name)
    found = {name: (c.type, c.to_names, c.labels) for name, c in config.controls.items()}
    assert found == EXPECTED_CONTROLS[file_name]
    for name, control in config.controls.items():
        assert config.labels(name) == control.labels


@pytest.mark.parametrize("file_name", sorted(EXPECTED_OBJECTS))
def test_objects_have_value_and_data_key(file_name):
    config = read_labeling_config(CONFIGS / file_name)
    found = {name: (o.tag, o.value, o.data_key) for name, o in config.objects.items()}
    assert found == EXPECTED_OBJECTS[file_name]


@pytest.mark.parametrize("file_name, control_name, attribute, expected", [
    ("text_single.xml", "sentiment", "choice", "single"),
    ("text_multiple.xml", "topics", "choice", "multiple"),
    ("nested_views.xml", "kind", "choice", "single"),  # Label Studio's default
    ("text_multiple.xml", "topics", "required", True),
    ("text_single.xml", "sentiment", "required", False),
    ("textarea.xml", "transcript", "required", True),
    ("rating.xml", "quality", "required", True),
    ("rating.xml", "tokens", "required", False),
    ("per_region.xml", "colour", "per_region", True),
    ("per_region.xml", "box", "per_region", False),
    ("per_region.xml", "colour", "conditional", False),  # region-selected is the usual layout
    ("polygons.xml", "outline", "max_usages", 5),
    ("polygons.xml", "outline", "label_max_usages", {"Building": 2, "Road": 5}),
    ("ner.xml", "ner", "label_max_usages", {"LOC": 1}),
    ("image_bbox.xml", "label", "max_usages", None),
    ("image_bbox.xml", "label", "value_keys", ("x", "y", "width", "height", "rectanglelabels")),
    ("ner.xml", "ner", "value_keys", ("start", "end", "labels")),
    ("text_single.xml", "sentiment", "value_keys", ("choices",)),
    ("textarea.xml", "transcript", "value_keys", ("text",)),
    ("rating.xml", "quality", "value_keys", ("rating",)),
    ("rating.xml", "tokens", "value_keys", ("number",)),
    ("taxonomy.xml", "category", "label_paths",
     [("Animal",), ("Animal", "Mammal"), ("Animal", "Mammal", "Cat"),
      ("Animal", "Mammal", "Dog"), ("Animal", "Bird"), ("Plant",)]),
    ("image_bbox.xml", "label", "tag", "RectangleLabels"),
    ("image_bbox.xml", "label", "line", 3),
    ("image_bbox.xml", "label", "column", 3),
    ("keypoints.xml", "joints", "line", 2),
    ("image_tools.xml", "tissue", "accepted_types", frozenset({"labels", "rectanglelabels"})),
    ("image_tools.xml", "cells", "accepted_types", frozenset({"ellipselabels"})),
])
def test_control_attributes(file_name, control_name, attribute, expected):
    control = read_labeling_config(CONFIGS / file_name).controls[control_name]
    assert getattr(control, attribute) == expected


@pytest.mark.parametrize("file_name, expected", [
    ("image_bbox.xml", {"rectanglelabels"}),
    ("per_region.xml", {"rectanglelabels", "choices", "textarea"}),
    ("image_tools.xml", {"labels", "rectanglelabels", "rectangle", "ellipselabels", "brushlabels"}),
    ("rating.xml", {"rating", "number", "datetime"}),
])
def test_region_types(file_name, expected):
    assert read_labeling_config(CONFIGS / file_name).region_types() == expected


# Written as users write them, not as the SDK expects: lenient reading is the point.
LENIENT_CASES = [
    pytest.param(
        '<view><text name="t" value="$t"/>'
        '<choices name="c" toname="t" perregion="TRUE"><choice value="A"/></choices></view>',
        "c", ("choices", ["t"], ["A"], True), id="lower-case tags and attributes"),
    pytest.param(
        '<View><Text name="t" value="$t"/><Choices name="c" toName="t">'
        '<Choice>Yes</Choice><Choice alias="n" value="No"/></Choices></View>',
        "c", ("choices", ["t"], ["Yes", "n"], False), id="choice text and alias"),
    pytest.param(
        '<View><Image name="a" value="$a"/><Image name="b" value="$b"/>'
        '<RectangleLabels name="r" toName="a, b"><Label value="X"/></RectangleLabels></View>',
        "r", ("rectanglelabels", ["a", "b"], ["X"], False), id="several toNames"),
]


@pytest.mark.parametrize("xml_text, name, expected", LENIENT_CASES)
def test_lenient_reading(xml_text, name, expected):
    control = parse_labeling_config(xml_text).controls[name]
    assert (control.type, control.to_names, control.labels, control.per_region) == expected


@pytest.mark.parametrize("xml_text, dynamic, conditional", [
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="t" value="$options"/></View>',
     True, False),
    ('<View><Text name="t" value="$t"/><View visibleWhen="choice-selected">'
     + '<Choices name="c" toName="t"><Choice value="A"/></Choices></View></View>', False, True),
    ('<View><Text name="t" value="$t"/><Choices name="c" toName="t" visibleWhen="choice-selected"'
     + ' whenTagName="t"><Choice value="A"/></Choices></View>', False, True),
])
def test_dynamic_and_conditional_controls(xml_text, dynamic, conditional):
    control = parse_labeling_config(xml_text).controls["c"]
    assert (control.dynamic_labels, control.conditional) == (dynamic, conditional)


MALFORMED = [
    pytest.param('<View>\n  <Image name="x" value="$x">\n</View>', 3, "mismatched tag",
                 id="unclosed tag"),
    pytest.param('<View><Text name="t" value="$t"/>\n<Choices name="c" toName="t"', 2, "",
                 id="truncated"),
    pytest.param('', 1, "no element found", id="empty"),
    pytest.param('<View><Text name="t" value="$t"/>\n<Choices name="t" toName="t"/></View>', 2,
                 "duplicate name 't'", id="duplicate name"),
    pytest.param('<View><Text name="t" value="$t"/>\n\n<Choices name="c" toName="tt"/></View>', 3,
                 "toName='tt'", id="unknown toName"),
    pytest.param('<!DOCTYPE v [<!ENTITY a "aaaa">]>\n<View>&a;</View>', 1, "",
                 id="entity declaration refused"),
    pytest.param("<View>\n" + "<View>" * 100_000 + "</View>" * 100_000 + "</View>", 2,
                 "nested more than 100 tags deep", id="nested 100,000 deep"),
]


@pytest.mark.parametrize("xml_text, line, message_part", MALFORMED)
def test_malformed_config_raises_with_location(xml_text, line, message_part):
    with pytest.raises(LsrulesError) as raised:
        parse_labeling_config(xml_text, source="project.xml")
    assert raised.value.location.file == "project.xml"
    assert raised.value.location.line == line
    assert message_part in raised.value.message


def test_missing_file_raises_lsrules_error(tmp_path):
    with pytest.raises(LsrulesError, match="cannot read labeling config"):
        read_labeling_config(tmp_path / "absent.xml")


def test_location_of_points_at_the_tag():
    config = read_labeling_config(CONFIGS / "per_region.xml")
    location = config.location_of("colour")
    assert (location.line, location.column) == (9, 5)
    assert config.location_of("nothing").line == 0


def test_relation_labels_are_read():
    config = parse_labeling_config(
        '<View><Text name="t" value="$t"/><Relations><Relation value="owns"/>'
        '<Relation value="rents" alias="leases"/></Relations></View>')
    assert config.relation_labels == ["owns", "leases"]
    assert config.controls == {}
