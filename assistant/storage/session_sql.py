"""The session tables' reads and writes, written once for SQLite and PostgreSQL.

Each function runs on a connection its store opened, inside the transaction the store manages:
the store decides connections, locks and retries; this module decides what is read and written.
Tables (each backend creates them in its own types): sessions (id, state, updated),
replies (session, request_id, message, reply, updated), probe (id = 1, at)."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from assistant.dialogue.state import ConversationState
from assistant.storage.dialect import Connection, Dialect
from assistant.storage.masking import mask_personal_data
from assistant.storage.sessions import REPLIES_KEPT_PER_SESSION, Turn

# The session stores of both backends log under one name, so an operator follows one logger.
log = logging.getLogger("assistant.storage.sessions")

SELECT_STATE = "SELECT state, updated FROM sessions WHERE id = ?"
SELECT_REPLY = "SELECT message, reply FROM replies WHERE session = ? AND request_id = ? AND updated >= ?"
UPSERT_STATE = ("INSERT INTO sessions (id, state, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated = excluded.updated")
UPSERT_REPLY = ("INSERT INTO replies (session, request_id, message, reply, updated) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (session, request_id) DO UPDATE "
                "SET message = excluded.message, reply = excluded.reply, updated = excluded.updated")
TRIM_REPLIES = ("DELETE FROM replies WHERE session = ? AND request_id NOT IN (SELECT request_id FROM replies "
                "WHERE session = ? ORDER BY updated DESC, request_id DESC LIMIT ?)")
PURGE_SESSIONS = "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE updated < ?{skip_locked})"
PURGE_REPLIES = ("DELETE FROM replies WHERE (session, request_id) IN "
                 "(SELECT session, request_id FROM replies WHERE updated < ?{skip_locked})")
UPSERT_PROBE = "INSERT INTO probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at"
SELECT_PROBE = "SELECT at FROM probe WHERE id = 1"


def read_state(db: Connection, sql: Dialect, session_id: str, now: float, ttl_seconds: int) -> ConversationState:
    row = db.execute(sql(SELECT_STATE), (session_id,)).fetchone()
    if row is None or now - row[1] > ttl_seconds:
        return ConversationState()
    try:
        return ConversationState.model_validate_json(row[0])
    except ValidationError:
        log.warning("session %s: stored state does not fit this version; starting afresh", session_id)
        return ConversationState()


def read_reply(db: Connection, sql: Dialect, session_id: str, request_id: str, now: float,
               ttl_seconds: int) -> tuple[str, str] | None:
    row = db.execute(sql(SELECT_REPLY), (session_id, request_id, now - ttl_seconds)).fetchone()
    return None if row is None else (row[0], row[1])


def read_turn(db: Connection, sql: Dialect, session_id: str, request_id: str | None, digest: str, now: float,
              ttl_seconds: int) -> tuple[Turn, bool]:
    """The turn as it starts, and whether this request was answered before (then nothing is saved)."""
    turn = Turn(read_state(db, sql, session_id, now, ttl_seconds))
    stored = read_reply(db, sql, session_id, request_id, now, ttl_seconds) if request_id is not None else None
    if stored is not None:
        turn.replay = stored[1] if stored[0] == digest else None
        turn.conflict = stored[0] != digest
    return turn, stored is not None


def write_state(db: Connection, sql: Dialect, session_id: str, state: ConversationState, now: float,
                ttl_seconds: int, reply: tuple[str, str, str] | None, mask: bool) -> None:
    """The state (masked when told), the reply to keep for retries, and the purge of what expired."""
    text = state.model_dump_json()
    db.execute(sql(UPSERT_STATE), (session_id, mask_personal_data(text) if mask else text, now))
    if reply is not None:
        db.execute(sql(UPSERT_REPLY), (session_id, *reply, now))
        db.execute(sql(TRIM_REPLIES), (session_id, session_id, REPLIES_KEPT_PER_SESSION))
    db.execute(sql(PURGE_SESSIONS), (now - ttl_seconds,))
    db.execute(sql(PURGE_REPLIES), (now - ttl_seconds,))


def write_and_read_probe(db: Connection, sql: Dialect, stamp: float) -> None:
    """In one transaction, so another process's probe in between cannot fail this one."""
    db.execute(sql(UPSERT_PROBE), (stamp,))
    row = db.execute(sql(SELECT_PROBE)).fetchone()
    if row is None or row[0] != stamp:
        raise LookupError("the probe row did not read back")
