"""Label Studio's result vocabulary has one home (`lsrules.result_types`), and every reader
of result items agrees with it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from lsrules.dsl.regions import build_regions
from lsrules.exports.json_min import convert_record
from lsrules.result_types import (ANSWER_VALUE_KEYS, CLASSIFICATIONS, LABEL_KEYS,
                                  LABEL_VALUE_KEYS, RESULT_TYPES, VALUE_KEYS)
from lsrules.ruleset.labeling_config import parse_labeling_config, read_labeling_config
from lsrules.streams.events import labels_of
from lsrules.suggest.results import annotation_label

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted([*(ROOT / "tests" / "fixtures" / "labeling_configs").glob("*.xml"),
                  *(ROOT / "rulesets").glob("*.xml")])

# One control of every tag Label Studio's result types come from, on the objects they label.
EVERY_CONTROL = """<View>
  <Image name="image" value="$image"/>
  <Text name="text" value="$text"/>
  <HyperText name="html" value="$html"/>
  <Paragraphs name="dialogue" value="$dialogue"/>
  <TimeSeries name="series" value="$series"/>
  <Video name="video" value="$video"/>
  <Labels name="labels" toName="text"><Label value="A"/></Labels>
  <Choices name="choices" toName="text"><Choice value="A"/></Choices>
  <RectangleLabels name="rectanglelabels" toName="image"><Label value="A"/></RectangleLabels>
  <Rectangle name="rectangle" toName="image"/>
  <PolygonLabels name="polygonlabels" toName="image"><Label value="A"/></PolygonLabels>
  <Polygon name="polygon" toName="image"/>
  <KeyPointLabels name="keypointlabels" toName="image"><Label value="A"/></KeyPointLabels>
  <KeyPoint name="keypoint" toName="image"/>
  <EllipseLabels name="ellipselabels" toName="image"><Label value="A"/></EllipseLabels>
  <Ellipse name="ellipse" toName="image"/>
  <BrushLabels name="brushlabels" toName="image"><Label value="A"/></BrushLabels>
  <Brush name="brush" toName="image"/>
  <BitmaskLabels name="bitmasklabels" toName="image"><Label value="A"/></BitmaskLabels>
  <Bitmask name="bitmask" toName="image"/>
  <VectorLabels name="vectorlabels" toName="image"><Label value="A"/></VectorLabels>
  <Vector name="vector" toName="image"/>
  <HyperTextLabels name="hypertextlabels" toName="html"><Label value="A"/></HyperTextLabels>
  <ParagraphLabels name="paragraphlabels" toName="dialogue"><Label value="A"/></ParagraphLabels>
  <TimeSeriesLabels name="timeserieslabels" toName="series"><Label value="A"/></TimeSeriesLabels>
  <TimelineLabels name="timelinelabels" toName="video"><Label value="A"/></TimelineLabels>
  <VideoRectangle name="videorectangle" toName="video"/>
  <Taxonomy name="taxonomy" toName="text"><Choice value="A"/></Taxonomy>
  <TextArea name="textarea" toName="text"/>
  <Rating name="rating" toName="text"/>
  <Number name="number" toName="text"/>
  <DateTime name="datetime" toName="text"/>
  <Ranker name="ranker" toName="text"/>
  <Pairwise name="pairwise" toName="text"/>
</View>"""


def test_the_reader_sees_every_result_type_as_the_vocabulary_says():
    config = parse_labeling_config(EVERY_CONTROL)
    types = {control.type for control in config.controls.values()}
    assert types == set(RESULT_TYPES) - {"ocrlabels"}  # OCR boxes come from <Labels> on an image
    for control in config.controls.values():
        kind = RESULT_TYPES[control.type]
        assert control.value_keys == kind.value_keys
        assert control.label_key == kind.label_key
        assert bool(control.labels) == (kind.label_key is not None and control.type != "videorectangle")


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_every_control_of_the_example_configs_is_in_the_vocabulary(path):
    for control in read_labeling_config(path).controls.values():
        assert control.accepted_types <= set(RESULT_TYPES), control.name


def test_the_derived_tables_agree():
    assert set(VALUE_KEYS) == set(RESULT_TYPES)
    for name, kind in RESULT_TYPES.items():
        assert kind.name == name
        if kind.label_key is not None:
            assert LABEL_KEYS[name] == kind.label_key
            assert kind.label_key in kind.value_keys or name == "videorectangle"
            assert kind.answer_key is None
        if kind.answer_key is not None:
            assert kind.classification and kind.answer_key in kind.value_keys
        assert set(kind.number_keys) - {"rotation", "width"} <= set(kind.value_keys)
    assert ANSWER_VALUE_KEYS[:len(LABEL_VALUE_KEYS)] == LABEL_VALUE_KEYS
    assert len(set(ANSWER_VALUE_KEYS)) == len(ANSWER_VALUE_KEYS)
    assert CLASSIFICATIONS == {"choices", "taxonomy", "textarea", "rating", "number",
                               "datetime", "ranker", "pairwise"}


@pytest.mark.parametrize("key", LABEL_VALUE_KEYS)
def test_every_reader_of_labels_reads_every_label_key(key):
    value = {key: [["Top", "A"]] if key == "taxonomy" else ["A"]}
    annotation = {"result": [{"id": "r1", "from_name": "x", "to_name": "y",
                              "type": "somethingelse", "value": value}]}
    assert labels_of(annotation) == ["A"]
    assert build_regions(annotation["result"])[0][0].label == "A"
    if key != "taxonomy":  # a taxonomy path is no label the suggester compares
        assert annotation_label(annotation) == "A"


def test_json_min_gives_ids_to_regions_only():
    config = parse_labeling_config(EVERY_CONTROL)
    record = {"id": 1, "annotation_id": 2, "text": "hello",
              "rating": {"rating": 3}, "rectanglelabels": [{"x": 1, "y": 2, "width": 3, "height": 4,
                                                "rectanglelabels": ["A"]}]}
    task, annotation = convert_record(record, config)
    by_type = {item["type"]: item for item in annotation["result"]}
    assert "id" not in by_type["rating"] and "id" in by_type["rectanglelabels"]


def test_no_other_module_spells_the_vocabulary():
    """A list of label keys written out anywhere else would drift from this one again."""
    rare = re.compile(r'"(ellipselabels|polygonlabels|timeserieslabels|brushlabels|bitmasklabels)"')
    spelled = [str(path.relative_to(ROOT)) for path in (ROOT / "src").rglob("*.py")
               if path.name != "result_types.py" and rare.search(path.read_text())]
    assert spelled == []
