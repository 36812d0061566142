"""A damaged sessions.sqlite3 costs the conversations in it, never the service: the file is set
aside with a loud log line, a fresh store takes its place and the request goes on."""

from __future__ import annotations

import copy
import logging
import sqlite3
from datetime import date

import pytest

from assistant.contract import Status
from assistant.dialogue.state import ConversationState
from assistant.storage.sqlite_sessions import SqliteSessionStore
from assistant.web.readiness import readiness

TODAY = date(2026, 11, 26)
LOGGER = "assistant.storage.sessions"
# Sessions written before a file is damaged: enough pages (about 170 kB) that cutting the file
# in half loses b-tree pages SQLite must read.
ROWS = 300


def filled_store(path) -> SqliteSessionStore:
    store = SqliteSessionStore(path, ttl_seconds=3600)
    for number in range(ROWS):
        store.save(f"s{number}", ConversationState(turns=number, facts={f"fact_{i}": True for i in range(20)}))
    return store


def set_aside_files(path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.damaged-"))


def damage_records(caplog, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == level]


@pytest.fixture
def own_store(assistant, tmp_path):
    """The fast assistant with a session store of its own, in this test's folder."""
    mine = copy.copy(assistant)
    mine.sessions = SqliteSessionStore(tmp_path / "sessions.sqlite3", ttl_seconds=3600)
    return mine


def test_a_truncated_file_is_set_aside_at_start_up(tmp_path, caplog):
    path = tmp_path / "sessions.sqlite3"
    filled_store(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        store = SqliteSessionStore(path, ttl_seconds=3600)
    (moved,) = set_aside_files(path)
    (record,) = damage_records(caplog, logging.ERROR)
    assert str(path) in record.getMessage() and moved in record.getMessage()
    store.save("after", ConversationState(turns=7))
    assert store.load("after").turns == 7 and store.load("s1") == ConversationState()


def test_a_garbage_header_is_set_aside_at_start_up(tmp_path, caplog):
    path = tmp_path / "sessions.sqlite3"
    filled_store(path)
    data = bytearray(path.read_bytes())
    data[:100] = b"not a database, just some bytes " * 3 + b"...."
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        store = SqliteSessionStore(path, ttl_seconds=3600)
    assert len(set_aside_files(path)) == 1 and damage_records(caplog, logging.ERROR)
    store.probe()


def test_a_zero_byte_file_starts_fresh_with_a_warning(tmp_path, caplog):
    path = tmp_path / "sessions.sqlite3"
    path.write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        store = SqliteSessionStore(path, ttl_seconds=3600)
    (warning,) = damage_records(caplog, logging.WARNING)
    assert "0-byte" in warning.getMessage() and str(path) in warning.getMessage()
    store.save("a", ConversationState(turns=1))
    assert store.load("a").turns == 1 and set_aside_files(path) == []


def test_a_file_damaged_between_two_requests_costs_only_the_conversation(own_store, caplog):
    path = own_store.sessions.path
    first = own_store.reply("running", "机器换人项目补助怎么算", TODAY)
    assert first.status is Status.NEEDS_INFO
    path.write_bytes(b"garbage written over the store while it serves" * 200)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        second = own_store.reply("running", "工业机器人购置补贴标准是什么？", TODAY)
    assert second.status is Status.ANSWERED and second.citations
    assert len(set_aside_files(path)) == 1 and damage_records(caplog, logging.ERROR)
    assert own_store.sessions.load("running").turns == 1  # the fresh store holds the turn after the damage
    ready, checks = readiness(own_store)
    assert ready, checks


def test_a_file_truncated_while_serving_is_set_aside_on_the_failing_read(tmp_path, caplog):
    path = tmp_path / "sessions.sqlite3"
    store = filled_store(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert store.load(f"s{ROWS - 1}") == ConversationState()
    assert len(set_aside_files(path)) == 1 and damage_records(caplog, logging.ERROR)


def test_a_busy_store_is_an_error_not_damage(tmp_path):
    """"database is locked" fails the request; moving a healthy file aside would lose conversations."""
    path = tmp_path / "sessions.sqlite3"
    store = filled_store(path)
    store_timeout_zero = SqliteSessionStore(path, ttl_seconds=3600)
    store_timeout_zero._connect = lambda: sqlite3.connect(path, timeout=0)  # type: ignore[method-assign]
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            store_timeout_zero.save("x", ConversationState())
    finally:
        holder.rollback()
        holder.close()
    assert set_aside_files(path) == [] and store.load("s5").turns == 5
