"""Fixtures: one real Label Studio for the whole session, and `lsrules serve` subprocesses.

The PostgreSQL server (for the PostgreSQL store) is started the same way, once per session
(`postgres_server`). Label Studio comes from its own virtual environment (LSRULES_LS_VENV, default
/work/.ls-venv; `.ci/run` creates `.ls-venv`). Without it the integration tests fail with
a message saying how to create it: they are never skipped.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.labelstudio.postgres_server import PostgresServer
from tests.labelstudio.server import LabelStudioServer, LsrulesServer

FIXTURES = Path(__file__).with_name("fixtures")
REPOSITORY = Path(__file__).resolve().parents[2]


def _stand_in_engine_requested() -> bool:
    return os.environ.get("LSRULES_TEST_STAND_IN_ENGINE") == "1"


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory) -> Iterator[LabelStudioServer]:
    server = LabelStudioServer(tmp_path_factory.mktemp("label-studio"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session; each test takes a database of its own."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def label_studio_credentials(label_studio) -> tuple[str, str]:
    return label_studio.url, label_studio.token


@pytest.fixture(scope="session")
def client(label_studio):
    """An SDK client on its own HTTP connection pool, closed at the end of the session."""
    import httpx
    from label_studio_sdk import LabelStudio

    with httpx.Client(timeout=30) as http:
        yield LabelStudio(base_url=label_studio.url, api_key=label_studio.token, timeout=30,
                          httpx_client=http)


@pytest.fixture
def webhook_secret() -> str:
    return secrets.token_hex(16)


@pytest.fixture
def live_environment(monkeypatch, label_studio, webhook_secret):
    """The environment `lsrules connect`/`sync` read, set for in-process CLI calls."""
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.token)
    monkeypatch.setenv("LSRULES_WEBHOOK_SECRET", webhook_secret)
    if _stand_in_engine_requested():
        from tests.labelstudio.stand_in_engine import StandInEngine

        import lsrules

        monkeypatch.setattr(lsrules, "load", lambda *paths, **options: StandInEngine())
    return label_studio


@pytest.fixture
def start_lsrules(tmp_path, label_studio, webhook_secret) -> Iterator[Callable[..., LsrulesServer]]:
    """A factory: `start_lsrules(ruleset, project_id)` runs `lsrules serve` as a subprocess."""
    started: list[LsrulesServer] = []

    def start(ruleset: Path, project_id: int, *extra: str) -> LsrulesServer:
        server = LsrulesServer([ruleset], label_studio.url, label_studio.token, webhook_secret,
                               tmp_path / f"lsrules-{project_id}.sqlite", [project_id],
                               extra_arguments=list(extra))
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def example_rulesets() -> list[Path]:
    """The project's example rulesets with their labeling configs, else the test's own."""
    found = []
    for ruleset in sorted((REPOSITORY / "rulesets").glob("*/*.yaml")) + sorted(
            (REPOSITORY / "rulesets").glob("*.yaml")):
        found.append(ruleset)
    return found
