"""The command-line glue of `lsrules serve`, `connect`, `sync` and `audit`.

Tokens and secrets come from the environment, never from arguments (which `ps` shows):
`LABEL_STUDIO_API_KEY` and `LSRULES_WEBHOOK_SECRET`.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from lsrules.errors import LsrulesError
from lsrules.labelstudio.app import DEFAULT_MAX_BODY_BYTES, DEFAULT_SECRET_HEADER
from lsrules.labelstudio.rulesets import DEFAULT_POLL_SECONDS
from lsrules.labelstudio.writeback import DEFAULT_LABEL_STUDIO_URL
from lsrules.ruleset.containment import add_allow_outside_root_argument
from lsrules.terminal import one_line

DEFAULT_STORE = "lsrules.sqlite"
logger = logging.getLogger("lsrules.labelstudio")


def _label_studio_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ls-url", default=os.environ.get("LABEL_STUDIO_URL",
                                                           DEFAULT_LABEL_STUDIO_URL),
                        metavar="URL", help="Label Studio's base URL (env LABEL_STUDIO_URL); the token is "
                             "read from LABEL_STUDIO_API_KEY")


def _store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=DEFAULT_STORE, metavar="PATH_OR_URL",
                        help=f"the audit store and event queue: a SQLite file (default "
                             f"{DEFAULT_STORE}) or a postgresql:// URL (shared by replicas)")


def _secret(header: str) -> str:
    secret = os.environ.get("LSRULES_WEBHOOK_SECRET", "")
    if not secret:
        raise LsrulesError(f"set LSRULES_WEBHOOK_SECRET: Label Studio sends it in the {header} "
                           "header and lsrules refuses webhooks without it")
    return secret


def _load_engine(rulesets: list[str], args: argparse.Namespace) -> Any:
    import lsrules

    return lsrules.load(*rulesets, allow_outside_root=args.allow_outside_root)


# serve -----------------------------------------------------------------------------------

def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Receive Label Studio's webhooks, judge each annotation by its project's ruleset, and "
        "write the outcome back: corrections to the annotation, a summary to the task's meta "
        "(the views `lsrules connect` creates filter on it). Without RULESET it runs every "
        "ruleset the project file binds, each for its projects; a webhook from any other "
        "project is refused with 404. Rulesets reload when their files change or on SIGHUP, "
        "which also reads the project file's bindings again. "
        "The webhook secret is read from LSRULES_WEBHOOK_SECRET, Label Studio's token from "
        "LABEL_STUDIO_API_KEY.")
    parser.add_argument("rulesets", nargs="*", metavar="RULESET",
                        help="the ruleset to run (default: every ruleset the project file "
                             "binds); with a project file, only the projects bound to it are "
                             "served")
    add_allow_outside_root_argument(parser)
    _label_studio_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                        help="the address to listen on (default 127.0.0.1; 0.0.0.0 for every "
                             "interface, e.g. in a container)")
    parser.add_argument("--port", type=int, default=8089,
                        help="the port to listen on (default 8089); Label Studio posts to "
                             "http://HOST:PORT/webhook")
    _store_argument(parser)
    parser.add_argument("--project", type=int, action="append", default=[], metavar="ID",
                        help="a project to catch up on at start-up, as `sync` does "
                             "(repeatable); projects synced before are caught up too")
    parser.add_argument("--secret-header", default=DEFAULT_SECRET_HEADER, metavar="NAME",
                        help=f"the header Label Studio sends the secret in (default "
                             f"{DEFAULT_SECRET_HEADER}; `connect` registers the same)")
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES,
                        metavar="BYTES",
                        help=f"largest webhook body accepted; larger ones get 413 (default "
                             f"{DEFAULT_MAX_BODY_BYTES})")
    parser.add_argument("--retry-base", type=float, default=0.5, metavar="SECONDS",
                        help="first delay before retrying a failed event or write-back, "
                             "doubled per attempt (default 0.5)")
    parser.add_argument("--retry-max", type=float, default=60.0, metavar="SECONDS",
                        help="longest delay between retries (default 60)")
    parser.add_argument("--reload-interval", type=float, default=DEFAULT_POLL_SECONDS,
                        metavar="SECONDS",
                        help=f"how often to look for changed ruleset files, in seconds "
                             f"(default {DEFAULT_POLL_SECONDS:g}; 0: reload on SIGHUP only)")
    parser.add_argument("--health-details", action="store_true",
                        help="show /health's counters to every caller (by default only to "
                             "one sending the webhook secret header; others see UP or DOWN)")


def run_serve(args: argparse.Namespace) -> int:
    _check_serve_arguments(args)
    secret = _secret(args.secret_header)
    listening = _listen(args.host, args.port)
    try:
        return _serve(args, secret, listening)
    finally:
        listening.close()


def _serve(args: argparse.Namespace, secret: str, listening) -> int:
    import uvicorn

    from lsrules.labelstudio.app import WebhookSettings, create_app
    from lsrules.labelstudio.store_location import open_store
    from lsrules.labelstudio.model_backend import ModelBackend
    from lsrules.labelstudio.rulesets import projects_text
    from lsrules.labelstudio.worker import RetryPolicy, Worker
    from lsrules.labelstudio.writeback import LabelStudio

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    rulesets = _rulesets(args, args.rulesets, args.reload_interval)
    store = open_store(args.store)
    label_studio = LabelStudio(args.ls_url)
    worker = Worker(rulesets, store, label_studio, RetryPolicy(args.retry_base, args.retry_max))
    state: dict[str, Any] = {"startup_sync": "running", "refused_unbound_project": 0}
    for served in rulesets.served:
        logger.info("serving %s for %s", ", ".join(served.files), projects_text(served))

    def start_up_sync() -> None:
        # The socket listens already (`_listen`): an annotation saved before that is found by
        # this sync, one saved after waits in the socket's queue for the hook.
        projects = sorted({p for p in {*args.project, *store.checkpointed_projects()}
                           if rulesets.accepts(p)})
        attempts = 0
        while True:  # Label Studio may be down at start-up: catch up once it is back
            outcome = _sync_all(label_studio, store, projects, worker.wake)
            state["startup_sync"] = outcome
            if outcome == "done":
                return
            time.sleep(min(args.retry_max, args.retry_base * 2 ** attempts))
            attempts += 1

    def health() -> dict:
        return {"status": "UP" if worker.alive() else "DOWN", **state, **rulesets.state(),
                **store.counts()}

    def accepts_project(project_id: int | None) -> bool:
        if rulesets.accepts(project_id):
            return True
        state["refused_unbound_project"] += 1
        return False

    def reload(signum, frame) -> None:
        rulesets.request_reload()
        worker.wake()

    def train(project_id: int) -> None:  # Label Studio's "Start training": catch up
        threading.Thread(target=_sync_all, args=(label_studio, store, [project_id], worker.wake),
                         name="lsrules-train", daemon=True).start()

    model = ModelBackend(rulesets.engine_for, worker.call, train)
    app = create_app(store, WebhookSettings(secret, args.secret_header, args.max_body_bytes,
                                            args.health_details),
                     worker.wake, health, accepts_project, model)
    worker.start()
    threading.Thread(target=start_up_sync, name="lsrules-sync", daemon=True).start()
    previous = signal.signal(signal.SIGHUP, reload)
    try:
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        uvicorn.Server(config).run(sockets=[listening])
    finally:
        signal.signal(signal.SIGHUP, previous)
        worker.stop()
        label_studio.close()
        store.close()
    return 0


def _rulesets(args: argparse.Namespace, arguments: list[str], poll_seconds: float = 0) -> Any:
    """The rulesets to run, each for its projects (the project file's bindings), all loaded
    before anything starts."""
    from lsrules.labelstudio.bindings import served
    from lsrules.labelstudio.rulesets import Rulesets
    from lsrules.project_file import load_project_file

    project = getattr(args, "_project", None)
    source = None
    if project is not None:
        path = str(project.path)

        def source() -> list:  # SIGHUP: the project file read again
            return served(arguments, load_project_file(path))

    return Rulesets(served(arguments, project), lambda files: _load_engine(list(files), args),
                    poll_seconds, bindings_source=source)


def _check_serve_arguments(args: argparse.Namespace) -> None:
    """Before anything starts: uvicorn shows a traceback for a port out of range, and the
    retry loop would spin or crash on a delay that is not a positive number."""
    if not 0 <= args.port <= 65535:
        raise LsrulesError(f"--port must lie in [0, 65535], not {args.port}")
    if args.max_body_bytes < 1:
        raise LsrulesError(f"--max-body-bytes must be positive, not {args.max_body_bytes}")
    for option, value in (("--retry-base", args.retry_base), ("--retry-max", args.retry_max)):
        if not 0 < value < float("inf"):  # NaN fails this too
            raise LsrulesError(f"{option} must be a positive number of seconds, not {value}")
    if not 0 <= args.reload_interval < float("inf"):
        raise LsrulesError(f"--reload-interval must be 0 or a positive number of seconds, not "
                           f"{args.reload_interval}")


def _listen(host: str, port: int):
    """The server's socket, listening before anything starts: a port in use or a host that
    does not resolve is one line and exit 2 (uvicorn would log its own error and exit 3), and
    webhooks that arrive while the rulesets load wait in its queue."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError) as error:
        raise LsrulesError(f"cannot listen on {host}:{port}: {error}") from None
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on accepted sockets whose proto
    # says TCP, and without it each response (headers and body written apart) waited ~40 ms
    # for the client's delayed ACK.
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(2048)  # uvicorn's default backlog
    except OSError as error:
        listening.close()
        raise LsrulesError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    listening.set_inheritable(True)
    return listening


def _sync_all(label_studio: Any, store: Any, projects: list[int], wake: Any) -> str:
    from lsrules.labelstudio.sync import sync_project
    from lsrules.labelstudio.writeback import PermanentError, TransientError

    for project_id in projects:
        try:
            report = sync_project(label_studio, store, project_id)
            logger.info("sync of project %s: %s annotations seen, %s queued, %s skipped",
                        project_id, report.seen, report.queued, report.skipped)
            wake()
        except (TransientError, PermanentError) as error:
            logger.warning("sync of project %s failed: %s", project_id, error)
            return f"failed: {error}"
        except Exception as error:  # e.g. a connection dropped while paging: retry later
            logger.exception("sync of project %s failed", project_id)
            return f"failed: {type(error).__name__}: {error}"
    return "done"


# connect ---------------------------------------------------------------------------------

def add_connect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Register `lsrules serve`'s webhook with each project (with the secret from "
        "LSRULES_WEBHOOK_SECRET) and create one Data Manager view per route of the project's "
        "ruleset, plus one for rejected annotations. Only what is missing is created: running "
        "it again changes nothing else.")
    parser.add_argument("ruleset", nargs="?", metavar="RULESET",
                        help="the ruleset whose routes become views (default: each project's "
                             "ruleset in the project file)")
    add_allow_outside_root_argument(parser)
    parser.add_argument("--project", type=int, action="append", default=[], metavar="ID",
                        help="the Label Studio project (repeatable; default: the projects the "
                             "project file binds, to RULESET when one is given)")
    parser.add_argument("--hook-url", required=True, metavar="URL",
                        help="where Label Studio reaches `lsrules serve`, ending in /webhook")
    _label_studio_arguments(parser)
    parser.add_argument("--secret-header", default=DEFAULT_SECRET_HEADER, metavar="NAME",
                        help=f"the header Label Studio is to send the secret in (default "
                             f"{DEFAULT_SECRET_HEADER}; give `serve` the same)")
    parser.add_argument("--model", action="store_true",
                        help="also add lsrules as the project's model (Settings -> Model), at "
                             "the hook URL without /webhook, for predictions; `serve` must be "
                             "running")


