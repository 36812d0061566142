"""A session's turns are serialised across processes, not only threads, on both backends: worker
processes starting together on fresh storage migrate it once, their turns on one session never
read the same state, a retried request id is answered once whichever process gets it, and a turn
waits a bounded time for its session while other sessions go on."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time

import pytest

from assistant.config import Settings
from assistant.storage import postgres_sessions, sqlite_sessions
from assistant.storage.sessions import SessionBusy
from assistant.storage.stores import session_store

PROCESSES = 3
TURNS_EACH = 5
# Time between reading the counter and writing it back: long enough that unserialised turns of
# several processes overlap (and lose updates), short enough to keep the test near a second.
PAUSE_SECONDS = 0.02
DEADLINE_SECONDS = 90
COUNTED, RETRIED = "counted", "retried"


def run_turns(settings: Settings, start: threading.Barrier, results) -> None:
    """One worker process: builds its store when all are ready (so they migrate together), then
    runs TURNS_EACH counted turns, and the same TURNS_EACH requests with ids as every worker."""
    try:
        start.wait(timeout=DEADLINE_SECONDS)
        store = session_store(settings)
        replies = []
        for number in range(TURNS_EACH):
            with store.turn(COUNTED) as turn:
                seen = turn.state.turns
                time.sleep(PAUSE_SECONDS)
                turn.state.turns = seen + 1
            with store.turn(RETRIED, request_id=f"r{number}", message=f"message {number}") as turn:
                if turn.replay is not None:
                    replies.append(turn.replay)
                    continue
                seen = turn.state.turns
                time.sleep(PAUSE_SECONDS)
                turn.state.turns = seen + 1
                turn.reply = json.dumps({"turn": seen + 1, "answered_by": os.getpid()})
                replies.append(turn.reply)
        results.put(("ok", replies))
    except BaseException as exc:  # the parent reports it: a child's traceback goes nowhere
        results.put(("failed", f"{type(exc).__name__}: {exc}"))


def test_worker_processes_serialise_each_session_and_answer_a_retried_id_once(backend):
    # Forked from a clean server process that has imported the stores once: no threads or
    # connections inherited from pytest, and no second of imports per worker.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    start, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=run_turns, args=(backend.settings, start, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    try:
        outcomes = [results.get(timeout=DEADLINE_SECONDS) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    assert [status for status, _ in outcomes] == ["ok"] * PROCESSES, outcomes
    store = backend.sessions()
    assert store.load(COUNTED).turns == PROCESSES * TURNS_EACH, "a turn read a state another turn was changing"
    assert store.load(RETRIED).turns == TURNS_EACH, "a retried request id ran twice"
    replies = [reply for _, reply in outcomes]
    assert replies[1:] == replies[:-1], "every worker got the one stored reply of each request id"
    assert [json.loads(reply)["turn"] for reply in replies[0]] == list(range(1, TURNS_EACH + 1))
    module = sqlite_sessions if backend.name == "sqlite" else postgres_sessions
    assert backend.schema_version("sessions") == module.SCHEMA_VERSION, "workers starting together migrated"


def test_a_turn_waits_a_bounded_time_for_its_session_while_other_sessions_go_on(backend):
    """Two stores on one storage stand for two processes: their turns meet only in the lock that
    holds across processes (the file lock for SQLite, the advisory lock for PostgreSQL)."""
    holder, waiter = backend.sessions(), backend.sessions(session_turn_wait_seconds=0.3)
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.turn("busy") as turn:
            inside.set()
            release.wait(timeout=20)
            turn.state.turns = 1

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(timeout=10)
        started = time.monotonic()
        with pytest.raises(SessionBusy, match="session busy is busy"), waiter.turn("busy"):
            pass
        assert 0.25 <= time.monotonic() - started < 5
        with waiter.turn("other") as turn:  # another session is not held up
            turn.state.turns = 7
    finally:
        release.set()
        thread.join(timeout=20)
    assert waiter.load("busy").turns == 1 and waiter.load("other").turns == 7


def test_a_failed_turn_saves_nothing_and_frees_its_session(backend):
    store = backend.sessions(session_turn_wait_seconds=1)
    with pytest.raises(RuntimeError), store.turn("s", request_id="r1", message="m") as turn:
        turn.state.turns = 5
        turn.reply = "{}"
        raise RuntimeError("composing the answer failed")
    assert store.load("s").turns == 0 and store.stored_reply("s", "r1") is None
    started = time.monotonic()
    with store.turn("s") as turn:
        turn.state.turns = 1
    assert time.monotonic() - started < 0.5 and store.load("s").turns == 1
