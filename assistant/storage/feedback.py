"""Thumbs up/down on answers, kept for the team that improves the assistant: what a record holds,
the store every interface talks to, and the SQL both backends share.

A record holds what is needed to find the weak answer again: the question as typed, the
reply's status and the clauses it cited, the rating and an optional comment. Nothing
identifies the person beyond what they typed, and with `mask_personal_data` on, phone and
ID-card numbers in every text field (question, comment, session) are masked before anything is
written (storage/masking.py).

Backends: a SQLite file (storage/sqlite_feedback.py, the default) and PostgreSQL
(storage/postgres_feedback.py); `storage.stores.feedback_store(settings)` picks one.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from assistant.contract import Citation, Status
from assistant.storage.dialect import Connection, Dialect
from assistant.storage.masking import mask_personal_data

Rating = Literal["up", "down"]
MAX_COMMENT_CHARS = 1000

COLUMNS = ("id", "created", "session", "question", "status", "citations", "rating", "comment")
INSERT = ("INSERT INTO feedback (created, session, question, status, citations, rating, comment) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
UPDATE_COMMENT = "UPDATE feedback SET comment = ? WHERE id = ?"
SELECT = f"SELECT {', '.join(COLUMNS)} FROM feedback WHERE id = ?"


class FeedbackIn(BaseModel):
    """One rating of one answer; what /api/feedback accepts and the UI records."""

    model_config = ConfigDict(extra="forbid")

    session: str | None = Field(default=None, max_length=200)
    question: str = Field(min_length=1, max_length=10_000, description="the question as the user typed it")
    status: Status | None = Field(default=None, description="the status of the reply being rated")
    citations: list[Citation] = Field(default_factory=list, max_length=20)
    rating: Rating
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)


class FeedbackStore(Protocol):
    def add(self, entry: FeedbackIn) -> int:
        """Stores the rating; returns its id."""
        ...

    def set_comment(self, feedback_id: int, comment: str) -> bool:
        """Adds or replaces the comment of a stored rating; False when there is no such id."""
        ...

    def get(self, feedback_id: int) -> dict[str, Any] | None:
        """The stored record (COLUMNS, citations as a list), or None."""
        ...


def _clean(text: str | None, mask: bool) -> str | None:
    return mask_personal_data(text) if text is not None and mask else text


def insert_feedback(db: Connection, sql: Dialect, entry: FeedbackIn, mask: bool) -> int:
    # Only where the answer came from is kept of each citation; the quote is in the corpus.
    cited = [{"doc_id": c.doc_id, "location": c.location} for c in entry.citations]
    row = db.execute(sql(INSERT), (time.time(), _clean(entry.session, mask), _clean(entry.question, mask),
                                   entry.status.value if entry.status else None,
                                   json.dumps(cited, ensure_ascii=False), entry.rating,
                                   _clean(entry.comment, mask))).fetchone()
    return int(row[0])


def update_comment(db: Connection, sql: Dialect, feedback_id: int, comment: str, mask: bool) -> bool:
    cursor = db.execute(sql(UPDATE_COMMENT), (_clean(comment[:MAX_COMMENT_CHARS], mask), feedback_id))
    return int(cursor.rowcount) == 1


def select_feedback(db: Connection, sql: Dialect, feedback_id: int) -> dict[str, Any] | None:
    row = db.execute(sql(SELECT), (feedback_id,)).fetchone()
    if row is None:
        return None
    record = dict(zip(COLUMNS, row, strict=True))
    record["citations"] = json.loads(record["citations"])
    return record
