"""A request sent again with the same id in the same session gets the reply it got the first
time, and the conversation advances once — also when the process died between storing the turn
and sending the reply. The same id with another message is refused (REST 409 `id_reused`).
The store behaviours run on SQLite and PostgreSQL alike (the `backend` fixture)."""

from __future__ import annotations

import copy
import json
import sqlite3
from contextlib import contextmanager
from datetime import date

import httpx
import pytest

from assistant.cli import main
from assistant.contract import Status
from assistant.dialogue.state import ConversationState
from assistant.storage import sqlite_sessions
from assistant.storage.sessions import REPLIES_KEPT_PER_SESSION
from assistant.storage.sqlite_sessions import SqliteSessionStore
from tests.live_server import server_settings, start_server

TODAY = date(2026, 11, 26)
ASK_AMOUNT = "机器换人项目补助怎么算"
GIVE_AMOUNT = "设备150万，软件80万"


@pytest.fixture
def own_store(assistant, backend):
    mine = copy.copy(assistant)
    mine.sessions = backend.sessions(session_ttl_seconds=3600)
    return mine


def test_the_same_id_twice_gets_the_same_reply_and_one_turn(own_store):
    first = own_store.reply("s", ASK_AMOUNT, TODAY, request_id="r1")
    again = own_store.reply("s", ASK_AMOUNT, TODAY, request_id="r1")
    assert first.status is Status.NEEDS_INFO
    assert again == first
    assert own_store.sessions.load("s").turns == 1


def test_a_retry_after_a_crash_between_storing_and_replying_gets_the_stored_reply(own_store, monkeypatch):
    own_store.reply("s", ASK_AMOUNT, TODAY, request_id="r1")
    real_turn = own_store.sessions.turn

    @contextmanager
    def store_then_die(*args, **kwargs):
        with real_turn(*args, **kwargs) as turn:
            yield turn
        raise SystemExit("the process died after the turn was stored")

    monkeypatch.setattr(own_store.sessions, "turn", store_then_die)
    with pytest.raises(SystemExit):
        own_store.reply("s", GIVE_AMOUNT, TODAY, request_id="r2")
    monkeypatch.undo()

    retried = own_store.reply("s", GIVE_AMOUNT, TODAY, request_id="r2")
    assert retried.status is Status.CALCULATED and retried.id == "r2"
    assert own_store.sessions.load("s").turns == 2
    # Had the turn run again, the state would say so; a fresh id continues normally.
    assert own_store.reply("s", "那上限呢", TODAY, request_id="r3").status is not Status.ERROR
    assert own_store.sessions.load("s").turns == 3


def test_the_same_id_with_another_message_is_refused(own_store):
    own_store.reply("s", ASK_AMOUNT, TODAY, request_id="r1")
    reused = own_store.reply("s", "工业机器人购置补贴标准是什么？", TODAY, request_id="r1")
    assert reused.status is Status.ERROR and reused.error_code == "id_reused" and reused.id == "r1"
    assert own_store.sessions.load("s").turns == 1


def test_ids_are_per_session_and_turns_without_an_id_always_run(own_store):
    own_store.reply("a", ASK_AMOUNT, TODAY, request_id="same")
    own_store.reply("b", ASK_AMOUNT, TODAY, request_id="same")
    own_store.reply("a", ASK_AMOUNT, TODAY)
    own_store.reply("a", ASK_AMOUNT, TODAY)
    assert own_store.sessions.load("a").turns == 3 and own_store.sessions.load("b").turns == 1


def test_stored_replies_are_bounded_per_session_and_expire_with_it(backend):
    store = backend.sessions(session_ttl_seconds=60)
    for number in range(REPLIES_KEPT_PER_SESSION + 5):
        store.save("s", ConversationState(turns=number), now=1000 + number,
                   reply=(f"r{number}", "digest", "{}"))
    assert store.stored_reply("s", "r0", now=1060) is None  # pushed out by newer ones
    assert store.stored_reply("s", f"r{REPLIES_KEPT_PER_SESSION + 4}", now=1060) is not None
    store.save("other", ConversationState(), now=5000)  # the purge runs with any save
    assert store.stored_reply("s", f"r{REPLIES_KEPT_PER_SESSION + 4}", now=1060) is None


def test_a_store_of_the_previous_schema_gains_the_replies_table(tmp_path):
    path = tmp_path / "s.sqlite3"
    SqliteSessionStore(path, ttl_seconds=60).save("a", ConversationState(turns=4), now=1)
    with sqlite3.connect(path) as db:  # back to version 2: no replies, no probe
        db.execute("DROP TABLE replies")
        db.execute("DROP TABLE probe")
        db.execute("PRAGMA user_version = 2")
    store = SqliteSessionStore(path, ttl_seconds=60)
    assert store.load("a", now=2).turns == 4
    store.save("a", ConversationState(turns=5), now=3, reply=("r", "d", "{}"))
    assert store.stored_reply("a", "r", now=4) == ("d", "{}")
    assert len(sqlite_sessions.MIGRATIONS) == sqlite_sessions.SCHEMA_VERSION


# The REST layer is the same whatever the store: the store's own retries run on both backends above.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_rest_replays_a_retried_id_and_answers_409_for_a_reused_one(own_store, settings, tmp_path):
    server = start_server(own_store, server_settings(settings, tmp_path))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            request = {"session": "rest", "message": ASK_AMOUNT, "id": "q1"}
            first, again = client.post("/api/chat", json=request), client.post("/api/chat", json=request)
            assert first.status_code == again.status_code == 200 and first.json() == again.json()
            reused = client.post("/api/chat", json=request | {"message": GIVE_AMOUNT})
            assert reused.status_code == 409 and reused.json()["error"]["code"] == "id_reused"
    finally:
        server.stop()
    assert own_store.sessions.load("rest").turns == 1


@pytest.mark.usefixtures("fast_cli_env")
def test_a_batch_run_again_replays_its_lines(tmp_path, capsys):
    lines = [{"id": "1", "session": "b", "message": ASK_AMOUNT}, {"id": "2", "session": "b", "message": GIVE_AMOUNT}]
    requests = tmp_path / "requests.jsonl"
    requests.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    assert main(["--today", "2026-11-26", "batch", str(requests)]) == 0
    first = capsys.readouterr().out.splitlines()
    assert main(["--today", "2026-11-26", "batch", str(requests)]) == 0
    again = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["status"] for line in first] == ["needs_info", "calculated"]
    assert again == first
