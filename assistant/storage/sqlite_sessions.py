"""Conversation state in a SQLite file: the embedded default (storage/sessions.py says what a
session store promises).

The file carries a schema version (PRAGMA user_version); each migration is a small function run
once. A turn holds its session across threads and processes with a lock on one byte of a lock
file beside the database (storage/session_locks.py says why a file lock and not a transaction).

A damaged file (garbage header, truncated) is found at start-up and on any failing operation;
it is moved aside (`sessions.sqlite3.damaged-<time>`, with its -wal/-shm), an ERROR names it, a
fresh store takes its place and the operation runs again: conversations are lost, the service
is kept."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TypeVar

from assistant.dialogue.state import ConversationState
from assistant.storage.damage import check, is_damage, set_aside
from assistant.storage.dialect import SQLITE
from assistant.storage.session_locks import SessionFileLocks
from assistant.storage.session_sql import log, read_reply, read_state, read_turn, write_and_read_probe, write_state
from assistant.storage.sessions import TURN_WAIT_SECONDS, SessionStore, Turn, message_digest
from assistant.storage.sqlite_schema import migrate, use_write_ahead_log

T = TypeVar("T")


def _create(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL)")


def _drop_untyped_states(db: sqlite3.Connection) -> None:
    # Version 1 kept a free-form dict per session; those conversations expire within hours
    # anyway, so they are dropped rather than translated.
    db.execute("DELETE FROM sessions")


def _create_replies(db: sqlite3.Connection) -> None:
    # The message is kept as a digest only: enough to tell a retry from a reused id.
    db.execute("CREATE TABLE replies (session TEXT NOT NULL, request_id TEXT NOT NULL, message TEXT NOT NULL, "
               "reply TEXT NOT NULL, updated REAL NOT NULL, PRIMARY KEY (session, request_id))")


def _create_probe(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create, _drop_untyped_states, _create_replies,
                                                          _create_probe]
SCHEMA_VERSION = len(MIGRATIONS)


class SqliteSessionStore(SessionStore):
    def __init__(self, path: Path, ttl_seconds: int, *, mask: bool = True,
                 turn_wait_seconds: float = TURN_WAIT_SECONDS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.ttl_seconds = ttl_seconds
        self.mask = mask
        self._locks = SessionFileLocks(Path(f"{path}.turn-locks"), turn_wait_seconds)
        self._write_lock = threading.Lock()
        self._repair_lock = threading.Lock()
        try:
            self._initialise(verify=True)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            self._replace_damaged(exc)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def _initialise(self, verify: bool = False) -> None:
        if self.path.exists() and self.path.stat().st_size == 0:
            log.warning("session store %s is an empty (0-byte) file: starting a fresh store; "
                        "any conversations it held are lost", self.path)
        if verify and self.path.exists():
            check(self.path)
        with closing(self._connect()) as db:
            use_write_ahead_log(db)
            migrate(db, MIGRATIONS)

    def _replace_damaged(self, exc: BaseException) -> None:
        moved = set_aside(self.path)
        log.error("session store %s is damaged (%s): moved it aside to %s and started a fresh store; "
                  "the conversations in it are lost", self.path, exc, ", ".join(str(p) for p in moved) or "-")
        self._initialise()

    def _recover(self, exc: BaseException) -> None:
        with self._repair_lock:
            try:
                check(self.path)  # another thread may have replaced the file already
            except sqlite3.DatabaseError as again:
                if not is_damage(again):
                    raise
                self._replace_damaged(exc)
            else:
                self._initialise()  # the file was emptied or replaced: tables again, if missing

    def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """One operation on a fresh connection; after damage, once more on a fresh store."""
        try:
            with closing(self._connect()) as db:
                return operation(db)
        except sqlite3.DatabaseError as exc:
            if not (is_damage(exc) or "no such table" in str(exc)):
                raise
            self._recover(exc)
        with closing(self._connect()) as db:
            return operation(db)

    @contextmanager
    def turn(self, session_id: str, request_id: str | None = None, message: str = "",
             now: float | None = None) -> Iterator[Turn]:
        digest = message_digest(message)
        with self._locks.hold(session_id):
            started = time.time() if now is None else now
            turn, answered = self._run(lambda db: read_turn(db, SQLITE, session_id, request_id, digest, started,
                                                            self.ttl_seconds))
            yield turn
            if not answered:
                self.save(session_id, turn.state, now, reply=turn.reply_to_store(request_id, digest))

    def load(self, session_id: str, now: float | None = None) -> ConversationState:
        now = time.time() if now is None else now
        return self._run(lambda db: read_state(db, SQLITE, session_id, now, self.ttl_seconds))

    def stored_reply(self, session_id: str, request_id: str, now: float | None = None) -> tuple[str, str] | None:
        now = time.time() if now is None else now
        return self._run(lambda db: read_reply(db, SQLITE, session_id, request_id, now, self.ttl_seconds))

    def save(self, session_id: str, state: ConversationState, now: float | None = None,
             reply: tuple[str, str, str] | None = None) -> None:
        now = time.time() if now is None else now

        def write(db: sqlite3.Connection) -> None:
            with db:
                write_state(db, SQLITE, session_id, state, now, self.ttl_seconds, reply, self.mask)

        with self._write_lock:
            self._run(write)

    def probe(self) -> None:
        stamp = time.time()

        def write_and_read(db: sqlite3.Connection) -> None:
            with db:
                write_and_read_probe(db, SQLITE, stamp)

        with self._write_lock:
            self._run(write_and_read)
