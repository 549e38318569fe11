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

from tests.labelstudio.server import LabelStudioServer, LsrulesServer

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


def save_times(client, task_ids: list[int]) -> list[float]:
    durations = []
    for task_id in task_ids:
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
            for project_id in (plain, hooked):
                client.projects.import_tasks(id=project_id, request=[
                    {"text": f"t{n}"} for n in range(args.saves)])
            tasks = {project_id: sorted(task.id for task in client.tasks.list(
                project=project_id, page_size=100)) for project_id in (plain, hooked)}
            server = LsrulesServer([args.ruleset], label_studio.url, label_studio.token, SECRET,
                                   Path(directory) / "lsrules.sqlite", [])
            server.start()
            os.environ.update(LABEL_STUDIO_API_KEY=label_studio.token,
                              LSRULES_WEBHOOK_SECRET=SECRET)
            lsrules_main(["connect", str(args.ruleset), "--project", str(hooked),
                          "--hook-url", server.hook_url, "--ls-url", label_studio.url])
            save_times(client, tasks[plain][:5])  # warm up both paths
            save_times(client, tasks[hooked][:5])
            without_hook = save_times(client, tasks[plain][5:])
            with_hook = save_times(client, tasks[hooked][5:])
            load = webhook_load(server, hooked, tasks[hooked], args.rate, args.seconds)
            http.close()
            figures = {
                "webhook_under_load": {"rate_per_second": args.rate, "seconds": args.seconds,
                                       **load},
                "save_without_hook": milliseconds(without_hook),
                "save_with_hook": milliseconds(with_hook),
                "added_at_p50_ms": round((statistics.median(with_hook)
                                          - statistics.median(without_hook)) * 1000, 2),
            }
            print(json.dumps(figures, indent=2))
        finally:
            if server is not None:
                server.stop()
            label_studio.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
