"""Which store `--store` names: a SQLite file, or a PostgreSQL database shared by replicas."""
from __future__ import annotations

from pathlib import Path

from lsrules.labelstudio.store import SQLiteStore, Store


def is_database_url(location: str | Path) -> bool:
    return str(location).startswith(("postgres://", "postgresql://"))


def open_store(location: str | Path) -> Store:
    """A store from a path (SQLite) or a `postgresql://` URL (PostgreSQL, its driver imported
    only then: it is an extra)."""
    if is_database_url(location):
        from lsrules.labelstudio.store_postgres import PostgresStore

        return PostgresStore(str(location))
    return SQLiteStore(str(location))
