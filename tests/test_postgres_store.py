"""What only the PostgreSQL backend has to show: a lost connection is retried once on a fresh one
and otherwise fails the request and readiness; the URL's password shows in no log, repr or error;
the factories pick PostgreSQL from the one setting. (The store behaviours both backends share
run in test_sessions.py, test_idempotency.py, test_masking.py and test_session_turns.py.)"""

from __future__ import annotations

import copy
import logging

import psycopg
import pytest
from pydantic import SecretStr, ValidationError

from assistant.config import Settings
from assistant.dialogue.state import ConversationState
from assistant.storage.postgres import PostgresDatabase, describe
from assistant.storage.postgres_feedback import PostgresFeedbackStore
from assistant.storage.postgres_sessions import PostgresSessionStore
from assistant.storage.stores import feedback_store, session_store
from assistant.web.readiness import readiness


@pytest.fixture
def url(postgres_server) -> str:
    return postgres_server.url(postgres_server.create_database())


def connections_lost_at_first(database: PostgresDatabase, admin: psycopg.Connection, losses: int) -> list[int]:
    """Makes the next `losses` connections of `database` die on the server (an administrator's
    pg_terminate_backend, as in a restart) before the store uses them; returns the counter of
    connections opened."""
    opened = [0]
    real_connect = database.connect

    def connect() -> psycopg.Connection:
        db = real_connect()
        opened[0] += 1
        if opened[0] <= losses:
            admin.execute("SELECT pg_terminate_backend(%s)", (db.info.backend_pid,))
        return db

    database.connect = connect  # type: ignore[method-assign]
    return opened


def test_a_connection_lost_before_commit_is_retried_once_on_a_fresh_one(postgres_server, url, caplog):
    store = PostgresSessionStore(PostgresDatabase(url), ttl_seconds=3600)
    store.save("s", ConversationState(turns=2))
    with postgres_server.admin() as admin, caplog.at_level(logging.WARNING, logger="assistant.storage.postgres"):
        opened = connections_lost_at_first(store.database, admin, losses=1)
        assert store.load("s").turns == 2 and opened == [2]
        connections_lost_at_first(store.database, admin, losses=1)
        with store.turn("s", request_id="r", message="m") as turn:  # the turn's lock and reads, again
            turn.state.turns += 1
            turn.reply = "{}"
    assert store.load("s").turns == 3 and store.stored_reply("s", "r") is not None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all(store.database.name in w and "once more" in w for w in warnings)
    assert postgres_server.password not in caplog.text


def test_a_connection_lost_twice_fails_the_request(postgres_server, url):
    store = PostgresSessionStore(PostgresDatabase(url), ttl_seconds=3600)
    with postgres_server.admin() as admin:
        opened = connections_lost_at_first(store.database, admin, losses=2)
        with pytest.raises(psycopg.OperationalError) as failure:
            store.save("s", ConversationState(turns=1))
    assert opened == [2] and postgres_server.password not in str(failure.value)
    assert store.load("s") == ConversationState()


def test_readiness_fails_while_the_database_is_gone_and_recovers_with_it(assistant, postgres_server, caplog):
    name = postgres_server.create_database()
    mine = copy.copy(assistant)
    mine.sessions = PostgresSessionStore(PostgresDatabase(postgres_server.url(name)), ttl_seconds=3600)
    ready, checks = readiness(mine)
    assert ready and checks["sessions"] == {"status": "ok"}
    postgres_server.drop_database(name)
    with caplog.at_level(logging.WARNING):
        ready, checks = readiness(mine)
    assert not ready and checks["sessions"] == {"status": "failed", "error": "OperationalError"}
    assert checks["index"]["status"] == "ok"
    assert f'database "{name}" does not exist' in caplog.text  # the cause, for the operator
    assert postgres_server.password not in caplog.text
    with postgres_server.admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    mine.sessions = PostgresSessionStore(PostgresDatabase(postgres_server.url(name)), ttl_seconds=3600)
    assert readiness(mine)[0]


def test_the_url_password_shows_in_no_repr_log_or_error(postgres_server, url):
    settings = Settings(database_url=SecretStr(url))
    sessions, feedback = session_store(settings), feedback_store(settings)
    assert isinstance(sessions, PostgresSessionStore) and isinstance(feedback, PostgresFeedbackStore)
    secret = postgres_server.password
    shown = [repr(settings), str(settings), repr(sessions), repr(feedback), describe(url)]
    assert all(secret not in text for text in shown)
    assert describe(url) == f"postgresql://postgres@127.0.0.1:{postgres_server.port}/{url.rsplit('/', 1)[1]}"
    with pytest.raises(ValueError) as unreadable:
        describe(f"postgresql://postgres:{secret}@127.0.0.1:5432/db?no_such_option={secret}")
    assert secret not in str(unreadable.value)


def test_only_postgresql_urls_are_accepted():
    with pytest.raises(ValidationError) as wrong:
        Settings(database_url=SecretStr("mysql://root:hunter2@127.0.0.1/db"))
    assert "hunter2" not in str(wrong.value) and "postgresql://" in str(wrong.value)
    assert Settings(database_url=SecretStr("postgres://u@h/db")).database_url.get_secret_value()
