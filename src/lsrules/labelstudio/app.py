"""The webhook receiver: check, persist, answer. Nothing else happens inside the request.

Label Studio calls the hook synchronously inside the annotator's save, with a 1 s timeout
and no retry; so the handler does the least that makes the event safe (one SQLite insert)
and leaves evaluation to the worker, which it wakes up.

`/health` answers anyone with up or down (200 or 503); its counters (queues, failures, the
start-up sync) only to a caller that sends the webhook secret header, or to everyone when
the service runs with `--health-details`: they say how busy the service is and what fails.

With a `ModelBackend`, the app is also Label Studio's model for the projects it serves:
`/setup`, `/predict`, and START_TRAINING on `/webhook` (see `model_backend.py`). Label
Studio authenticates to a model with HTTP Basic auth only: there, the password is the
webhook secret (the user name is not checked); the secret header works too.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lsrules.labelstudio.model_backend import ModelBackend, ModelUnavailable
from lsrules.labelstudio.payloads import HANDLED_ACTIONS, PayloadError, summarize
from lsrules.labelstudio.store import Store

DEFAULT_SECRET_HEADER = "X-Webhook-Secret"
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
TRAINING_ACTION = "START_TRAINING"
PREDICT_TIMEOUT_SECONDS = 90.0  # Label Studio gives a model 100 s


@dataclass(frozen=True)
class WebhookSettings:
    secret: str
    secret_header: str = DEFAULT_SECRET_HEADER
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    health_details: bool = False  # counters in `/health` for callers without the secret


class BodyTooLarge(Exception):
    pass


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The body, refusing early (by Content-Length) or while streaming past `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(store: Store, settings: WebhookSettings,
               wake_worker: Callable[[], None] = lambda: None,
               health: Callable[[], dict] = lambda: {"status": "UP"},
               accepts_project: Callable[[int | None], bool] | None = None,
               model: ModelBackend | None = None) -> Starlette:
    """The ASGI app; `wake_worker` is called after an event is stored; an event from a
    project `accepts_project` refuses is answered 404 and not stored; `health` returns the
    service's state with `status` "UP" or "DOWN" and its counters; `model` answers Label
    Studio's model calls (without it, they are 404)."""
    expected_secret = settings.secret.encode("utf-8")

    def authenticated(request: Request) -> bool:
        given = request.headers.get(settings.secret_header, "").encode("utf-8")
        return hmac.compare_digest(given, expected_secret) or \
            hmac.compare_digest(basic_password(request), expected_secret)

    async def model_body(request: Request) -> dict | JSONResponse:
        """The JSON object a model call posts, or the error answer."""
        if model is None:
            return _error(404, "this service runs no model: give it a ruleset with a "
                               "suggester")
        if not authenticated(request):
            return _error(401, "Basic auth with the webhook secret as password is required")
        try:
            raw = await read_limited_body(request, settings.max_body_bytes)
            body = json.loads(raw)
        except BodyTooLarge:
            return _error(413, f"body larger than {settings.max_body_bytes} bytes")
        except ClientDisconnect:
            return _error(400, "client disconnected")
        except ValueError as error:
            return _error(400, f"not JSON: {error}")
        if not isinstance(body, dict):
            return _error(400, "the body is not a JSON object")
        return body

    async def answer(work: Callable[[], Future]) -> JSONResponse:
        try:
            result = await asyncio.wait_for(asyncio.wrap_future(work()),
                                            PREDICT_TIMEOUT_SECONDS)
        except ModelUnavailable as error:
            return _error(404, str(error))
        except asyncio.TimeoutError:
            return _error(503, "the worker is busy: try again")
        return JSONResponse(result)

    async def setup(request: Request) -> JSONResponse:
        body = await model_body(request)
        if isinstance(body, JSONResponse):
            return body
        assert model is not None  # model_body answers 404 without one
        return await answer(lambda: model.setup(body.get("project")))

    async def predict(request: Request) -> JSONResponse:
        body = await model_body(request)
        if isinstance(body, JSONResponse):
            return body
        assert model is not None
        tasks = body.get("tasks")
        if not isinstance(tasks, list):
            return _error(400, "'tasks' must be a list of tasks")
        return await answer(lambda: model.predict(body.get("project"), tasks))

    async def training(body: dict) -> JSONResponse:
        if model is None:
            return JSONResponse({"status": "ignored", "action": TRAINING_ACTION})
        project_id = model.train(body.get("project"))
        if project_id is None:
            return _error(404, "the project is bound to no ruleset this service runs")
        return JSONResponse({"status": "syncing", "project": project_id}, status_code=201)

    async def webhook(request: Request) -> JSONResponse:
        if not authenticated(request):
            return _error(401, f"missing or wrong {settings.secret_header} header")
        try:
            raw = await read_limited_body(request, settings.max_body_bytes)
        except BodyTooLarge:
            return _error(413, f"body larger than {settings.max_body_bytes} bytes")
        except ClientDisconnect:
            return _error(400, "client disconnected")
        try:
            body = json.loads(raw)
            summary = summarize(body, raw)
        except (ValueError, PayloadError) as error:
            return _error(400, f"not a Label Studio webhook event: {error}")
        if summary.action == TRAINING_ACTION:
            return await training(body)
        if summary.action not in HANDLED_ACTIONS:
            return JSONResponse({"status": "ignored", "action": summary.action})
        if accepts_project is not None and not accepts_project(summary.project_id):
            return _error(404, f"project {summary.project_id} is bound to no ruleset this "
                               "service runs")
        event_id = store.add_event(summary.action, summary.project_id, summary.task_id,
                                   summary.annotation_id, raw.decode("utf-8"),
                                   summary.dedupe_key)
        if event_id is None:
            return JSONResponse({"status": "duplicate"})
        wake_worker()
        return JSONResponse({"status": "queued", "event_id": event_id})

    async def health_check(request: Request) -> JSONResponse:
        try:
            state = dict(health())
        except Exception:  # the store cannot be read: that is down
            state = {"status": "DOWN"}
        state.setdefault("status", "UP")
        code = 200 if state["status"] == "UP" else 503
        if not (settings.health_details or authenticated(request)):
            state = {"status": state["status"]}
        return JSONResponse(state, status_code=code)

    return Starlette(routes=[
        Route("/webhook", webhook, methods=["POST"]),
        Route("/health", health_check, methods=["GET"]),
        Route("/setup", setup, methods=["POST"]),
        Route("/predict", predict, methods=["POST"]),
    ])


def basic_password(request: Request) -> bytes:
    """The password of an `Authorization: Basic` header, or b"" (none, or malformed)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return b""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return b""
    return decoded.partition(b":")[2]
