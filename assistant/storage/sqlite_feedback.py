"""Feedback in a SQLite file, the default (storage/feedback.py says what is kept). The file carries
a schema version like the session store's; a damaged feedback file is never moved aside: it holds
the one thing that cannot be recreated, so its errors fail the request for an operator to see."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

from assistant.storage.dialect import SQLITE
from assistant.storage.feedback import FeedbackIn, FeedbackStore, insert_feedback, select_feedback, update_comment
from assistant.storage.sqlite_schema import migrate, use_write_ahead_log


def _create(db: sqlite3.Connection) -> None:
    # IF NOT EXISTS: files from before the schema version already hold this table.
    db.execute("""
        CREATE TABLE IF NOT EXISTS feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created REAL NOT NULL,
            session TEXT,
            question TEXT NOT NULL,
            status TEXT,
            citations TEXT NOT NULL,
            rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
            comment TEXT
        )""")


MIGRATIONS = [_create]


class SqliteFeedbackStore(FeedbackStore):
    def __init__(self, path: Path, mask: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.mask = mask
        self._lock = threading.Lock()
        with closing(self._connect()) as db:
            use_write_ahead_log(db)
            migrate(db, MIGRATIONS)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, entry: FeedbackIn) -> int:
        with self._lock, closing(self._connect()) as db, db:
            return insert_feedback(db, SQLITE, entry, self.mask)

    def set_comment(self, feedback_id: int, comment: str) -> bool:
        with self._lock, closing(self._connect()) as db, db:
            return update_comment(db, SQLITE, feedback_id, comment, self.mask)

    def get(self, feedback_id: int) -> dict[str, Any] | None:
        with closing(self._connect()) as db:
            return select_feedback(db, SQLITE, feedback_id)
