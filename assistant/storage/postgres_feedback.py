"""Feedback in PostgreSQL, beside the conversations (storage/feedback.py says what is kept,
storage/postgres.py how connections and schema versions are handled)."""

from __future__ import annotations

from typing import Any

import psycopg

from assistant.storage.dialect import POSTGRES
from assistant.storage.feedback import FeedbackIn, FeedbackStore, insert_feedback, select_feedback, update_comment
from assistant.storage.postgres import PostgresDatabase


def _create(db: psycopg.Connection) -> None:
    db.execute("""
        CREATE TABLE feedback (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            created DOUBLE PRECISION NOT NULL,
            session TEXT,
            question TEXT NOT NULL,
            status TEXT,
            citations TEXT NOT NULL,
            rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
            comment TEXT
        )""")


MIGRATIONS = [_create]


class PostgresFeedbackStore(FeedbackStore):
    def __init__(self, database: PostgresDatabase, mask: bool) -> None:
        self.database = database
        self.mask = mask
        database.migrate("feedback", MIGRATIONS)

    def __repr__(self) -> str:
        return f"PostgresFeedbackStore({self.database.name})"

    def add(self, entry: FeedbackIn) -> int:
        return self.database.run(lambda db: insert_feedback(db, POSTGRES, entry, self.mask))

    def set_comment(self, feedback_id: int, comment: str) -> bool:
        return self.database.run(lambda db: update_comment(db, POSTGRES, feedback_id, comment, self.mask))

    def get(self, feedback_id: int) -> dict[str, Any] | None:
        return self.database.run(lambda db: select_feedback(db, POSTGRES, feedback_id))
