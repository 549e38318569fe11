"""Our labeling config reader against the SDK's `LabelInterface`, so the two never drift.

The SDK is the project's `labelstudio` extra; without it this test fails (never skips),
because a silent skip is how the two readers would drift apart unnoticed.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from lsrules.ruleset.labeling_config import read_labeling_config

CONFIGS = Path(__file__).parent.parent / "fixtures" / "labeling_configs"
CONFIG_FILES = sorted(path.name for path in CONFIGS.glob("*.xml"))


def _label_interface_class():
    try:
        from label_studio_sdk.label_interface import LabelInterface
    except ImportError as error:
        pytest.fail("label-studio-sdk is not installed; this comparison needs it: "
                    "pip install -e '.[labelstudio]' (or label-studio-sdk==2.1.2). "
                    f"Import error: {error}")
    return LabelInterface


def test_there_are_configs_to_compare():
    assert len(CONFIG_FILES) >= 10


@pytest.mark.parametrize("file_name", CONFIG_FILES)
def test_controls_match_the_sdk(file_name):
    label_interface = _label_interface_class()((CONFIGS / file_name).read_text())
    ours = read_labeling_config(CONFIGS / file_name)
    theirs = {
        control.name: (control.tag.lower(), list(control.to_name), list(control.labels))
        for control in label_interface.controls
    }
    mine = {
        control.name: (control.type, control.to_names, control.labels)
        for control in ours.controls.values()
    }
    assert mine == theirs


@pytest.mark.parametrize("file_name", CONFIG_FILES)
def test_objects_match_the_sdk(file_name):
    label_interface = _label_interface_class()((CONFIGS / file_name).read_text())
    ours = read_labeling_config(CONFIGS / file_name)
    theirs = {obj.name: (obj.tag, obj.value) for obj in label_interface.objects}
    mine = {obj.name: (obj.tag, obj.value) for obj in ours.objects.values()}
    assert mine == theirs
