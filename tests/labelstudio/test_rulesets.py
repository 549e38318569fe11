"""Several rulesets in one worker, each judging its own projects, and reloaded while it runs:
a changed file (or SIGHUP's request) reloads between two events, a broken one keeps the old
ruleset with a one-line located error, and no event is lost or judged twice."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.labelstudio.fake_label_studio import FakeLabelStudio

import lsrules
from lsrules.errors import LsrulesError
from lsrules.labelstudio.payloads import summarize
from lsrules.labelstudio.rulesets import Rulesets
from lsrules.labelstudio.store import SQLiteStore
from lsrules.labelstudio.worker import Worker

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# the second ruleset: every label goes to the `second` route, nothing is corrected
SECOND = """\
ruleset: second
version: "1"
labeling_config: sentiment.xml
routes:
  second: {priority: 5}
rules:
  - id: everything-to-second
    severity: info
    for: region where region.type == "choices"
    when: region.label != ""
    message: seen by the second ruleset
    route: second
"""


class Service:
    """A worker over two rulesets: `first` judges project 1, `second` project 2."""

    def __init__(self, tmp_path: Path):
        for name in ("sentiment.yaml", "sentiment.xml"):
            shutil.copy(FIXTURES / name, tmp_path / name)
        (tmp_path / "second.yaml").write_text(SECOND)
        self.first = tmp_path / "sentiment.yaml"
        self.second = tmp_path / "second.yaml"
        self.now = 0.0
        self.rulesets = Rulesets([((str(self.first),), frozenset({1})),
                                  ((str(self.second),), frozenset({2}))],
                                 lambda files: lsrules.load(*files), poll_seconds=1,
                                 clock=lambda: self.now)
        self.store = SQLiteStore(tmp_path / "store.sqlite")
        self.label_studio = FakeLabelStudio()
        self.worker = Worker(self.rulesets, self.store, self.label_studio)
        self.next_id = 1

    def annotate(self, project: int, label: str) -> int:
        annotation_id = self.next_id
        self.next_id += 1
        body = {"action": "ANNOTATION_CREATED", "project": {"id": project},
                "task": {"id": 100 + annotation_id, "data": {"text": "t"}},
                "annotation": {"id": annotation_id, "task": 100 + annotation_id,
                               "updated_at": f"2026-01-01T00:00:{annotation_id:02d}Z",
                               "result": [{"id": "r1", "from_name": "sentiment",
                                           "to_name": "text", "type": "choices",
                                           "value": {"choices": [label]}}]}}
        self.label_studio.annotations[annotation_id] = json.loads(json.dumps(
            body["annotation"]))
        self.label_studio.tasks[100 + annotation_id] = json.loads(json.dumps(body["task"]))
        raw = json.dumps(body).encode()
        summary = summarize(body, raw)
        self.store.add_event(summary.action, summary.project_id, summary.task_id,
                             summary.annotation_id, raw.decode(), summary.dedupe_key)
        return annotation_id

    def decisions(self) -> dict[int, list[dict]]:
        """annotation id -> its decisions, in order."""
        found: dict[int, list[dict]] = {}
        for record in self.store.audit_records():
            if record["kind"] == "decision":
                found.setdefault(record["annotation_id"], []).append(record["detail"])
        return found

    def settle(self) -> None:
        assert self.worker.run_until_idle(timeout=10)


@pytest.fixture
def service(tmp_path):
    service = Service(tmp_path)
    yield service
    service.store.close()


def judged_by(decision: dict) -> str:
    return decision["audit"]["ruleset"]


def test_each_project_is_judged_by_its_own_ruleset(service):
    first, second = service.annotate(1, "positive"), service.annotate(2, "positive")
    service.settle()
    decisions = service.decisions()
    assert judged_by(decisions[first][0]) == "lsrules-live-sentiment"
    assert decisions[first][0]["verdict"] == "fixed"
    assert judged_by(decisions[second][0]) == "second"
    assert decisions[second][0]["route"]["name"] == "second"
    assert service.label_studio.annotations[second]["result"][0]["value"]["choices"] == [
        "positive"]  # the second ruleset corrects nothing
    summary = service.label_studio.tasks[100 + second]["meta"]["lsrules"][str(second)]
    assert summary["ruleset"] == "second@1"


def test_a_worker_claims_no_event_of_a_project_it_does_not_judge(service):
    stray = service.annotate(9, "positive")
    judged = service.annotate(1, "positive")
    service.settle()
    assert list(service.decisions()) == [judged]
    assert [event.annotation_id for event in service.store.pending_events()] == [stray]


def test_an_edited_ruleset_judges_the_next_annotation_and_nothing_is_lost(service):
    before = service.annotate(2, "positive")
    service.settle()
    service.second.write_text(SECOND.replace('version: "1"', 'version: "2"'))
    queued = [service.annotate(2, "Negative") for _ in range(3)]  # wait in the queue
    service.now += 1  # the next poll
    service.settle()
    decisions = service.decisions()
    assert sorted(decisions) == [before, *queued]
    assert all(len(found) == 1 for found in decisions.values())  # nothing judged twice
    assert decisions[before][0]["audit"]["version"] == "1"
    assert {decisions[a][0]["audit"]["version"] for a in queued} == {"2"}
    assert service.rulesets.reloads == 1
    # the first ruleset did not change: not reloaded
    assert [s.engine.version for s in service.rulesets.served] == ["1", "2"]


def test_a_ruleset_that_fails_to_load_keeps_the_old_one_with_a_located_error(service, caplog):
    service.second.write_text(SECOND.replace("    severity: info\n",
                                             "    severity: info\n    assert: len(\n"))
    service.now += 1
    annotation = service.annotate(2, "positive")
    service.settle()
    assert judged_by(service.decisions()[annotation][0]) == "second"
    assert service.rulesets.reload_failures == 1 and service.rulesets.reloads == 0
    error = service.rulesets.last_reload_error
    assert error.startswith(f"{service.second}:9:17: LSR100") and "\n" not in error
    logged = [r.getMessage() for r in caplog.records if "reload failed" in r.getMessage()]
    assert len(logged) == 1 and "\n" not in logged[0] and error in logged[0]
    service.now += 1  # the broken file is not tried again while it stays the same
    service.worker.refresh_rulesets()
    assert service.rulesets.reload_failures == 1
    service.second.write_text(SECOND.replace('version: "1"', 'version: "3"'))
    service.now += 1
    fixed = service.annotate(2, "positive")
    service.settle()
    assert service.decisions()[fixed][0]["audit"]["version"] == "3"
    assert service.rulesets.state()["rulesets"][1] == {
        "ruleset": "second@3", "files": [str(service.second)], "projects": [2]}


def test_a_changed_labeling_config_reloads_and_a_request_reloads_at_once(service, tmp_path):
    config = tmp_path / "sentiment.xml"
    config.write_text(config.read_text().replace("Negative", "Unfavourable"))
    service.now += 1
    assert [s.files for s in service.rulesets.refresh()] == [(str(service.first),),
                                                             (str(service.second),)]
    assert service.rulesets.refresh() == []  # not due, nothing asked
    service.rulesets.request_reload()  # SIGHUP: every ruleset, changed or not
    assert len(service.rulesets.refresh()) == 2
    assert service.rulesets.reloads == 4


def test_an_engine_given_alone_judges_every_project_and_is_never_reloaded():
    engine = object()
    rulesets = Rulesets.of(engine)
    assert rulesets.engine_for(1) is engine and rulesets.engine_for(None) is engine
    assert rulesets.projects() is None
    rulesets.request_reload()
    assert rulesets.refresh() == []


def test_a_ruleset_that_does_not_load_at_start_stops_the_service(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("ruleset: x\nrules: [\n")
    with pytest.raises(LsrulesError):
        Rulesets([((str(broken),), None)], lambda files: lsrules.load(*files))


def test_the_files_watched_are_the_ruleset_its_config_what_it_extends_and_its_model():
    from types import SimpleNamespace

    from lsrules.labelstudio.rulesets import read_files

    ruleset = SimpleNamespace(labeling_config_path="r/config.xml",
                              extended_files=["r/base.yaml"], suggester={"model": "r/model.json"})
    assert read_files(("r/a.yaml",), SimpleNamespace(ruleset=ruleset)) == [
        "r/a.yaml", "r/config.xml", "r/base.yaml", "r/model.json"]
    ruleset = SimpleNamespace(labeling_config_path=None, extended_files=[],
                              suggester={"model": None})
    assert read_files(("r/a.yaml",), SimpleNamespace(ruleset=ruleset)) == ["r/a.yaml"]
    assert read_files(("r/a.yaml",), object()) == ["r/a.yaml"]  # an engine without a ruleset


def test_a_deleted_ruleset_keeps_the_old_one_running(service, caplog):
    service.second.unlink()
    service.now += 1
    annotation = service.annotate(2, "positive")
    service.settle()
    assert judged_by(service.decisions()[annotation][0]) == "second"
    assert service.rulesets.reload_failures == 1
    assert str(service.second) in service.rulesets.last_reload_error
    assert "\n" not in service.rulesets.last_reload_error


def test_an_edited_file_the_ruleset_extends_reloads_it(service, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(SECOND.replace("ruleset: second", "ruleset: base").replace(
        "everything-to-second", "from-base"))
    service.second.write_text(SECOND.replace("rules:\n", "extends: [base.yaml]\nrules:\n"))
    service.now += 1
    assert [s.files for s in service.rulesets.refresh()] == [(str(service.second),)]
    assert str(base) in [path for path, _ in service.rulesets.served[1].fingerprint]
    base.write_text(base.read_text().replace("seen by the second ruleset", "changed"))
    service.now += 1
    assert [s.files for s in service.rulesets.refresh()] == [(str(service.second),)]
    assert service.rulesets.reloads == 2


def test_a_reload_request_reads_the_bindings_again(service, caplog):
    bindings = [((str(service.first),), frozenset({1, 3})),
                ((str(service.second),), frozenset({2}))]
    service.rulesets.bindings_source = lambda: bindings
    service.rulesets.request_reload()
    assert [s.projects for s in service.rulesets.refresh()] == [frozenset({1, 3}),
                                                                frozenset({2})]
    assert service.rulesets.accepts(3) and service.rulesets.reloads == 2
    annotation = service.annotate(3, "positive")  # a project bound since: judged
    service.settle()
    assert judged_by(service.decisions()[annotation][0]) == "lsrules-live-sentiment"

    def unreadable():
        raise LsrulesError("duplicate key", "lsrules.toml:4:1")

    service.rulesets.bindings_source = unreadable  # the old bindings run on; rulesets reload
    service.rulesets.request_reload()
    assert len(service.rulesets.refresh()) == 2
    assert service.rulesets.accepts(3) and service.rulesets.reload_failures == 1
    assert service.rulesets.last_reload_error == "lsrules.toml:4:1: duplicate key"
    logged = [r.getMessage() for r in caplog.records if "bindings were not" in r.getMessage()]
    assert logged == ["the project file's bindings were not reloaded, the old ones still run: "
                      "lsrules.toml:4:1: duplicate key"]
