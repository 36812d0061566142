"""Conversation state: typed, versioned, expiring, and one writer per session."""

import contextlib
import sqlite3
import threading
from datetime import date

from assistant.dialogue.state import STATE_VERSION, ConversationState, PendingInput
from assistant.storage.sessions import SCHEMA_VERSION, SessionStore


def test_state_persists_across_store_instances(tmp_path):
    path = tmp_path / "s.sqlite3"
    state = ConversationState(pending=PendingInput(item="robot_purchase", asking="robot_purchase_yuan",
                                                   question="购置款是多少？"))
    SessionStore(path, ttl_seconds=60).save("a", state, now=1000)
    loaded = SessionStore(path, ttl_seconds=60).load("a", now=1010)
    assert loaded == state and loaded.version == STATE_VERSION


def test_idle_sessions_expire_and_are_purged(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite3", ttl_seconds=60)
    store.save("old", ConversationState(turns=1), now=1000)
    assert store.load("old", now=1061) == ConversationState()
    store.save("new", ConversationState(turns=2), now=2000)
    assert store.load("old", now=1001) == ConversationState()  # purged by the later save


def test_sessions_are_separate(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite3", ttl_seconds=60)
    store.save("a", ConversationState(turns=1), now=1)
    store.save("b", ConversationState(turns=2), now=1)
    assert store.load("a", now=2).turns == 1 and store.load("b", now=2).turns == 2
    assert store.load("c", now=2) == ConversationState()


def test_the_file_carries_its_schema_version_and_old_states_are_dropped(tmp_path):
    path = tmp_path / "s.sqlite3"
    with sqlite3.connect(path) as db:  # a version-1 file: free-form dicts, no version
        db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL)")
        db.execute("INSERT INTO sessions VALUES ('a', '{\"last_item\": \"robot_purchase\"}', 1)")
        db.execute("PRAGMA user_version = 1")
    store = SessionStore(path, ttl_seconds=60)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.load("a", now=2) == ConversationState()


def test_an_unreadable_stored_state_starts_afresh(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite3", ttl_seconds=60)
    with sqlite3.connect(store.path) as db:
        db.execute("INSERT INTO sessions VALUES ('a', '{\"topic\": 5}', 1)")
    assert store.load("a", now=2) == ConversationState()


def test_concurrent_turns_of_one_session_both_land(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite3", ttl_seconds=3600)
    both_inside = threading.Barrier(2, timeout=0.5)

    def turn(fact: str) -> None:
        with store.open("one-session") as state:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_inside.wait()  # without a per-session writer both would read the same state
            state.facts[fact] = True
            state.turns += 1

    threads = [threading.Thread(target=turn, args=(fact,)) for fact in ("is_sme", "is_manufacturing")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = store.load("one-session")
    assert state.facts == {"is_sme": True, "is_manufacturing": True} and state.turns == 2


def test_concurrent_replies_in_one_session_keep_both_facts(assistant):
    """Two requests of one check-up at once, each stating one fact: both end up in the profile."""
    session = "concurrent-checkup"
    assistant.reply(session, "我们企业能享受哪些补贴？", date(2026, 11, 26))
    messages = ["我们买工业机器人花了300万", "首次购买云服务支付了3万"]
    threads = [threading.Thread(target=assistant.reply, args=(session, m, date(2026, 11, 26))) for m in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    profile = assistant.sessions.load(session).checkup.profile
    assert profile["robot_purchase_yuan"] == "3000000"
    assert profile["first_cloud_amount_paid_yuan"] == "30000"
