"""`serve` as one replica and as two on one PostgreSQL: webhook answer time under load, and
how fast the replicas turn queued events into decisions (loopback only).

Label Studio calls the hook inside the annotator's save with a 1 s timeout, so the figure
that matters is the highest rate the webhook answers at with p99 under 50 ms; the second
is the decision rate, which is what replicas add. For each configuration it starts a fresh
database, the replicas (`lsrules serve --store postgresql://...`, each on its own port; the
client spreads the webhooks round-robin, as a balancer would), then:
- load steps: open-loop webhooks at each `--rates` value for `--seconds`, sent by a pool
  of client threads at their scheduled times; answer time p50/p99/max per step;
- drain: `--backlog` events sent as fast as the webhooks take them; the time from the
  first send until every one is decided gives the decision rate.
Label Studio is not started: write-backs go to a closed port and wait in their retry
backoff, so the workers' time is the events' evaluation and the store, as it is in a
deployment where Label Studio answers quickly. Bounded; it stops by itself.

    .venv/bin/python bench/bench_replicas.py [--rates 25,50,100,200] [--seconds 10] \
        [--backlog 2000] [--replicas sqlite,1,2]

Prints one JSON object with the figures. Needs the postgres extra and a PostgreSQL server
(as the tests do: Debian's package or LSRULES_PG_BIN).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from tests.labelstudio.postgres_server import PostgresServer, free_port  # noqa: E402
from tests.labelstudio.server import LsrulesServer  # noqa: E402

RULESET = REPOSITORY / "tests" / "labelstudio" / "fixtures" / "sentiment.yaml"
SECRET = "bench-secret-0123456789"
LABELS = ["positive", "Negative", "Neutral"]
CLIENT_THREADS = 16


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def milliseconds(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_ms": round(percentile(values, 0.50) * 1000, 2),
            "p99_ms": round(percentile(values, 0.99) * 1000, 2),
            "max_ms": round(max(values) * 1000, 2)}


class Webhooks:
    """Numbered ANNOTATION_CREATED webhooks, sent round-robin to the replicas."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()
        self.http = httpx.Client(timeout=10, headers={"X-Webhook-Secret": SECRET},
                                 limits=httpx.Limits(max_connections=CLIENT_THREADS * 2))

    def send(self) -> tuple[float, int]:
        with self.lock:
            number = next(self.numbers)
        task_id = 1_000_000 + number
        body = {"action": "ANNOTATION_CREATED", "project": {"id": 1},
                "task": {"id": task_id, "data": {"text": f"t{number}"}, "meta": {}},
                "annotation": {"id": 2_000_000 + number, "task": task_id, "completed_by": 1,
                               "created_at": "2026-01-01T00:00:00Z",
                               "updated_at": "2026-01-01T00:00:00Z",
                               "result": [{"id": "r", "from_name": "sentiment",
                                           "to_name": "text", "type": "choices",
                                           "value": {"choices": [LABELS[number % 3]]}}]}}
        url = self.urls[number % len(self.urls)]
        before = time.perf_counter()
        try:
            status = self.http.post(f"{url}/webhook", json=body).status_code
        except httpx.TimeoutException:
            status = 0  # no answer within the client's 10 s
        return time.perf_counter() - before, status

    def load(self, rate: float, seconds: float) -> dict:
        """Open loop: request n is sent at start + n / rate, by whichever thread is free."""
        total = int(rate * seconds)
        started = time.perf_counter()

        def one(number: int) -> tuple[float, int]:
            delay = started + number / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            return self.send()

        with concurrent.futures.ThreadPoolExecutor(CLIENT_THREADS) as pool:
            results = list(pool.map(one, range(total)))
        elapsed = time.perf_counter() - started
        statuses: dict[int, int] = {}
        for _, status in results:
            statuses[status] = statuses.get(status, 0) + 1
        durations = [duration for duration, _ in results]
        return {"rate": rate, **milliseconds(durations),
                "over_1s": sum(duration > 1.0 for duration in durations),
                "achieved_rate": round(total / elapsed, 1), "statuses": statuses}


def decided(url: str) -> tuple[int, int]:
    """(events decided or skipped, events) in the store."""
    if url.startswith("postgresql://"):
        import psycopg

        connect = psycopg.connect
    else:
        import sqlite3

        connect = sqlite3.connect
    connection = connect(url)
    try:
        row = connection.execute("SELECT count(*) FILTER (WHERE status <> 'pending'), "
                                 "count(*) FROM events").fetchone()
    finally:
        connection.close()
    return row[0], row[1]


def configuration(postgres: PostgresServer, kind: str, rates: list[float],
                  seconds: float, backlog: int, directory: Path) -> dict:
    """`kind` is a number of replicas on PostgreSQL, or `sqlite`: one on a SQLite file."""
    replicas = 1 if kind == "sqlite" else int(kind)
    url = str(directory / "store.sqlite") if kind == "sqlite" else postgres.new_database()
    closed_port = f"http://127.0.0.1:{free_port()}"  # Label Studio: nobody listens
    servers = [LsrulesServer([RULESET], closed_port, "no-token", SECRET, url, [],
                             extra_arguments=["--retry-max", "60"],
                             log=directory / f"serve-{kind}-{n}.log")
               for n in range(replicas)]
    try:
        for server in servers:
            server.start()
        webhooks = Webhooks([server.url for server in servers])
        for _ in range(50):  # warm up: imports, compiled rules, connections
            webhooks.send()
        steps = [webhooks.load(rate, seconds) for rate in rates]
        while decided(url)[0] < decided(url)[1]:  # the steps' events, before the drain
            time.sleep(0.2)
        before, _ = decided(url)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(CLIENT_THREADS) as pool:
            blast = list(pool.map(lambda _: webhooks.send(), range(backlog)))
        sent = time.perf_counter() - started
        unanswered = sum(status != 200 for _, status in blast)
        while decided(url)[0] < before + backlog - unanswered:
            time.sleep(0.05)
        drained = time.perf_counter() - started
        webhooks.http.close()
        within = [step["rate"] for step in steps if step["p99_ms"] < 50]
        return {"store": "sqlite" if kind == "sqlite" else "postgresql", "replicas": replicas,
                "steps": steps,
                "highest_rate_with_p99_under_50ms": max(within) if within else None,
                "backlog": backlog, "backlog_sent_s": round(sent, 2),
                "backlog_webhook": milliseconds([duration for duration, _ in blast]),
                "backlog_unanswered": unanswered,
                "backlog_decided_s": round(drained, 2),
                "decisions_per_s": round(backlog / drained, 1)}
    finally:
        for server in servers:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="25,50,100,200")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--replicas", default="sqlite,1,2",
                        help="configurations: numbers of replicas on PostgreSQL, and `sqlite` "
                             "for one replica on SQLite (the default store, for reference)")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    postgres = PostgresServer()
    postgres.start()
    try:
        with tempfile.TemporaryDirectory(prefix="lsrules-bench-") as directory:
            results = []
            for kind in args.replicas.split(","):
                results.append(configuration(postgres, kind, rates, args.seconds, args.backlog,
                                             Path(directory)))
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # as it goes
    finally:
        postgres.stop()
    print(json.dumps({"ruleset": RULESET.name, "client_threads": CLIENT_THREADS,
                      "configurations": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
