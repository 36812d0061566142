"""The two storage backends as the store tests see them: stores built through the app's own
factories (storage/stores.py) on this test's own storage — a fresh data folder for SQLite, a fresh
database on the tests' PostgreSQL server — plus direct SQL on that storage for what a test must
plant or inspect behind the store's back."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from pydantic import SecretStr

from assistant.config import Settings
from assistant.storage.dialect import POSTGRES, SQLITE
from assistant.storage.feedback import FeedbackStore
from assistant.storage.sessions import SessionStore
from assistant.storage.stores import feedback_store, session_store


@dataclass
class StoreBackend:
    name: str  # "sqlite" or "postgresql"
    settings: Settings

    def with_settings(self, **changes: Any) -> Settings:
        return self.settings.model_copy(update=changes)

    def sessions(self, **changes: Any) -> SessionStore:
        """A session store on this test's storage; every call opens the same file or database."""
        return session_store(self.with_settings(**changes))

    def feedback(self, **changes: Any) -> FeedbackStore:
        return feedback_store(self.with_settings(**changes))

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        """Runs one statement (written with `?`) on the sessions' storage; the rows it returns."""
        if self.name == "sqlite":
            with closing(sqlite3.connect(self.settings.sessions_db)) as db, db:
                return db.execute(SQLITE(statement), params).fetchall()
        with psycopg.connect(self.settings.database_url.get_secret_value()) as db:
            cursor = db.execute(POSTGRES(statement), params)
            return cursor.fetchall() if cursor.description else []

    def schema_version(self, store: str) -> int:
        if self.name == "sqlite":
            path = self.settings.sessions_db if store == "sessions" else self.settings.feedback_db_path
            with closing(sqlite3.connect(path)) as db:
                return int(db.execute("PRAGMA user_version").fetchone()[0])
        [(version,)] = self.sql("SELECT version FROM schema_versions WHERE store = ?", (store,))
        return int(version)


def sqlite_backend(data_dir: Path) -> StoreBackend:
    # The URL is set empty on purpose: a developer's POLICY_ASSISTANT_DATABASE_URL must not leak in.
    return StoreBackend("sqlite", Settings(data_dir=data_dir, database_url=SecretStr("")))


def postgres_backend(data_dir: Path, url: str) -> StoreBackend:
    return StoreBackend("postgresql", Settings(data_dir=data_dir, database_url=SecretStr(url)))
