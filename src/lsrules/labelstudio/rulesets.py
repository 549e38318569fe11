"""The rulesets a service runs, each for its projects, reloaded while it runs.

An event is judged by the ruleset of its project (`engine_for`). A ruleset is reloaded when
one of the files it was read from changes (polled) or on request (SIGHUP); the worker asks
for that between two events, on its own thread, so the event being evaluated finishes with
the old ruleset, the next one is evaluated with the new, and events arriving meanwhile
wait in the store's queue: none lost, none evaluated twice. A ruleset that fails to load
keeps the old one running, and the failure is logged as one line with its file:line:col.
SIGHUP also reads the bindings again (the project file): when they changed, the rulesets are
loaded for the new ones, all or none.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsrules.errors import LsrulesError
from lsrules.terminal import one_line

logger = logging.getLogger("lsrules.labelstudio")

DEFAULT_POLL_SECONDS = 2.0

Fingerprint = tuple[tuple[str, str | None], ...]
Binding = tuple[tuple[str, ...], frozenset[int] | None]  # files, projects (None: any)


@dataclass(frozen=True)
class Served:
    """One ruleset as it runs: its files, the projects it judges (None: any), its engine."""

    files: tuple[str, ...]
    projects: frozenset[int] | None
    engine: Any
    fingerprint: Fingerprint  # the files it was read from, as they were then


def fingerprint(paths: Sequence[str]) -> Fingerprint:
    """Each file's content hash (None when it cannot be read): a changed hash means reload.
    Content, not mtime: an editor saving the same text twice reloads nothing."""
    hashes: list[tuple[str, str | None]] = []
    for path in paths:
        try:
            with open(path, "rb") as file:
                hashes.append((path, hashlib.sha256(file.read()).hexdigest()))
        except OSError:
            hashes.append((path, None))
    return tuple(hashes)


def read_files(files: Sequence[str], engine: Any) -> list[str]:
    """The files a ruleset was read from: its own, its labeling config, the files it
    extends, its suggester's model file."""
    ruleset = getattr(engine, "ruleset", None)
    extra = []
    if ruleset is not None:
        suggester = getattr(ruleset, "suggester", None)
        extra = [getattr(ruleset, "labeling_config_path", None),
                 *(getattr(ruleset, "extended_files", None) or ()),
                 suggester.get("model") if isinstance(suggester, dict) else None]
    return list(dict.fromkeys([*files, *(str(path) for path in extra
                                         if isinstance(path, (str, Path)) and path)]))


