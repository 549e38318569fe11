"""Wire a Label Studio project to lsrules: the webhook, one Data Manager view per route, and
(with `model=True`) lsrules as the project's model.

Idempotent: it looks for what it would create (the webhook by URL, the views by title, the
model by URL) and creates only what is missing, so running it twice changes nothing.

The model is the service's root URL (the hook URL without `/webhook`), authenticated with
HTTP Basic auth whose password is the webhook secret. Label Studio creates a webhook of its
own for a new model, at that URL plus `/webhook` and without the secret, unless the project
has one there already: so the webhook is registered first.

Views filter on the task's meta. Label Studio 1.23 refuses `meta__key` filters unless an
administrator allow-lists them, but `filter:tasks:meta` with `contains` works on the stored
JSON text; the service writes `"lsrules_route": "<name>"` there (see `writeback.py`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lsrules.errors import LsrulesError
from lsrules.labelstudio.payloads import HANDLED_ACTIONS
from lsrules.labelstudio.writeback import ROUTE_KEY, VERDICT_KEY, LabelStudio, plain

VIEW_PREFIX = "lsrules: "
REJECTED_VIEW = "rejected"
MODEL_TITLE = "lsrules"
MODEL_USER = "lsrules"
HOOK_PATH = "/webhook"


@dataclass
class ConnectReport:
    webhook_id: int | None = None
    webhook_created: bool = False
    views_created: list[str] = field(default_factory=list)
    views_existing: list[str] = field(default_factory=list)
    model_id: int | None = None
    model_created: bool = False


def meta_filter(key: str, value: str) -> dict[str, Any]:
    """A Data Manager filter item selecting tasks whose meta has `key` equal to `value`."""
    return {"filter": "filter:tasks:meta", "operator": "contains", "type": "String",
            "value": json.dumps({key: value})[1:-1]}


def route_views(routes: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Title -> view data: one per route, by priority, and one for rejected annotations."""
    views = {}
    for name in sorted(routes, key=lambda route: -routes[route]):
        views[VIEW_PREFIX + name] = {"title": VIEW_PREFIX + name, "filters": {
            "conjunction": "and", "items": [meta_filter(ROUTE_KEY, name)]}}
    views[VIEW_PREFIX + REJECTED_VIEW] = {"title": VIEW_PREFIX + REJECTED_VIEW, "filters": {
        "conjunction": "and", "items": [meta_filter(VERDICT_KEY, "reject")]}}
    return views


def model_url(hook_url: str) -> str:
    """The service's root URL, where Label Studio calls `/setup` and `/predict`."""
    if not hook_url.rstrip("/").endswith(HOOK_PATH):
        raise LsrulesError(f"--hook-url must end in {HOOK_PATH} to register the model: "
                           f"{hook_url}")
    return hook_url.rstrip("/")[: -len(HOOK_PATH)]


def register_model(label_studio: LabelStudio, project_id: int, url: str,
                   secret: str) -> tuple[int, bool]:
    """lsrules as the project's model at `url`: (its id, whether it was created). Label
    Studio calls `/health` and `/setup` at once, so the service must be running."""
    client = label_studio.client
    wanted = {"url": url, "title": MODEL_TITLE, "auth_method": "BASIC_AUTH",
              "basic_auth_user": MODEL_USER, "basic_auth_pass": secret,
              "is_interactive": False}
    models = [plain(model) for model in label_studio.call(client.ml.list, project=project_id)]
    existing = next((model for model in models
                     if str(model.get("url") or "").rstrip("/") == url), None)
    if existing is None:
        created = label_studio.call(client.ml.create, project=project_id, **wanted)
        return created.id, True
    # the password cannot be read back: set it again, in case the secret changed (Label
    # Studio checks the model again on update, for which it needs the project)
    label_studio.call(client.ml.update, existing["id"], project=project_id, **wanted)
    return existing["id"], False


def connect_project(label_studio: LabelStudio, project_id: int, hook_url: str,
                    secret_header: str, secret: str, routes: dict[str, int],
                    model: bool = False) -> ConnectReport:
    report = ConnectReport()
    client = label_studio.client
    label_studio.call(client.projects.get, project_id)  # a clear 404 for a wrong project
    hooks = [plain(hook) for hook in label_studio.call(client.webhooks.list,
                                                       project=str(project_id))]
    wanted = {"url": hook_url, "send_payload": True, "send_for_all_actions": False,
              "headers": {secret_header: secret}, "is_active": True,
              "actions": sorted(HANDLED_ACTIONS)}
    existing = next((hook for hook in hooks if hook.get("url") == hook_url
                     and hook.get("project") == project_id), None)
    if existing is None:
        created = label_studio.call(client.webhooks.create, project=project_id, **wanted)
        report.webhook_id, report.webhook_created = created.id, True
    else:
        report.webhook_id = existing["id"]
        if (sorted(existing.get("actions") or []) != wanted["actions"]
                or existing.get("headers") != wanted["headers"]
                or not existing.get("send_payload") or not existing.get("is_active")):
            label_studio.call(client.webhooks.update, existing["id"], **wanted)
    titles = {(plain(view).get("data") or {}).get("title")
              for view in label_studio.call(client.views.list, project=project_id)}
    for title, data in route_views(routes).items():
        if title in titles:
            report.views_existing.append(title)
            continue
        label_studio.call(client.views.create, project=project_id, data=data)
        report.views_created.append(title)
    if model:
        report.model_id, report.model_created = register_model(
            label_studio, project_id, model_url(hook_url), secret)
    return report
