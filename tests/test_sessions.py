"""Conversation state: typed, versioned, expiring, and one writer per session — in SQLite and in
PostgreSQL alike (the `backend` fixture runs each store test once per backend)."""

import contextlib
import sqlite3
import threading
from datetime import date

from assistant.dialogue.state import STATE_VERSION, ConversationState, PendingInput
from assistant.storage import postgres_sessions, sqlite_sessions
from assistant.storage.sqlite_sessions import SCHEMA_VERSION, SqliteSessionStore


def test_state_persists_across_store_instances(backend):
    state = ConversationState(pending=PendingInput(item="robot_purchase", asking="robot_purchase_yuan",
                                                   question="购置款是多少？"))
    backend.sessions(session_ttl_seconds=60).save("a", state, now=1000)
    loaded = backend.sessions(session_ttl_seconds=60).load("a", now=1010)
    assert loaded == state and loaded.version == STATE_VERSION


def test_idle_sessions_expire_and_are_purged(backend):
    store = backend.sessions(session_ttl_seconds=60)
    store.save("old", ConversationState(turns=1), now=1000)
    assert store.load("old", now=1061) == ConversationState()
    store.save("new", ConversationState(turns=2), now=2000)
    assert store.load("old", now=1001) == ConversationState()  # purged by the later save
    assert backend.sql("SELECT id FROM sessions") == [("new",)]


def test_sessions_are_separate(backend):
    store = backend.sessions(session_ttl_seconds=60)
    store.save("a", ConversationState(turns=1), now=1)
    store.save("b", ConversationState(turns=2), now=1)
    assert store.load("a", now=2).turns == 1 and store.load("b", now=2).turns == 2
    assert store.load("c", now=2) == ConversationState()


def test_the_readiness_probe_writes_and_reads_back(backend):
    store = backend.sessions()
    store.probe()
    store.probe()
    assert len(backend.sql("SELECT at FROM probe")) == 1


def test_the_schema_version_is_recorded_and_each_migration_runs_once(backend, monkeypatch):
    module = sqlite_sessions if backend.name == "sqlite" else postgres_sessions
    runs: list[str] = []

    def counted(migration):
        def run(db):
            runs.append(migration.__name__)
            migration(db)

        return run

    names = [migration.__name__ for migration in module.MIGRATIONS]
    monkeypatch.setattr(module, "MIGRATIONS", [counted(m) for m in module.MIGRATIONS])
    first = backend.sessions()
    first.save("a", ConversationState(turns=3))
    second = backend.sessions()
    assert runs == names, "each migration once, in order, however many stores open the storage"
    assert backend.schema_version("sessions") == module.SCHEMA_VERSION
    assert second.load("a").turns == 3  # the second store found the tables and their rows


def test_the_file_carries_its_schema_version_and_old_states_are_dropped(tmp_path):
    path = tmp_path / "s.sqlite3"
    with sqlite3.connect(path) as db:  # a version-1 file: free-form dicts, no version
        db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL)")
        db.execute("INSERT INTO sessions VALUES ('a', '{\"last_item\": \"robot_purchase\"}', 1)")
        db.execute("PRAGMA user_version = 1")
    store = SqliteSessionStore(path, ttl_seconds=60)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.load("a", now=2) == ConversationState()


def test_an_unreadable_stored_state_starts_afresh(backend):
    store = backend.sessions(session_ttl_seconds=60)
    backend.sql("INSERT INTO sessions VALUES ('a', '{\"topic\": 5}', 1)")
    assert store.load("a", now=2) == ConversationState()


def test_concurrent_turns_of_one_session_both_land(backend):
    store = backend.sessions()
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
