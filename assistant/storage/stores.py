"""Which backend holds the conversations and the feedback, from the settings: SQLite files in
DATA_DIR (the embedded default), or PostgreSQL when DATABASE_URL is set — the one choice for
several worker processes on several machines. The app's entry points call these; tests build a
store directly or through them."""

from __future__ import annotations

from assistant.config import Settings
from assistant.storage.feedback import FeedbackStore
from assistant.storage.postgres import PostgresDatabase
from assistant.storage.postgres_feedback import PostgresFeedbackStore
from assistant.storage.postgres_sessions import PostgresSessionStore
from assistant.storage.sessions import SessionStore
from assistant.storage.sqlite_feedback import SqliteFeedbackStore
from assistant.storage.sqlite_sessions import SqliteSessionStore


def session_store(settings: Settings) -> SessionStore:
    url = settings.database_url.get_secret_value()
    if url:
        return PostgresSessionStore(PostgresDatabase(url), settings.session_ttl_seconds,
                                    mask=settings.mask_personal_data,
                                    turn_wait_seconds=settings.session_turn_wait_seconds)
    return SqliteSessionStore(settings.sessions_db, settings.session_ttl_seconds, mask=settings.mask_personal_data,
                              turn_wait_seconds=settings.session_turn_wait_seconds)


def feedback_store(settings: Settings) -> FeedbackStore:
    url = settings.database_url.get_secret_value()
    if url:
        return PostgresFeedbackStore(PostgresDatabase(url), mask=settings.mask_personal_data)
    return SqliteFeedbackStore(settings.feedback_db_path, mask=settings.mask_personal_data)
