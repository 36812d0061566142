"""Conversation state kept between turns: the store every interface talks to.

One row per session holds its ConversationState as JSON; idle sessions expire after the TTL and
are purged by later writes. Phone and ID-card numbers in a stored state are masked when the store
is told to (storage/masking.py). A turn holds its session for its whole read-modify-write
(`turn`) against every other turn of that session — other threads, other worker processes and,
with PostgreSQL, other machines — so two requests in one session cannot lose each other's update;
different sessions run in parallel. A turn waits at most `turn_wait_seconds` for its session,
then raises SessionBusy. A turn with a request id stores its reply in the same transaction as the
state: a retry of that id gets the stored reply and the state advances once.

Two backends implement `SessionStore`: SQLite files (storage/sqlite_sessions.py, the embedded
default) and PostgreSQL (storage/postgres_sessions.py); `storage.stores.session_store(settings)`
picks one. Their shared SQL is storage/session_sql.py."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

from assistant.dialogue.state import ConversationState

# Replies kept per session for retries. A client retries the request it just sent, and re-running
# a whole batch file replays each line; conversations in the dev and eval sets stay under 10
# turns, so 50 covers any real one while bounding a session's rows (a reply is 1–5 kB).
REPLIES_KEPT_PER_SESSION = 50
# How long a turn waits for the previous turn of its session (the default of the setting
# SESSION_TURN_WAIT_SECONDS): longer than the longest turn the default settings allow — a model
# answer gets LLM_TIMEOUT_SECONDS = 20 s — so only a stuck turn makes the next one fail.
TURN_WAIT_SECONDS = 30.0


class SessionBusy(TimeoutError):
    """Another turn of the session held it for longer than the store waits."""


def new_session_id() -> str:
    return uuid.uuid4().hex


def message_digest(message: str) -> str:
    return hashlib.sha256(message.encode()).hexdigest()


def session_key(session_id: str, bits: int) -> int:
    """A stable number in [0, 2**bits) naming the session, for locks keyed by number. Two sessions
    on one number only wait for each other; at 31 bits and more that is a one-in-a-billion chance."""
    return int.from_bytes(hashlib.sha256(session_id.encode()).digest()[:8], "big") >> (64 - bits)


@dataclass
class Turn:
    """One turn's view of its session. `replay` is the stored reply (JSON) when this request id
    was answered before for the same message; `conflict` when it was used for another message.
    Set `reply` to store it with the state."""

    state: ConversationState
    replay: str | None = None
    conflict: bool = False
    reply: str | None = None

    def reply_to_store(self, request_id: str | None, digest: str) -> tuple[str, str, str] | None:
        """(request id, message digest, reply JSON) to keep for retries of this request."""
        return (request_id, digest, self.reply) if request_id is not None and self.reply else None


class SessionStore(Protocol):
    ttl_seconds: int

    def turn(self, session_id: str, request_id: str | None = None, message: str = "",
             now: float | None = None) -> AbstractContextManager[Turn]:
        """The session for one turn, held against its other turns; its state (and `reply`, with a
        request id) saved in one transaction when the block ends without an error, unless the turn
        is a replay or a conflict. Raises SessionBusy after waiting `turn_wait_seconds`."""
        ...

    def load(self, session_id: str, now: float | None = None) -> ConversationState:
        """The session's state, or a new one when it is unknown, unreadable or idle too long."""
        ...

    def stored_reply(self, session_id: str, request_id: str, now: float | None = None) -> tuple[str, str] | None:
        """(message digest, reply JSON) stored for this request id, while the session lives."""
        ...

    def save(self, session_id: str, state: ConversationState, now: float | None = None,
             reply: tuple[str, str, str] | None = None) -> None:
        """Saves the state and, given (request id, message digest, reply JSON), the reply with it."""
        ...

    def probe(self) -> None:
        """Readiness: writes the probe row and reads it back; raises when the store cannot."""
        ...

    @contextmanager
    def open(self, session_id: str, now: float | None = None) -> Iterator[ConversationState]:
        """The session's state for one turn; saved when the block ends without an error."""
        with self.turn(session_id, now=now) as turn:
            yield turn.state
