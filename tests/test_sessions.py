from assistant.storage.sessions import SessionStore


def test_state_persists_across_store_instances(tmp_path):
    path = tmp_path / "s.sqlite3"
    SessionStore(path, ttl_seconds=60).save("a", {"pending": {"item": "robot_purchase"}}, now=1000)
    assert SessionStore(path, ttl_seconds=60).load("a", now=1010) == {"pending": {"item": "robot_purchase"}}


def test_idle_sessions_expire_and_are_purged(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite3", ttl_seconds=60)
    store.save("old", {"x": 1}, now=1000)
    assert store.load("old", now=1061) == {}
    store.save("new", {"y": 2}, now=2000)
    assert store.load("old", now=1001) == {}  # purged by the later save


def test_sessions_are_separate(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite3", ttl_seconds=60)
    store.save("a", {"who": "a"}, now=1)
    store.save("b", {"who": "b"}, now=1)
    assert store.load("a", now=2) == {"who": "a"} and store.load("b", now=2) == {"who": "b"}
    assert store.load("c", now=2) == {}
