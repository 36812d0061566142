"""Conversation state in SQLite, so batch runs and the web app can continue a conversation.

State is a small JSON object per session id; idle sessions expire."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated REAL NOT NULL
)
"""


def new_session_id() -> str:
    return uuid.uuid4().hex


class SessionStore:
    def __init__(self, path: Path, ttl_seconds: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def load(self, session_id: str, now: float | None = None) -> dict[str, Any]:
        """The session's state, or an empty one when it is unknown or has been idle too long."""
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            row = db.execute("SELECT state, updated FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None or now - row[1] > self.ttl_seconds:
            return {}
        return json.loads(row[0])

    def save(self, session_id: str, state: dict[str, Any], now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock, closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO sessions (id, state, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated = excluded.updated",
                (session_id, json.dumps(state, ensure_ascii=False, default=str), now),
            )
            db.execute("DELETE FROM sessions WHERE updated < ?", (now - self.ttl_seconds,))
