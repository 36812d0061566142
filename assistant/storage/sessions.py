"""Conversation state in SQLite, so batch runs and the web app can continue a conversation.

One row per session holds its ConversationState as JSON; idle sessions expire. The file
carries a schema version (PRAGMA user_version); each migration is a small function run once.
A turn holds its session for its whole read-modify-write (`open`), so two requests in one
session cannot lose each other's update."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from pydantic import ValidationError

from assistant.dialogue.state import ConversationState
from assistant.storage.masking import mask_if_enabled

log = logging.getLogger(__name__)


def new_session_id() -> str:
    return uuid.uuid4().hex


def _create(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL)")


def _drop_untyped_states(db: sqlite3.Connection) -> None:
    # Version 1 kept a free-form dict per session; those conversations expire within hours
    # anyway, so they are dropped rather than translated.
    db.execute("DELETE FROM sessions")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create, _drop_untyped_states]
SCHEMA_VERSION = len(MIGRATIONS)


class _SessionLock:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0  # holding or waiting


class SessionStore:
    def __init__(self, path: Path, ttl_seconds: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.ttl_seconds = ttl_seconds
        self._locks: dict[str, _SessionLock] = {}
        self._locks_guard = threading.Lock()
        self._write_lock = threading.Lock()
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            self._migrate(db)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with db:
                migration(db)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def open(self, session_id: str, now: float | None = None) -> Iterator[ConversationState]:
        """The session's state for one turn; saved when the block ends without an error.
        Turns of the same session wait for each other; other sessions run in parallel."""
        with self._session_lock(session_id):
            state = self.load(session_id, now)
            yield state
            self.save(session_id, state, now)

    @contextmanager
    def _session_lock(self, session_id: str) -> Iterator[None]:
        with self._locks_guard:
            entry = self._locks.setdefault(session_id, _SessionLock())
            entry.users += 1
        try:
            with entry.lock:
                yield
        finally:
            with self._locks_guard:
                entry.users -= 1
                # Forget the lock once nobody holds or waits for it, so memory stays bounded.
                if entry.users == 0:
                    del self._locks[session_id]

    def load(self, session_id: str, now: float | None = None) -> ConversationState:
        """The session's state, or a new one when it is unknown, unreadable or idle too long."""
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            row = db.execute("SELECT state, updated FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None or now - row[1] > self.ttl_seconds:
            return ConversationState()
        try:
            return ConversationState.model_validate_json(row[0])
        except ValidationError:
            log.warning("session %s: stored state does not fit this version; starting afresh", session_id)
            return ConversationState()

    def save(self, session_id: str, state: ConversationState, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._write_lock, closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO sessions (id, state, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated = excluded.updated",
                (session_id, mask_if_enabled(state.model_dump_json()), now),
            )
            db.execute("DELETE FROM sessions WHERE updated < ?", (now - self.ttl_seconds,))
