"""Two `serve` replicas on one PostgreSQL store behind one address, against the real Label
Studio: webhooks are spread over both, the replica holding the stream rules is killed with
SIGKILL while annotations are being saved, and still every annotation gets exactly one
decision, every correction is written exactly once, and the stream findings are those of
one replica reading the same events in order."""
from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg.rows import dict_row
from tests.labelstudio.balancer import Balancer
from tests.labelstudio.conftest import FIXTURES
from tests.labelstudio.live_helpers import (
    choice,
    connect,
    create_project,
    health,
    settled,
    wait_for,
)
from tests.labelstudio.server import LsrulesServer

import lsrules
from lsrules.labelstudio.store_postgres import STREAM_LOCK_CLASS, PostgresStore
from lsrules.streams.events import annotation_id
from lsrules.streams.runtime import StreamRuntime

pytestmark = [pytest.mark.labelstudio, pytest.mark.stream]
RULESET = FIXTURES / "sentiment_streams.yaml"
LABELS = ["positive", "Negative", "Neutral"]
VERDICTS = {"positive": "fixed", "Negative": "review", "Neutral": "accept"}
ANNOTATIONS = 45


def query(url: str, sql: str) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as connection:
        return connection.execute(sql).fetchall()


def per_annotation(url: str, sql: str) -> dict[int, int]:
    return {row["annotation_id"]: row["n"] for row in query(url, sql)}


def stream_holders(url: str) -> int:
    return query(url, "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' "
                      f"AND granted AND classid::bigint = {STREAM_LOCK_CLASS}")[0]["n"]


def stream_caught_up(url: str) -> bool:
    rows = query(url, "SELECT (SELECT max(cursor) FROM stream_positions) AS cursor, "
                      "(SELECT max(id) FROM events) AS last, "
                      "(SELECT count(*) FROM events WHERE status = 'pending') AS pending")
    return rows[0]["pending"] == 0 and rows[0]["cursor"] == rows[0]["last"]


def recorded_findings(store) -> list[tuple]:
    return sorted((record["detail"]["stream"]["rule"], record["detail"]["stream"]["key"],
                   record["annotation_id"],
                   tuple(event["annotation_id"] for event in record["detail"]["stream"]["events"]))
                  for record in store.audit_records()
                  if record["kind"] == "decision" and "stream" in record["detail"])


def one_replica_findings(store) -> list[tuple]:
    """The stream rules fed by one runtime that never stopped, over the same events in the
    same order (event id), each annotation with the verdict it was given."""
    runtime = StreamRuntime(lsrules.load(str(RULESET)).ruleset)
    found = []
    for event, decisions in store.evaluated_events(0, 100_000):
        for decision in decisions:
            task, annotation = event.payload["task"], event.payload["annotation"]
            assert annotation["id"] == decision["annotation_id"]
            route = (decision.get("route") or {}).get("name")
            rules = [finding["rule"] for finding in decision.get("findings") or []]
            for finding in runtime.feed(task, annotation, decision["verdict"], rules, route):
                found.append((finding.rule.id, finding.key, annotation_id(finding.trigger),
                              tuple(annotation_id(item) for item in finding.events)))
    return sorted(found)


def test_two_replicas_one_killed_mid_stream_decide_and_write_everything_once(
        client, live_environment, postgres, webhook_secret, tmp_path, capsys):
    project_id = create_project(client, RULESET, "replicas")
    client.projects.import_tasks(id=project_id,
                                 request=[{"text": f"t{n}"} for n in range(ANNOTATIONS)])
    task_ids = sorted(task.id for task in client.tasks.list(project=project_id, page_size=100))
    url = postgres.new_database()

    def replica(name: str) -> LsrulesServer:
        return LsrulesServer([RULESET], live_environment.url, live_environment.token,
                             webhook_secret, url, [project_id], log=tmp_path / f"{name}.log")

    first, second = replica("first"), replica("second")
    balancer = Balancer([])
    try:
        first.start()
        wait_for(lambda: stream_holders(url) == 1, what="the first replica holding the stream")
        second.start()
        balancer.backends[:] = [first.url, second.url]
        balancer.sent.update({first.url: 0, second.url: 0})
        balancer.start()
        connect(RULESET, project_id, f"{balancer.url}/webhook", live_environment.url, capsys)
        created: dict[int, str] = {}
        errors: list[BaseException] = []

        def annotate() -> None:
            try:
                for number, task_id in enumerate(task_ids):
                    label = LABELS[number % 3]
                    created[client.annotations.create(id=task_id, result=choice(label)).id] = \
                        label
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        saver = threading.Thread(target=annotate)
        saver.start()
        wait_for(lambda: (len(created) >= 18 and balancer.sent[first.url] >= 5) or errors,
                 what="annotations handled by both replicas")
        first.kill()  # the stream's holder, mid-stream: its claims wait for their leases
        saver.join(300)
        assert not errors and len(created) == ANNOTATIONS
        # the killed replica's claimed rows come back when their leases (60 s) run out
        wait_for(lambda: settled(second) and stream_caught_up(url), timeout=300,
                 what="every event, stream and write-back done by the surviving replica")
        assert stream_holders(url) == 1
        assert balancer.sent[first.url] > 0 and balancer.sent[second.url] > 0

        store = PostgresStore(url)
        try:
            # one decision per annotation, the right one
            decisions = {}
            for record in store.audit_records():
                if record["kind"] == "decision" and "stream" not in record["detail"]:
                    decisions.setdefault(record["annotation_id"], []).append(record["status"])
            assert decisions == {annotation_id: [VERDICTS[label]]
                                 for annotation_id, label in created.items()}
            # each correction written once: one applied write-back per annotation (the
            # killed replica may have written one and died before recording it: then the
            # replica taking it over finds it "already holds the corrected result"), and
            # Label Studio's echo of the write (one ANNOTATION_UPDATED webhook) once
            corrected = {annotation_id for annotation_id, label in created.items()
                         if label == "positive"}
            writes = per_annotation(url, "SELECT annotation_id::bigint, count(*) AS n "
                                         "FROM writebacks WHERE kind = 'correction' "
                                         "AND status = 'applied' GROUP BY annotation_id")
            assert writes == {annotation_id: 1 for annotation_id in corrected}
            notes = {row["last_error"] for row in query(
                url, "SELECT last_error FROM writebacks WHERE kind = 'correction'")}
            assert notes <= {None, "already holds the corrected result"}
            echoes = per_annotation(url, "SELECT annotation_id, count(*) AS n FROM events "
                                         "WHERE action = 'ANNOTATION_UPDATED' "
                                         "GROUP BY annotation_id")
            assert echoes == {annotation_id: 1 for annotation_id in corrected}
            for annotation_id in sorted(corrected)[::4]:
                assert client.annotations.get(annotation_id).result[0]["value"]["choices"] == \
                    ["Positive"]
            # the stream rules: what one replica reading the same events finds
            findings = recorded_findings(store)
            assert len(findings) >= 3
            assert findings == one_replica_findings(store)
            counts = health(second)
            assert not counts.get("events_failed") and not counts.get("writebacks_failed")
        finally:
            store.close()
    finally:
        if balancer.thread.is_alive():
            balancer.stop()
        first.stop()
        second.stop()
