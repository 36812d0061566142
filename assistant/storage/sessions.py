"""Conversation state in SQLite, so batch runs and the web app can continue a conversation.

One row per session holds its ConversationState as JSON; idle sessions expire. The file
carries a schema version (PRAGMA user_version); each migration is a small function run once.
A turn holds its session for its whole read-modify-write (`turn`), so two requests in one
session cannot lose each other's update. A turn with a request id stores its reply in the same
transaction as the state: a retry of that id gets the stored reply and the state advances once.

A damaged file (garbage header, truncated) is found at start-up and on any failing operation;
it is moved aside (`sessions.sqlite3.damaged-<time>`, with its -wal/-shm), an ERROR names it, a
fresh store takes its place and the operation runs again: conversations are lost, the service
is kept."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from assistant.dialogue.state import ConversationState
from assistant.storage.damage import check, is_damage, set_aside
from assistant.storage.masking import mask_if_enabled

log = logging.getLogger(__name__)
T = TypeVar("T")

# Replies kept per session for retries. A client retries the request it just sent, and re-running
# a whole batch file replays each line; conversations in the dev and eval sets stay under 10
# turns, so 50 covers any real one while bounding a session's rows (a reply is 1–5 kB).
REPLIES_KEPT_PER_SESSION = 50


def new_session_id() -> str:
    return uuid.uuid4().hex


def message_digest(message: str) -> str:
    return hashlib.sha256(message.encode()).hexdigest()


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


@dataclass
class Turn:
    """One turn's view of its session. `replay` is the stored reply (JSON) when this request id
    was answered before for the same message; `conflict` when it was used for another message.
    Set `reply` to store it with the state."""

    state: ConversationState
    replay: str | None = None
    conflict: bool = False
    reply: str | None = None


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
            db.execute("PRAGMA journal_mode=WAL")
            self._migrate(db)

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

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with db:
                migration(db)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def open(self, session_id: str, now: float | None = None) -> Iterator[ConversationState]:
        """The session's state for one turn; saved when the block ends without an error."""
        with self.turn(session_id, now=now) as turn:
            yield turn.state

    @contextmanager
    def turn(self, session_id: str, request_id: str | None = None, message: str = "",
             now: float | None = None) -> Iterator[Turn]:
        """The session for one turn; its state (and `reply`, with a request id) saved in one
        transaction when the block ends without an error, unless the turn is a replay or a
        conflict. Turns of the same session wait for each other; other sessions run in parallel."""
        digest = message_digest(message)
        with self._session_lock(session_id):
            turn = Turn(self.load(session_id, now))
            stored = self.stored_reply(session_id, request_id, now) if request_id is not None else None
            if stored is not None:
                turn.replay = stored[1] if stored[0] == digest else None
                turn.conflict = stored[0] != digest
            yield turn
            if stored is None:
                reply = (request_id, digest, turn.reply) if request_id is not None and turn.reply else None
                self.save(session_id, turn.state, now, reply=reply)

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
        row = self._run(lambda db: db.execute("SELECT state, updated FROM sessions WHERE id = ?",
                                              (session_id,)).fetchone())
        if row is None or now - row[1] > self.ttl_seconds:
            return ConversationState()
        try:
            return ConversationState.model_validate_json(row[0])
        except ValidationError:
            log.warning("session %s: stored state does not fit this version; starting afresh", session_id)
            return ConversationState()

    def stored_reply(self, session_id: str, request_id: str, now: float | None = None) -> tuple[str, str] | None:
        """(message digest, reply JSON) stored for this request id, while the session lives."""
        now = time.time() if now is None else now
        return self._run(lambda db: db.execute(
            "SELECT message, reply FROM replies WHERE session = ? AND request_id = ? AND updated >= ?",
            (session_id, request_id, now - self.ttl_seconds)).fetchone())

    def save(self, session_id: str, state: ConversationState, now: float | None = None,
             reply: tuple[str, str, str] | None = None) -> None:
        """Saves the state and, given (request id, message digest, reply JSON), the reply with it."""
        now = time.time() if now is None else now

        def write(db: sqlite3.Connection) -> None:
            with db:
                db.execute(
                    "INSERT INTO sessions (id, state, updated) VALUES (?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated = excluded.updated",
                    (session_id, mask_if_enabled(state.model_dump_json()), now),
                )
                if reply is not None:
                    db.execute("INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?)", (session_id, *reply, now))
                    db.execute("DELETE FROM replies WHERE session = ? AND rowid NOT IN (SELECT rowid FROM replies "
                               "WHERE session = ? ORDER BY updated DESC, rowid DESC LIMIT ?)",
                               (session_id, session_id, REPLIES_KEPT_PER_SESSION))
                db.execute("DELETE FROM sessions WHERE updated < ?", (now - self.ttl_seconds,))
                db.execute("DELETE FROM replies WHERE updated < ?", (now - self.ttl_seconds,))

        with self._write_lock:
            self._run(write)

    def probe(self) -> None:
        """Readiness: writes the probe row and reads it back; raises when the store cannot."""
        stamp = time.time()

        def write_and_read(db: sqlite3.Connection) -> None:
            with db:
                db.execute("INSERT INTO probe (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at",
                           (stamp,))
            row = db.execute("SELECT at FROM probe WHERE id = 1").fetchone()
            if row is None or row[0] != stamp:
                raise sqlite3.OperationalError("the probe row did not read back")

        with self._write_lock:
            self._run(write_and_read)
