"""The CI kit agrees with itself: action.yml, the hooks file and docs/ci.md's examples.

GitHub runs neither here, so what can be checked is checked: every example is valid YAML
or TOML, the workflow gives the Action only inputs it declares and reads only outputs it
has, the Action's script uses only declared inputs, the hooks the examples name exist, and
the example project file is one lsrules accepts.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CI_DOC = (ROOT / "docs" / "ci.md").read_text()
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
HOOKS = {hook["id"]: hook for hook in
         yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", CI_DOC, flags=re.S | re.M)


def _workflows() -> list[dict]:
    return [document for document in map(yaml.safe_load, _blocks("yaml"))
            if isinstance(document, dict) and "jobs" in document]


def test_the_action_is_a_composite_action_using_only_its_inputs():
    assert ACTION["runs"]["using"] == "composite"
    text = (ROOT / "action.yml").read_text()
    used = set(re.findall(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}", text))
    assert used and used <= set(ACTION["inputs"]), used - set(ACTION["inputs"])
    assert set(ACTION["inputs"]) <= used, "an input nothing reads"
    step_ids = {step.get("id") for step in ACTION["runs"]["steps"]}
    for output in ACTION["outputs"].values():
        step = re.fullmatch(r"\$\{\{ steps\.([a-z-]+)\.outputs\.[a-z_-]+ \}\}", output["value"])
        assert step and step.group(1) in step_ids
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash"  # composite run steps must name their shell
            assert "${{" not in step["run"], "inputs reach the script through env only"


def test_every_yaml_example_parses_and_the_workflow_names_real_inputs():
    for block in _blocks("yaml"):
        yaml.safe_load(block)
    workflows = _workflows()
    assert len(workflows) == 1
    steps = [step for job in workflows[0]["jobs"].values() for step in job["steps"]]
    ours = [step for step in steps if re.fullmatch(r"[^/]+/lsrules@\S+", step.get("uses", ""))]
    assert len(ours) == 1
    assert set(ours[0].get("with", {})) <= set(ACTION["inputs"])
    required = {name for name, spec in ACTION["inputs"].items() if spec.get("required")}
    assert required <= set(ours[0].get("with", {}))
    outputs = re.findall(r"steps\.%s\.outputs\.([A-Za-z0-9_-]+)" % ours[0]["id"],
                         yaml.safe_dump(workflows[0]))
    assert outputs and set(outputs) <= set(ACTION["outputs"])
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ steps.%s.outputs.sarif }}" % ours[0]["id"]
    assert workflows[0]["permissions"]["security-events"] == "write"


def test_the_workflow_s_lsrules_run_uses_real_options():
    from lsrules.cli import build_parser

    step = next(step for step in _workflows()[0]["jobs"]["check"]["steps"]
                if str(step.get("run", "")).startswith("lsrules run"))
    arguments = step["run"].split()[1:]
    arguments = [a.strip('"') for a in arguments]
    args = build_parser("run", ["--isolated"]).parse_args([*arguments, "--isolated"])
    assert args.format == "markdown" and args.summary == "$GITHUB_STEP_SUMMARY"


def test_pre_commit_examples_name_the_hook_and_its_entry():
    configs = [document for document in map(yaml.safe_load, _blocks("yaml"))
               if isinstance(document, dict) and "repos" in document]
    assert len(configs) == 2
    for config in configs:
        for repository in config["repos"]:
            for hook in repository["hooks"]:
                assert hook["id"] in HOOKS
                if repository["repo"] == "local":
                    assert hook["entry"] == HOOKS[hook["id"]]["entry"]
                    assert hook["types"] == HOOKS[hook["id"]]["types"]


def test_the_example_project_file_is_accepted(tmp_path, monkeypatch):
    from lsrules.cli import build_parser
    from lsrules.project_file import load_project_file

    (block,) = _blocks("toml")
    (tmp_path / "lsrules.toml").write_text(block)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    project = load_project_file()
    assert project is not None and [b.project for b in project.projects] == [3, 4]
    assert project.ruleset_paths() == ["rulesets/vehicles.yaml", "rulesets/ner.yaml",
                                       "rulesets/drafts"]
    args = build_parser("run", []).parse_args(["run", "r.yaml", "--input", "x.json"])
    assert (args.fail_on, args.jobs) == ("warning", 4)


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_each_hook_runs_an_lsrules_command_with_real_options(hook):
    from lsrules.cli import build_parser

    entry = HOOKS[hook]["entry"].split()
    assert entry[0] == "lsrules"
    build_parser(entry[1], ["--isolated"]).parse_args([*entry[1:], "--isolated", "x.yaml"])