class Rulesets:
    """The engines a service runs, by project; `refresh` reloads the changed ones."""

    def __init__(self, bindings: Sequence[Binding],
                 load: Callable[[tuple[str, ...]], Any] | None = None,
                 poll_seconds: float = DEFAULT_POLL_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 bindings_source: Callable[[], Sequence[Binding]] | None = None):
        """Load every ruleset now: one that fails to load stops the service before it starts.
        `poll_seconds` 0 watches no file (reload on `request_reload` only);
        `bindings_source` reads the bindings again (the project file) on `request_reload`."""
        self.load = load
        self.bindings_source = bindings_source
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.served: list[Served] = [self._load(tuple(files), projects)
                                     for files, projects in bindings]
        self.reloads = 0
        self.reload_failures = 0
        self.last_reload_error: str | None = None
        self._requested = threading.Event()
        self._next_poll = clock() + poll_seconds

    @classmethod
    def of(cls, engine: Any) -> Rulesets:
        """One engine for every project, never reloaded (a library caller's engine)."""
        rulesets = cls([], poll_seconds=0)
        rulesets.served = [Served((), None, engine, ())]
        return rulesets

    def _load(self, files: tuple[str, ...], projects: frozenset[int] | None) -> Served:
        if self.load is None:
            raise LsrulesError("these rulesets cannot be reloaded: no loader")
        before = fingerprint(files)
        engine = self.load(files)
        # the labeling config is known once the ruleset is read: hashed after the load
        extra = fingerprint([path for path in read_files(files, engine) if path not in files])
        return Served(files, projects, engine, before + extra)

    def engine_for(self, project_id: int | None) -> Any:
        """The engine judging this project's annotations; None when none does."""
        for served in self.served:
            if served.projects is None or project_id in served.projects:
                return served.engine
        return None

    def accepts(self, project_id: int | None) -> bool:
        return self.engine_for(project_id) is not None

    def projects(self) -> frozenset[int] | None:
        """The projects judged here; None when any project is."""
        if any(served.projects is None for served in self.served):
            return None
        return frozenset(project for served in self.served for project in served.projects or ())

    def request_reload(self) -> None:
        """Reload every ruleset at the next `refresh` (safe in a signal handler)."""
        self._requested.set()

    def refresh(self) -> list[Served]:
        """Reload what was asked for or changed on disk; the reloaded ones. Call it between
        events, on the thread that evaluates them."""
        requested = self._requested.is_set()
        polled = bool(self.poll_seconds) and self.clock() >= self._next_poll
        if not (requested or polled):
            return []
        self._requested.clear()
        if polled:
            self._next_poll = self.clock() + self.poll_seconds
        if requested and self.bindings_source is not None:
            rebound = self._rebind(self.bindings_source)
            if rebound is not None:
                return rebound
        reloaded = []
        for index, served in enumerate(self.served):
            current = fingerprint([path for path, _ in served.fingerprint])
            if not served.files or (current == served.fingerprint and not requested):
                continue
            try:
                fresh = self._load(served.files, served.projects)
            except LsrulesError as error:
                self._failed(index, current, str(error))
                continue
            except Exception as error:  # a bug or an unreadable file: the old one runs on
                self._failed(index, current, f"{', '.join(served.files)}: "
                                             f"{type(error).__name__}: {error}")
                continue
            self.served[index] = fresh
            self.reloads += 1
            reloaded.append(fresh)
            logger.info("reloaded %s: %s", ", ".join(fresh.files), _label(fresh.engine))
        return reloaded

    def _rebind(self, source: Callable[[], Sequence[Binding]]) -> list[Served] | None:
        """The bindings read again: when they changed, every ruleset loaded for the new ones,
        all or none (the reloaded ones); None when they are the same or cannot be read, and
        the rulesets are reloaded for the bindings they have."""
        try:
            bindings = [(tuple(files), projects) for files, projects in source()]
            if bindings == [(served.files, served.projects) for served in self.served]:
                return None
            fresh = [self._load(files, projects) for files, projects in bindings]
        except Exception as error:  # the old bindings and rulesets run on
            self.reload_failures += 1
            self.last_reload_error = one_line(error if isinstance(error, LsrulesError)
                                              else f"{type(error).__name__}: {error}")
            logger.error("the project file's bindings were not reloaded, the old ones still "
                         "run: %s", self.last_reload_error)
            return None
        self.served = fresh  # one assignment: the webhook's thread sees old or new, whole
        self.reloads += len(fresh)
        for served in fresh:
            logger.info("serving %s for %s", ", ".join(served.files), projects_text(served))
        return fresh

    def _failed(self, index: int, tried: Fingerprint, message: str) -> None:
        """Keep the old ruleset; remember the files as tried, so a broken file is not
        reloaded (and logged) again at every poll, only once it changes again."""
        served = self.served[index]
        self.served[index] = Served(served.files, served.projects, served.engine, tried)
        self.reload_failures += 1
        self.last_reload_error = one_line(message)
        logger.error("reload failed, still running %s: %s", _label(served.engine),
                     self.last_reload_error)

    def state(self) -> dict[str, Any]:
        """For `/health`: what runs for which projects, and how reloads went."""
        state: dict[str, Any] = {
            "rulesets": [{"ruleset": _label(served.engine), "files": list(served.files),
                          "projects": sorted(served.projects) if served.projects is not None
                          else "any"} for served in self.served],
            "reloads": self.reloads, "reload_failures": self.reload_failures}
        if self.last_reload_error is not None:
            state["last_reload_error"] = self.last_reload_error
        return state


def projects_text(served: Served) -> str:
    if served.projects is None:
        return "any project"
    return "projects " + ", ".join(str(project) for project in sorted(served.projects))


def _label(engine: Any) -> str:
    return f"{getattr(engine, 'name', '?')}@{getattr(engine, 'version', '?')}"
