"""Every control tag of Label Studio: a valid and an invalid annotation, each checked by the
built-in pack (tests/fixtures/tags/<Tag>.json: config, task data, the two results and the
rule ids the invalid one must get, in order).

The valid Pairwise, VideoRectangle and Ranker results are what Label Studio's editor writes:
- Pairwise: web/libs/editor/src/tags/control/Pairwise.js (HumanSignal/label-studio) creates
  its result with `createResult({}, { selected }, self, self.name)`: the value is
  `{"selected": "left"}` or `"right"`, and the object, hence `to_name`, is the Pairwise's
  own name; "none" removes the result.
- VideoRectangle: web/libs/editor/src/regions/VideoRegion.js `serialize()` writes
  `{framesCount, duration, sequence}` with each keyframe `{frame, enabled, x, y, width,
  height, rotation, time}`; the labels come from the `<Labels>` on the same video
  (web/libs/editor/src/tags/control/VideoRectangle.js documents the pairing).
- Ranker: web/libs/editor/src/tags/control/Ranker.jsx writes `{"ranker": {column: [item
  ids]}}` with `to_name` the `<List>`: columns are the `<Bucket>` names, plus `_` for the
  list itself when no bucket is the default (the Ranker's own name without buckets).

The newer tags follow the same source:
- TimelineLabels: web/libs/editor/src/regions/TimelineRegion.js `serialize()` writes
  `{ranges: [{start, end}]}` (whole frame numbers), the labels under `timelinelabels`.
- Vector / VectorLabels: web/libs/editor/src/regions/VectorRegion.jsx `serialize()` writes
  `{vertices: [{id, x, y, prevPointId, isBezier, controlPoint1?, controlPoint2?}], closed}`
  in percent of the image, the labels under `vectorlabels`.
- Bitmask / BitmaskLabels: web/libs/editor/src/regions/BitmaskRegion.jsx `serialize()`
  writes `{imageDataURL}`, the mask as a PNG `data:image/png;base64,...` URL.
- MagicWand: web/libs/editor/src/tags/control/MagicWand.js (`@regions BrushRegion`) draws
  brush regions, labelled by a `<Labels>` on the same image: `brushlabels` items of that
  `<Labels>`, as BrushLabels writes them.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsrules.packs.builtin import LabelingConfigPack
from lsrules.ruleset.labeling_config import parse_labeling_config

TAGS = Path(__file__).parent.parent / "fixtures" / "tags"
CASES = {path.stem: json.loads(path.read_text()) for path in sorted(TAGS.glob("*.json"))}

# Label Studio's control tags (its tag reference), each with a case above
CONTROL_TAGS = {"Bitmask", "BitmaskLabels", "Brush", "BrushLabels", "Choices", "DateTime", "Ellipse",
                "EllipseLabels", "HyperTextLabels", "KeyPoint", "KeyPointLabels", "Labels",
                "MagicWand", "Number", "Pairwise", "ParagraphLabels", "Polygon",
                "PolygonLabels", "Ranker", "Rating", "Rectangle", "RectangleLabels",
                "Relations", "Taxonomy", "TextArea", "TimelineLabels", "TimeSeriesLabels",
                "Vector", "VectorLabels", "VideoRectangle"}


def _findings(case: dict, result: list) -> list[str]:
    pack = LabelingConfigPack(parse_labeling_config(case["config"]))
    return [finding.rule_id for finding in pack.check({"data": case["data"]}, {"result": result})]


def test_every_control_tag_has_a_case():
    assert set(CASES) == CONTROL_TAGS


@pytest.mark.parametrize("tag", sorted(CASES))
def test_the_valid_annotation_has_no_finding(tag):
    case = CASES[tag]
    assert _findings(case, case["valid"]) == []


@pytest.mark.parametrize("tag", sorted(CASES))
def test_the_invalid_annotation_has_the_expected_findings(tag):
    case = CASES[tag]
    assert _findings(case, case["invalid"]) == case["expect"]