def run_connect(args: argparse.Namespace) -> int:
    from lsrules.labelstudio.bindings import targets
    from lsrules.labelstudio.connect import connect_project, model_url
    from lsrules.labelstudio.writeback import LabelStudio, PermanentError, TransientError

    secret = _secret(args.secret_header)
    if args.model:
        model_url(args.hook_url)  # a hook URL the model cannot be derived from: before any change
    chosen = targets(args.ruleset, args.project, getattr(args, "_project", None))
    engines = {rulesets: _load_engine(list(rulesets), args)  # all load before any change
               for rulesets in dict.fromkeys(rulesets for rulesets, _ in chosen)}
    try:
        with LabelStudio(args.ls_url) as label_studio:
            for rulesets, project_id in chosen:
                report = connect_project(label_studio, project_id, args.hook_url,
                                         args.secret_header, secret,
                                         dict(getattr(engines[rulesets], "routes", {}) or {}),
                                         args.model)
                model = "" if report.model_id is None else (
                    f"; model {report.model_id} "
                    f"{'created' if report.model_created else 'already registered'}")
                print(f"project {project_id}: webhook {report.webhook_id} "
                      f"{'created' if report.webhook_created else 'already registered'}; "
                      f"views created: {', '.join(report.views_created) or 'none'}; "
                      f"already there: {', '.join(report.views_existing) or 'none'}{model}")
    except (TransientError, PermanentError) as error:
        raise LsrulesError(f"Label Studio at {args.ls_url}: {error}") from error
    return 0


