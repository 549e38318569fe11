"""How fast the webhook answers, and how much it slows a save in Label Studio (loopback only).

Label Studio calls the hook synchronously inside the annotator's save (1 s timeout), so
the figures that matter are the hook's answer time under load and the time it adds to a
save. Bounded: a fixed number of requests at a fixed rate, then it stops by itself.

    .venv/bin/python bench/bench_webhook.py [--rate 200] [--seconds 20] [--saves 100]

It starts its own Label Studio (LSRULES_LS_VENV, as the tests do) and `lsrules serve` on
127.0.0.1, and prints one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from tests.labelstudio.server import LabelStudioServer, LsrulesServer  # noqa: E402

DEFAULT_RULESET = REPOSITORY / "tests" / "labelstudio" / "fixtures" / "sentiment.yaml"
SECRET = "bench-secret-0123456789"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def milliseconds(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_ms": round(percentile(values, 0.50) * 1000, 2),
            "p99_ms": round(percentile(values, 0.99) * 1000, 2),
            "max_ms": round(max(values) * 1000, 2)}


def webhook_load(server: LsrulesServer, project_id: int, task_ids: list[int], rate: float,
                 seconds: float) -> dict:
    """Open-loop at `rate` per second: each request is sent at its scheduled time."""
    total = int(rate * seconds)
    durations, statuses = [], {}
    interval = 1.0 / rate
    with httpx.Client(timeout=5, headers={"X-Webhook-Secret": SECRET}) as http:
        started = time.perf_counter()
        for number in range(total):
            scheduled = started + number * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            task_id = task_ids[number % len(task_ids)]
            body = {"action": "ANNOTATION_CREATED", "project": {"id": project_id},
                    "task": {"id": task_id, "data": {"text": "bench"}, "meta": {}},
                    "annotation": {"id": 10_000_000 + number, "task": task_id,
                                   "updated_at": "2026-01-01T00:00:00Z",
                                   "result": [{"id": "r", "from_name": "sentiment",
                                               "to_name": "text", "type": "choices",
                                               "value": {"choices": ["Neutral"]}}]}}
            before = time.perf_counter()
            response = http.post(server.hook_url, json=body)
            durations.append(time.perf_counter() - before)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        elapsed = time.perf_counter() - started
    return {**milliseconds(durations), "achieved_rate": round(total / elapsed, 1),
            "statuses": statuses}


class NullReceiver:
    """A webhook receiver that answers 200 at once and does nothing: what Label Studio's own
    webhook machinery costs a save, whatever the receiver does."""

    def __init__(self):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def save_times(client, task_ids: list[int], pause: float = 0.0) -> list[float]:
    """Save one annotation per task, `pause` seconds apart (an annotator does not save
    back-to-back; the pause lets the service's write-back finish between saves)."""
    durations = []
    for task_id in task_ids:
        time.sleep(pause)
        before = time.perf_counter()
        client.annotations.create(id=task_id, result=[{
            "from_name": "sentiment", "to_name": "text", "type": "choices",
            "value": {"choices": ["Neutral"]}}])
        durations.append(time.perf_counter() - before)
    return durations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ruleset", type=Path, default=DEFAULT_RULESET)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--saves", type=int, default=100)
    parser.add_argument("--pause", type=float, default=0.5,
                        help="seconds between saves (an annotator's think time)")
    args = parser.parse_args()

    import yaml
    from label_studio_sdk import LabelStudio

    from lsrules.cli import main as lsrules_main

    document = yaml.safe_load(args.ruleset.read_text())
    config = (args.ruleset.parent / document["labeling_config"]).read_text()
    with tempfile.TemporaryDirectory(prefix="lsrules-bench-") as directory:
        label_studio = LabelStudioServer(Path(directory) / "label-studio")
        label_studio.start()
        server = None
        try:
            http = httpx.Client(timeout=30)
            client = LabelStudio(base_url=label_studio.url, api_key=label_studio.token,
                                 httpx_client=http)
            plain = client.projects.create(title="no hook", label_config=config).id
            hooked = client.projects.create(title="hook", label_config=config).id
            nulled = client.projects.create(title="null hook", label_config=config).id
            receiver = NullReceiver()
            client.webhooks.create(project=nulled, url=receiver.url, send_payload=True,
                                   send_for_all_actions=True)
            for project_id in (plain, hooked, nulled):
                client.projects.import_tasks(id=project_id, request=[
                    {"text": f"t{n}"} for n in range(args.saves)])
            tasks = {project_id: sorted(task.id for task in client.tasks.list(
                project=project_id, page_size=100)) for project_id in (plain, hooked, nulled)}
            server = LsrulesServer([args.ruleset], label_studio.url, label_studio.token, SECRET,
                                   Path(directory) / "lsrules.sqlite", [])
            server.start()
            os.environ.update(LABEL_STUDIO_API_KEY=label_studio.token,
                              LSRULES_WEBHOOK_SECRET=SECRET)
            lsrules_main(["connect", str(args.ruleset), "--project", str(hooked),
                          "--hook-url", server.hook_url, "--ls-url", label_studio.url])
            for project_id in (plain, hooked, nulled):  # warm up every path
                save_times(client, tasks[project_id][:5], args.pause)
            without_hook, with_hook, with_null_hook = [], [], []
            for position in range(5, args.saves):  # interleaved: the machine drifts
                without_hook += save_times(client, [tasks[plain][position]], args.pause)
                with_hook += save_times(client, [tasks[hooked][position]], args.pause)
                with_null_hook += save_times(client, [tasks[nulled][position]], args.pause)
            receiver.close()
            load = webhook_load(server, hooked, tasks[hooked], args.rate, args.seconds)
            http.close()
            figures = {
                "webhook_under_load": {"rate_per_second": args.rate, "seconds": args.seconds,
                                       **load},
                "save_without_hook": milliseconds(without_hook),
                "save_with_hook": milliseconds(with_hook),
                "save_with_null_hook": milliseconds(with_null_hook),
                "pause_between_saves_s": args.pause,
                "added_at_p50_ms": round((statistics.median(with_hook)
                                          - statistics.median(without_hook)) * 1000, 2),
                "label_studio_webhook_cost_at_p50_ms": round(
                    (statistics.median(with_null_hook) - statistics.median(without_hook))
                    * 1000, 2),
                "lsrules_cost_at_p50_ms": round(
                    (statistics.median(with_hook) - statistics.median(with_null_hook))
                    * 1000, 2),
            }
            print(json.dumps(figures, indent=2))
        finally:
            if server is not None:
                server.stop()
            label_studio.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
