"""`lsrules report --store`: the page from the audit store, SQLite or PostgreSQL (real)."""
from __future__ import annotations

import pytest

from lsrules.cli import main
from lsrules.labelstudio.store import Outcome, SQLiteStore
from lsrules.labelstudio.store_postgres import PostgresStore
from tests.commands.test_report_page import record


@pytest.fixture(params=["sqlite", "postgres"])
def location(request, tmp_path):
    """What `--store` names, holding three decisions (two rejects) of one worker."""
    if request.param == "sqlite":
        store, where = SQLiteStore(tmp_path / "audit.sqlite"), str(tmp_path / "audit.sqlite")
    else:
        where = request.getfixturevalue("postgres").new_database()
        store = PostgresStore(where)
    try:
        for number, verdict in enumerate(["accept", "reject", "reject"], 1):
            event = store.add_event("ANNOTATION_CREATED", 1, 10, number, "{}", f"e{number}")
            assert store.claim_event("w", 1000.0, 60.0, 5).id == event
            findings = [("no-label", "error", f"annotation {number} has no label", False)] \
                if verdict == "reject" else []
            store.finish_event("w", [Outcome(event, record(verdict, findings,
                                                           annotation=number),
                                             None, [], project_id=1)], 1000.0)
    finally:
        store.close()
    return where


def test_report_from_the_audit_store(location, tmp_path):
    page = tmp_path / "report.html"
    assert main(["report", "--store", location, "-o", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "<b>3</b>annotations" in html and "<b>2 (66.7%)</b>reject" in html
    assert "annotation 2 has no label" in html and "when each annotation was evaluated" in html


def test_since_keeps_the_later_decisions(location, tmp_path):
    page = tmp_path / "report.html"
    assert main(["report", "--store", location, "--since", "2999-01-01T00:00:00Z",
                 "-o", str(page)]) == 0
    assert "<b>0</b>annotations" in page.read_text(encoding="utf-8")
