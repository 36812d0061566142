"""Conversation state in PostgreSQL, for several worker processes or machines sharing the
conversations (storage/sessions.py says what a session store promises; storage/postgres.py how
connections, lost connections and schema versions are handled).

A turn is one transaction on one connection: it takes `pg_advisory_xact_lock` on the session's
key, reads the state and any stored reply, and after the block writes and commits. The lock is
the database's, so it holds across processes and machines alike; it needs no row (a new session
has none yet) and ends with the transaction — at commit, on an error, or when a crashed worker's
connection drops. `lock_timeout` bounds the wait: past it the turn raises SessionBusy.

No move-aside here: SQLite's damaged-file repair has no PostgreSQL counterpart. A failing database
fails the request (after the one retry on a fresh connection) and readiness, and keeps its
conversations for when it answers again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.errors import LockNotAvailable

from assistant.dialogue.state import ConversationState
from assistant.storage.dialect import POSTGRES
from assistant.storage.postgres import SESSION_LOCK, PostgresDatabase
from assistant.storage.session_sql import read_reply, read_state, read_turn, write_and_read_probe, write_state
from assistant.storage.sessions import TURN_WAIT_SECONDS, SessionBusy, SessionStore, Turn, message_digest, session_key

# A turn's transaction sits idle while the answer is composed. A worker that froze mid-turn (its
# connection still open) would hold the session for ever: the server ends such a transaction
# after this long, longer than any turn the settings allow (LLM_TIMEOUT_SECONDS ≤ 600 s).
IDLE_TURN_LIMIT_SECONDS = 900


def _create(db: psycopg.Connection) -> None:
    db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated DOUBLE PRECISION NOT NULL)")
    # The message is kept as a digest only: enough to tell a retry from a reused id.
    db.execute("CREATE TABLE replies (session TEXT NOT NULL, request_id TEXT NOT NULL, message TEXT NOT NULL, "
               "reply TEXT NOT NULL, updated DOUBLE PRECISION NOT NULL, PRIMARY KEY (session, request_id))")
    db.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY CHECK (id = 1), at DOUBLE PRECISION NOT NULL)")
    # Every write purges what expired: by index, not by reading every conversation.
    db.execute("CREATE INDEX sessions_updated ON sessions (updated)")
    db.execute("CREATE INDEX replies_updated ON replies (updated)")


MIGRATIONS = [_create]
SCHEMA_VERSION = len(MIGRATIONS)


class PostgresSessionStore(SessionStore):
    def __init__(self, database: PostgresDatabase, ttl_seconds: int, *, mask: bool = True,
                 turn_wait_seconds: float = TURN_WAIT_SECONDS) -> None:
        self.database = database
        self.ttl_seconds = ttl_seconds
        self.mask = mask
        self.turn_wait_seconds = turn_wait_seconds
        database.migrate("sessions", MIGRATIONS)

    def __repr__(self) -> str:
        return f"PostgresSessionStore({self.database.name})"

    def _hold(self, db: psycopg.Connection, session_id: str) -> None:
        db.execute("SELECT set_config('lock_timeout', %s, true), "
                   "set_config('idle_in_transaction_session_timeout', %s, true)",
                   (f"{max(1, round(self.turn_wait_seconds * 1000))}ms", f"{IDLE_TURN_LIMIT_SECONDS}s"))
        try:
            db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (SESSION_LOCK, session_key(session_id, 31)))
        except LockNotAvailable:
            raise SessionBusy(f"session {session_id} is busy: its previous turn held it for over "
                              f"{self.turn_wait_seconds:g} s") from None

    @contextmanager
    def turn(self, session_id: str, request_id: str | None = None, message: str = "",
             now: float | None = None) -> Iterator[Turn]:
        digest = message_digest(message)

        def hold_and_read(db: psycopg.Connection) -> tuple[Turn, bool]:
            self._hold(db, session_id)
            started = time.time() if now is None else now
            return read_turn(db, POSTGRES, session_id, request_id, digest, started, self.ttl_seconds)

        db, (turn, answered) = self.database.begin(hold_and_read)
        try:
            yield turn
            if not answered:
                write_state(db, POSTGRES, session_id, turn.state, time.time() if now is None else now,
                            self.ttl_seconds, turn.reply_to_store(request_id, digest), self.mask)
            db.commit()
        finally:
            db.close()

    def load(self, session_id: str, now: float | None = None) -> ConversationState:
        now = time.time() if now is None else now
        return self.database.run(lambda db: read_state(db, POSTGRES, session_id, now, self.ttl_seconds))

    def stored_reply(self, session_id: str, request_id: str, now: float | None = None) -> tuple[str, str] | None:
        now = time.time() if now is None else now
        return self.database.run(lambda db: read_reply(db, POSTGRES, session_id, request_id, now, self.ttl_seconds))

    def save(self, session_id: str, state: ConversationState, now: float | None = None,
             reply: tuple[str, str, str] | None = None) -> None:
        now = time.time() if now is None else now
        self.database.run(lambda db: write_state(db, POSTGRES, session_id, state, now, self.ttl_seconds, reply,
                                                 self.mask))

    def probe(self) -> None:
        stamp = time.time()
        self.database.run(lambda db: write_and_read_probe(db, POSTGRES, stamp))
