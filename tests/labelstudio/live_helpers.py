"""Small helpers the integration tests share: projects, annotations, polling."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from lsrules.cli import main


def wait_for(condition: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll until `condition()` is truthy; fail with `what` otherwise (no timing asserted)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {value!r}")
        time.sleep(0.2)


def labeling_config(ruleset: Path) -> str:
    document = yaml.safe_load(ruleset.read_text())
    return (ruleset.parent / document["labeling_config"]).read_text()


def create_project(client, ruleset: Path, title: str) -> int:
    return client.projects.create(title=title, label_config=labeling_config(ruleset)).id


def connect(ruleset: Path, project_id: int, hook_url: str, ls_url: str, capsys) -> str:
    code = main(["connect", str(ruleset), "--project", str(project_id), "--hook-url", hook_url,
                 "--ls-url", ls_url])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def choice(label: str) -> list[dict]:
    return [{"id": "r1", "from_name": "sentiment", "to_name": "text", "type": "choices",
             "value": {"choices": [label]}}]


def health(server) -> dict:
    """The counters, which `/health` shows to a caller with the webhook secret."""
    return httpx.get(f"{server.url}/health", timeout=5,
                     headers={"X-Webhook-Secret": server.secret}).json()


def settled(server) -> bool:
    """The service has synced at start-up and has no event or write-back pending."""
    counts = health(server)
    return (counts.get("startup_sync") == "done" and not counts.get("events_pending")
            and not counts.get("writebacks_pending"))


def task_meta(client, task_id: int) -> dict:
    return client.tasks.get(str(task_id)).meta or {}


def view_task_ids(client, project_id: int, title: str) -> set[int]:
    view = next(view for view in client.views.list(project=project_id)
                if (view.data or {}).get("title") == title)
    return {task.id for task in client.tasks.list(project=project_id, view=view.id)}