# sync ------------------------------------------------------------------------------------

def add_sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Catch up on annotations saved while `lsrules serve` was not listening (Label Studio "
        "never sends a webhook again): queue every annotation changed since the project's "
        "checkpoint, judge it by its project's ruleset and write the outcome back. Safe beside "
        "a running `serve` on the same store: each annotation is handled once.")
    parser.add_argument("ruleset", nargs="?", metavar="RULESET",
                        help="the ruleset (default: each project's ruleset in the project "
                             "file)")
    add_allow_outside_root_argument(parser)
    parser.add_argument("--project", type=int, action="append", default=[], metavar="ID",
                        help="the Label Studio project (repeatable; default: the projects the "
                             "project file binds, to RULESET when one is given)")
    _label_studio_arguments(parser)
    _store_argument(parser)
    parser.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                        help="give up waiting for write-backs after this many seconds "
                             "(default 600; exit 1)")
    parser.add_argument("--predict", action="store_true",
                        help="also write the suggester's prediction to every task that has "
                             "none (where it does not abstain)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="with --predict: at most N tasks per project (default: all)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress line on standard error (shown only on a terminal)")


def run_sync(args: argparse.Namespace) -> int:
    from lsrules.labelstudio.backfill import queue_predictions
    from lsrules.labelstudio.bindings import targets
    from lsrules.labelstudio.rulesets import Rulesets
    from lsrules.labelstudio.store_location import open_store
    from lsrules.labelstudio.sync import sync_project
    from lsrules.labelstudio.worker import Worker
    from lsrules.labelstudio.writeback import LabelStudio, PermanentError, TransientError

    chosen = targets(args.ruleset, args.project, getattr(args, "_project", None))
    bindings: dict[tuple[str, ...], set[int]] = {}
    for files, project_id in chosen:
        bindings.setdefault(files, set()).add(project_id)
    rulesets = Rulesets([(files, frozenset(projects)) for files, projects in bindings.items()],
                        lambda files: _load_engine(list(files), args), poll_seconds=0)
    store = open_store(args.store)
    label_studio = LabelStudio(args.ls_url)
    worker = Worker(rulesets, store, label_studio)
    reports = []
    backfills = []
    if args.limit is not None and args.limit < 1:
        raise LsrulesError(f"--limit must be a positive number of tasks, not {args.limit}")
    progress = _DrainProgress(store, sys.stderr.isatty() and not args.no_progress)
    try:
        for _, project_id in chosen:
            reports.append(sync_project(label_studio, store, project_id))
            if args.predict and rulesets.engine_for(project_id) is not None:
                backfills.append(queue_predictions(label_studio, store, project_id,
                                                   rulesets.engine_for(project_id),
                                                   args.limit))
        progress.start()
        finished = worker.run_until_idle(args.timeout, progress.update)
        progress.close()
    except (TransientError, PermanentError) as error:
        raise LsrulesError(f"Label Studio at {args.ls_url}: {error}") from error
    finally:
        worker.release()
        label_studio.close()
    # A `serve` on the same store may take some of the queued events: each is handled by
    # one of them, and the last line says what this run did.
    for report in reports:
        print(f"project {report.project_id}: {report.seen} annotations seen, {report.queued} "
              f"queued, {report.skipped} skipped (evaluated before); checkpoint "
              f"{report.checkpoint}")
    for backfill in backfills:
        print(f"project {backfill.project_id}: {backfill.without} tasks without a prediction "
              f"{'(--limit) ' if args.limit is not None else ''}"
              f"{backfill.queued} queued for one")
    tally = worker.tally
    print(f"this run evaluated {tally['evaluated']}, skipped {tally['skipped']}, failed "
          f"{tally['failed']}; "
          f"{'all written back' if finished else 'write-backs still pending'}")
    store.close()
    return 0 if finished else 1


class _DrainProgress:
    """A one-line count of the queue draining, on standard error, only on a terminal."""

    def __init__(self, store: Any, enabled: bool):
        self.store = store
        self.enabled = enabled
        self.total = 0
        self.shown = ""

    def start(self) -> None:
        if self.enabled:
            self.total = self.store.pending_event_count() + self.store.pending_writeback_count()

    def update(self) -> None:
        if not self.enabled:
            return
        left = self.store.pending_event_count() + self.store.pending_writeback_count()
        self.total = max(self.total, left)
        line = f"\r{self.total - left}/{self.total} events and write-backs done"
        if line != self.shown:
            sys.stderr.write(line)
            sys.stderr.flush()
            self.shown = line

    def close(self) -> None:
        if self.enabled and self.shown:
            sys.stderr.write("\n")


# audit -----------------------------------------------------------------------------------

def table_line(record: dict[str, Any]) -> str:
    """One record of `audit --format table`; its ids and kind may come from data, so control
    characters are escaped (`lsrules.terminal`)."""
    time_, kind, task, annotation, status = (
        one_line(record[key] if record[key] is not None else "")
        for key in ("time", "kind", "task_id", "annotation_id", "status"))
    return f"{time_:27} {kind:28} {task:>7} {annotation:>10} {status}"


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("List what the service recorded, oldest first: decisions, "
                          "write-backs and their outcome, failed events with their reason.")
    _store_argument(parser)
    parser.add_argument("--since", metavar="TIME",
                        help="only records at or after this UTC ISO 8601 time")
    parser.add_argument("--task", type=int, metavar="ID", help="only this task's records")
    parser.add_argument("--annotation", type=int, metavar="ID",
                        help="only this annotation's records")
    parser.add_argument("--format", choices=["jsonl", "table"], default="jsonl",
                        help="JSON Lines (default) or a table for people")


def run_audit(args: argparse.Namespace) -> int:
    from lsrules.labelstudio.store_location import is_database_url, open_store

    if not is_database_url(args.store) and not os.path.exists(args.store):
        raise LsrulesError("no such audit store", args.store)
    store = open_store(args.store)
    records = store.audit_records(args.since, args.task, args.annotation)
    if args.format == "jsonl":
        for record in records:
            sys.stdout.write(json.dumps(record, sort_keys=True) + "\n")
    else:
        print(f"{'time':27} {'kind':28} {'task':>7} {'annotation':>10} status")
        for record in records:
            print(table_line(record))
    store.close()
    return 0
