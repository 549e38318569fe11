"""`lsrules init`: a starter ruleset that parses, names every control and passes `check`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from lsrules.cli import main
from lsrules.commands.init import example_annotation, render_ruleset
from lsrules.packs.builtin import LabelingConfigPack
from lsrules.ruleset.labeling_config import parse_labeling_config, read_labeling_config

ROOT = Path(__file__).parent.parent.parent
CONFIGS = ROOT / "tests" / "fixtures" / "labeling_configs"
CONFIG_FILES = sorted(path.name for path in CONFIGS.glob("*.xml"))
SCHEMA = json.loads((ROOT / "schemas" / "ruleset.schema.json").read_text())


@pytest.fixture
def project(tmp_path):
    """A project directory (its project file makes it the root the rulesets' files are held
    to) with its labeling configs copied into `configs/`."""
    (tmp_path / "lsrules.toml").write_text("")
    (tmp_path / "configs").mkdir()
    for name in CONFIG_FILES:
        (tmp_path / "configs" / name).write_text((CONFIGS / name).read_text())
    return tmp_path


def _init(project: Path, file_name: str, *extra: str) -> tuple[int, Path]:
    output = project / "rules" / f"{Path(file_name).stem}.yaml"
    output.parent.mkdir(exist_ok=True)
    code = main(["init", "--config", str(project / "configs" / file_name),
                 "--output", str(output), *extra])
    return code, output


@pytest.mark.parametrize("file_name", CONFIG_FILES)
def test_starter_ruleset_parses_and_names_every_control(project, file_name):
    code, output = _init(project, file_name)
    assert code == 0
    text = output.read_text()
    document = yaml.safe_load(text)
    assert list(Draft202012Validator(SCHEMA).iter_errors(document)) == []
    assert document["version"] == "1"
    assert document["extends"] == ["builtin:labeling-config"]
    assert document["labeling_config"] == f"../configs/{file_name}"
    assert (output.parent / document["labeling_config"]).resolve() == \
        (project / "configs" / file_name).resolve()
    rules_text = json.dumps(document["rules"])
    for control in read_labeling_config(CONFIGS / file_name).controls:
        assert control in rules_text, f"no rule names control {control!r}"
    ids = [rule["id"] for rule in document["rules"]]
    assert len(ids) == len(set(ids))
    assert document["tests"][0]["expect"] == {"verdict": "accept"}


@pytest.mark.parametrize("file_name", CONFIG_FILES)
def test_starter_ruleset_passes_check(project, file_name):
    code, output = _init(project, file_name)
    assert code == 0
    assert main(["check", str(output)]) == 0


@pytest.mark.parametrize("file_name", CONFIG_FILES)
def test_example_annotation_satisfies_the_builtin_pack(file_name):
    config = read_labeling_config(CONFIGS / file_name)
    task, annotation = example_annotation(config)
    assert annotation["result"], "the inline test should exercise the controls"
    assert LabelingConfigPack(config).check(task, annotation) == []


@pytest.mark.parametrize("file_name, expected_rule, expected_assert", [
    ("image_bbox.xml", "label-known-labels", 'region.label in ["Car", "Person"]'),
    ("image_bbox.xml", "label-inside-image",
     ("region.x >= 0 and region.y >= 0 and region.x + region.width <= 100 "
      "and region.y + region.height <= 100")),
    ("ner.xml", "ner-inside-text",
     "region.start >= 0 and region.end <= len(task.data.text) and region.start < region.end"),
    ("text_multiple.xml", "topics-required", 'any(r.from_name == "topics" for r in regions)'),
    ("text_multiple.xml", "topics-known-labels",
     'all(label in ["Price", "Quality", "Delivery"] for label in region.labels)'),
    ("per_region.xml", "colour-required", "region.attrs.colour != null"),
])
def test_rules_say_what_the_config_says(file_name, expected_rule, expected_assert):
    config = read_labeling_config(CONFIGS / file_name)
    document = yaml.safe_load(render_ruleset(config, name="x", labeling_config=file_name))
    rules = {rule["id"]: rule for rule in document["rules"]}
    assert rules[expected_rule]["assert"] == expected_assert


@pytest.mark.parametrize("attributes, expected_assert", [
    ('min="-1e999" max="1e999"', "region.value.number >= 0 and region.value.number <= 0"),
    ('min="-inf" max="1234567"', "region.value.number >= 0 and region.value.number <= 1234567"),
    ('min="-2.5" max="Infinity"', "region.value.number >= -2.5 and region.value.number <= 0"),
])
def test_number_bounds_that_are_not_finite_numbers_fall_back_to_0(project, attributes,
                                                                  expected_assert):
    (project / "configs" / "number.xml").write_text(
        f'<View><Text name="t" value="$t"/><Number name="n" toName="t" {attributes}/></View>')
    code, output = _init(project, "number.xml")
    assert code == 0
    rules = {rule["id"]: rule for rule in yaml.safe_load(output.read_text())["rules"]}
    assert rules["n-in-range"]["assert"] == expected_assert
    assert main(["check", str(output)]) == 0


@pytest.mark.parametrize("minimum", ["0.00001", "1e-7", "-2.5e-10"])
def test_a_tiny_number_bound_is_a_number_in_the_inline_test(project, minimum):
    # YAML 1.1 reads `1e-05` (no dot) as a string: the starter's own test would then fail
    (project / "configs" / "number.xml").write_text(
        f'<View><Text name="t" value="$t"/><Number name="n" toName="t" min="{minimum}"/></View>')
    code, output = _init(project, "number.xml")
    assert code == 0
    test = yaml.safe_load(output.read_text())["tests"][0]
    assert test["annotation"]["result"][0]["value"]["number"] == float(minimum)
    assert main(["check", str(output)]) == 0


@pytest.mark.parametrize("label", ["Type: A", "a #b", "it's", 'say "hi"', "- dash", "yes", "[x]"])
def test_awkward_labels_survive_yaml_quoting(label):
    escaped = label.replace("&", "&amp;").replace('"', "&quot;")
    config = parse_labeling_config(
        f'<View><Text name="text" value="$text"/><Choices name="c" toName="text">'
        f'<Choice value="{escaped}"/></Choices></View>')
    document = yaml.safe_load(render_ruleset(config, name="x", labeling_config="c.xml"))
    assert document["rules"][0]["assert"] == f"region.label in [{json.dumps(label)}]"
    assert document["tests"][0]["annotation"]["result"][0]["value"]["choices"] == [label]


def test_stdout_when_no_output(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    assert main(["init", "--config", "configs/ner.xml", "--name", "my-ner"]) == 0
    document = yaml.safe_load(capsys.readouterr().out)
    assert (document["ruleset"], document["labeling_config"]) == ("my-ner", "configs/ner.xml")


def test_refuses_to_overwrite_without_force(project, capsys):
    code, output = _init(project, "ner.xml")
    assert code == 0
    output.write_text("mine\n")
    code, _ = _init(project, "ner.xml")
    assert code == 2
    assert "--force" in capsys.readouterr().err
    assert output.read_text() == "mine\n"
    code, _ = _init(project, "ner.xml", "--force")
    assert code == 0
    assert yaml.safe_load(output.read_text())["ruleset"] == "ner"
    assert sorted(p.name for p in output.parent.iterdir()) == ["ner.yaml"]  # no temp files left


@pytest.mark.parametrize("content, message_part", [
    (None, "cannot read labeling config"),
    ("<View><Text name='t' value='$t'>", "malformed labeling config XML"),
    ("<View><Text name='t' value='$t'/></View>", "no control tags"),
    ("<View>" * 100_000 + "</View>" * 100_000, "nested more than 100 tags deep"),
])
def test_bad_config_exits_2_with_one_line(tmp_path, capsys, content, message_part):
    config = tmp_path / "config.xml"
    if content is not None:
        config.write_text(content)
    assert main(["init", "--config", str(config), "--output", str(tmp_path / "out.yaml")]) == 2
    error = capsys.readouterr().err
    assert message_part in error
    assert error.count("\n") == 1
    assert not (tmp_path / "out.yaml").exists()


def test_unwritable_output_exits_2_and_leaves_nothing(project, capsys):
    output = project / "missing-directory" / "rules.yaml"
    code = main(["init", "--config", str(project / "configs" / "ner.xml"), "--output", str(output)])
    assert code == 2
    assert "cannot write" in capsys.readouterr().err
    assert not output.parent.exists()


def test_init_says_when_the_config_lies_outside_the_rulesets_project(tmp_path, capsys):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "c.xml").write_text((CONFIGS / CONFIG_FILES[0]).read_text())
    output = tmp_path / "rules" / "r.yaml"
    output.parent.mkdir()
    assert main(["init", "--config", str(tmp_path / "configs" / "c.xml"), "-o", str(output)]) == 0
    assert "outside the ruleset's project root" in capsys.readouterr().err
    assert main(["check", "--allow-outside-root", str(output)]) == 0
