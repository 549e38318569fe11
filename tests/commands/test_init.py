"""`lsrules init`: a starter ruleset that parses, names every control and passes `check`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

import lsrules

from lsrules.cli import main
from lsrules.commands.init import example_annotation, render_ruleset
from lsrules.packs.builtin import LabelingConfigPack
from lsrules.ruleset.labeling_config import parse_labeling_config, read_labeling_config

ROOT = Path(__file__).parent.parent.parent
CONFIGS = ROOT / "tests" / "fixtures" / "labeling_configs"
TAGS = ROOT / "tests" / "fixtures" / "tags"
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
    assert text.startswith("# yaml-language-server: $schema=ruleset.schema.json\n")
    document = yaml.safe_load(text)
    assert list(Draft202012Validator(SCHEMA).iter_errors(document)) == []
    assert document["version"] == "1"
    assert document["extends"] == ["builtin:labeling-config"]
    assert document["labeling_config"] == f"../configs/{file_name}"
    assert (output.parent / document["labeling_config"]).resolve() == \
        (project / "configs" / file_name).resolve()
    for control in read_labeling_config(CONFIGS / file_name).controls:
        assert json.dumps(control) in text or f"{control} (" in text, \
            f"neither a rule nor the comment names control {control!r}"
    ids = [rule["id"] for rule in document["rules"]]
    assert len(ids) == len(set(ids))
    assert "not annotation." not in text  # `not <nullable>` skips the rule when it is null
    assert document["tests"][0]["expect"] == {"verdict": "accept"}


def _every_config() -> dict[str, str]:
    """The fixture configs, the config of each control tag's case, and the configs of the
    demo projects a real Label Studio served (labeling_configs/ls_*.xml)."""
    configs = {name: (CONFIGS / name).read_text() for name in CONFIG_FILES}
    for path in sorted(TAGS.glob("*.json")):
        configs[f"tag-{path.stem}.xml"] = json.loads(path.read_text())["config"]
    return configs


EVERY_CONFIG = _every_config()


@pytest.mark.parametrize("file_name", sorted(EVERY_CONFIG))
def test_starter_ruleset_passes_check_with_its_own_test(tmp_path, capsys, file_name):
    (tmp_path / "lsrules.toml").write_text("")
    (tmp_path / file_name).write_text(EVERY_CONFIG[file_name])
    output = tmp_path / "starter.yaml"
    assert main(["init", "--config", str(tmp_path / file_name), "--output", str(output)]) == 0
    assert main(["check", "--strict", str(output)]) == 0, capsys.readouterr().out
    assert "1 test passed, 0 failed" in capsys.readouterr().out


@pytest.mark.parametrize("tag", sorted(path.stem for path in TAGS.glob("*.json")))
def test_starter_rules_leave_what_the_config_states_to_the_pack(tmp_path, tag):
    # each tag's invalid case breaks something the config states: the pack finds it, and
    # none of the starter's own rules reports it a second time
    case = json.loads((TAGS / f"{tag}.json").read_text())
    (tmp_path / "config.xml").write_text(case["config"])
    (tmp_path / "starter.yaml").write_text(
        render_ruleset(parse_labeling_config(case["config"]), name="x",
                       labeling_config="config.xml"))
    engine = lsrules.load(tmp_path / "starter.yaml")
    decision = engine.evaluate({"id": 1, "data": case["data"]},
                               {"id": 2, "result": case["invalid"]})
    assert [finding.rule for finding in decision.findings] == case["expect"]


@pytest.mark.parametrize("file_name", CONFIG_FILES)
def test_example_annotation_satisfies_the_builtin_pack(file_name):
    config = read_labeling_config(CONFIGS / file_name)
    task, annotation = example_annotation(config)
    assert annotation["result"], "the inline test should exercise the controls"
    assert LabelingConfigPack(config).check(task, annotation) == []


def test_a_leafs_only_taxonomy_is_answered_with_a_leaf():
    config = parse_labeling_config(
        '<View><Text name="t" value="$t"/><Taxonomy name="topic" toName="t" leafsOnly="true">'
        '<Choice value="Sport"><Choice value="Tennis"/><Choice value="Golf"/></Choice>'
        '<Choice value="News"/></Taxonomy></View>')
    _, annotation = example_annotation(config)
    assert annotation["result"][0]["value"] == {"taxonomy": [["Sport", "Tennis"]]}
    assert LabelingConfigPack(config).check({"data": {"t": "x"}}, annotation) == []


@pytest.mark.parametrize("file_name, expected_rule, expected_assert", [
    ("image_bbox.xml", "label-not-tiny", "region.width >= 0.5 and region.height >= 0.5"),
    ("image_bbox.xml", "label-no-duplicate",
     'none(o.id != region.id and o.label == region.label and iou(region, o) > 0.9 '
     'for o in regions if o.from_name == "label")'),
    ("ner.xml", "ner-trimmed", "region.text == trim(region.text)"),
    ("polygons.xml", "outline-simple", "self_intersects(region) != true"),
    ("textarea.xml", "transcript-not-blank", "all(len(trim(t)) > 0 for t in region.value.text)"),
    ("per_region.xml", "plate-not-blank", "all(len(trim(t)) > 0 for t in region.attrs.plate.text)"),
    ("text_single.xml", "annotation-not-empty", "len(regions) > 0"),
])
def test_rules_add_what_the_config_cannot_say(file_name, expected_rule, expected_assert):
    config = read_labeling_config(CONFIGS / file_name)
    document = yaml.safe_load(render_ruleset(config, name="x", labeling_config=file_name))
    rules = {rule["id"]: rule for rule in document["rules"]}
    assert rules[expected_rule]["assert"] == expected_assert


@pytest.mark.parametrize("rules_text, annotation_result, fired", [
    # a submitted annotation with no answer; a skipped one (was_cancelled) is left alone
    ("", [], ["annotation-not-empty"]),
    ("tiny", [{"id": "a", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
               "value": {"x": 1, "y": 1, "width": 0.1, "height": 3, "rectanglelabels": ["Car"]}}],
     ["label-not-tiny"]),
])
def test_starter_rules_fire_on_what_they_describe(tmp_path, rules_text, annotation_result, fired):
    (tmp_path / "config.xml").write_text((CONFIGS / "image_bbox.xml").read_text())
    (tmp_path / "starter.yaml").write_text(render_ruleset(
        read_labeling_config(CONFIGS / "image_bbox.xml"), name="x", labeling_config="config.xml"))
    engine = lsrules.load(tmp_path / "starter.yaml")
    task = {"id": 1, "data": {"image": "/x.jpg"}}
    decision = engine.evaluate(task, {"id": 2, "result": annotation_result})
    assert decision.fired == fired
    skipped = engine.evaluate(task, {"id": 3, "result": [], "was_cancelled": True})
    assert skipped.fired == []


@pytest.mark.parametrize("minimum", ["0.00001", "1e-7", "-2.5e-10", "-1e999"])
def test_a_number_bound_is_a_finite_number_in_the_inline_test(project, minimum):
    # YAML 1.1 reads `1e-05` (no dot) as a string, and `inf` is no JSON: the starter's own
    # test would then fail
    (project / "configs" / "number.xml").write_text(
        f'<View><Text name="t" value="$t"/><Number name="n" toName="t" min="{minimum}"/></View>')
    code, output = _init(project, "number.xml")
    assert code == 0
    test = yaml.safe_load(output.read_text())["tests"][0]
    number = float(minimum) if abs(float(minimum)) < 1e300 else 0
    assert test["annotation"]["result"][0]["value"]["number"] == number
    assert main(["check", str(output)]) == 0


@pytest.mark.parametrize("label", ["Type: A", "a #b", "it's", 'say "hi"', "- dash", "yes", "[x]"])
def test_awkward_names_and_labels_survive_yaml_quoting(tmp_path, label):
    escaped = label.replace("&", "&amp;").replace('"', "&quot;")
    xml = (f'<View><Image name="image" value="$image"/><RectangleLabels name="{escaped}" '
           f'toName="image"><Label value="{escaped}"/></RectangleLabels></View>')
    config = parse_labeling_config(xml)
    (tmp_path / "c.xml").write_text(xml)
    text = render_ruleset(config, name="x", labeling_config="c.xml")
    document = yaml.safe_load(text)
    assert document["rules"][1]["for"] == f"region where region.from_name == {json.dumps(label)}"
    item = document["tests"][0]["annotation"]["result"][0]
    assert (item["from_name"], item["value"]["rectanglelabels"]) == (label, [label])
    (tmp_path / "lsrules.toml").write_text("")
    (tmp_path / "x.yaml").write_text(text)
    assert main(["check", str(tmp_path / "x.yaml")]) == 0


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
