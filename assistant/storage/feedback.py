"""Thumbs up/down on answers, kept in SQLite for the team that improves the assistant.

A record holds what is needed to find the weak answer again: the question as typed, the
reply's status and the clauses it cited, the rating and an optional comment. Nothing
identifies the person beyond what they typed, and with `mask_personal_data` on, phone and
ID-card numbers in every text field (question, comment, session) are masked before anything is
written (storage/masking.py).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.contract import Citation, Status
from assistant.storage.masking import mask_personal_data

Rating = Literal["up", "down"]
MAX_COMMENT_CHARS = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    session TEXT,
    question TEXT NOT NULL,
    status TEXT,
    citations TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT
)
"""


class FeedbackIn(BaseModel):
    """One rating of one answer; what /api/feedback accepts and the UI records."""

    model_config = ConfigDict(extra="forbid")

    session: str | None = Field(default=None, max_length=200)
    question: str = Field(min_length=1, max_length=10_000, description="the question as the user typed it")
    status: Status | None = Field(default=None, description="the status of the reply being rated")
    citations: list[Citation] = Field(default_factory=list, max_length=20)
    rating: Rating
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)


class FeedbackStore:
    def __init__(self, path: Path, mask: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.mask = mask
        self._lock = threading.Lock()
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def _clean(self, text: str | None) -> str | None:
        if text is None or not self.mask:
            return text
        return mask_personal_data(text)

    def add(self, entry: FeedbackIn) -> int:
        # Only where the answer came from is kept of each citation; the quote is in the corpus.
        cited = [{"doc_id": c.doc_id, "location": c.location} for c in entry.citations]
        with self._lock, closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO feedback (created, session, question, status, citations, rating, comment) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), self._clean(entry.session), self._clean(entry.question),
                 entry.status.value if entry.status else None,
                 json.dumps(cited, ensure_ascii=False), entry.rating, self._clean(entry.comment)),
            )
            return int(cursor.lastrowid or 0)

    def set_comment(self, feedback_id: int, comment: str) -> bool:
        with self._lock, closing(self._connect()) as db, db:
            cursor = db.execute("UPDATE feedback SET comment = ? WHERE id = ?",
                                (self._clean(comment[:MAX_COMMENT_CHARS]), feedback_id))
            return cursor.rowcount == 1

    def get(self, feedback_id: int) -> dict | None:
        with closing(self._connect()) as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM feedback WHERE id = ?", (feedback_id,)).fetchone()
        if row is None:
            return None
        record = dict(row)
        record["citations"] = json.loads(record["citations"])
        return record
