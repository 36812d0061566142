"""/api/health is liveness (cheap, 200 while the process serves); /api/ready touches the index
and the session store and says which one fails."""

from __future__ import annotations

import copy
import logging
import sqlite3

import httpx
import pytest

from assistant.storage.sqlite_sessions import SqliteSessionStore
from tests.live_server import server_settings, start_server


class BrokenIndex:
    """A dense side whose store has gone away (a Chroma server that stopped)."""

    embedder = None

    def count(self) -> int:
        raise ConnectionError("chroma at 127.0.0.1:8000 refused the connection")

    def cosines(self, query: str) -> dict[str, float]:
        raise ConnectionError("chroma at 127.0.0.1:8000 refused the connection")


class ReadOnlyStore(SqliteSessionStore):
    def probe(self) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")


@pytest.fixture
def serve(assistant, settings, tmp_path):
    servers = []

    def start(**parts):
        mine = copy.copy(assistant)
        mine.sessions = SqliteSessionStore(tmp_path / "sessions.sqlite3", ttl_seconds=3600)
        if "dense" in parts:
            mine.retriever = copy.copy(assistant.retriever)
            mine.retriever.dense = parts["dense"]
        if "sessions" in parts:
            mine.sessions = parts["sessions"]
        servers.append(start_server(mine, server_settings(settings, tmp_path)))
        return httpx.Client(base_url=servers[-1].url, timeout=60)

    yield start
    for server in servers:
        server.stop()


def test_ready_when_the_index_and_the_store_answer(serve):
    with serve() as client:
        response = client.get("/api/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["index"]["status"] == "ok" and body["checks"]["index"]["clauses"] > 0
    assert body["checks"]["sessions"] == {"status": "ok"}


def test_not_ready_names_the_index_while_health_stays_ok(serve, caplog):
    with serve(dense=BrokenIndex()) as client, caplog.at_level(logging.ERROR, logger="assistant.web.readiness"):
        response = client.get("/api/ready")
        assert client.get("/api/health").status_code == 200
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready" and "检索索引" in error["message"]
    assert error["checks"]["index"] == {"status": "failed", "error": "ConnectionError"}
    assert error["checks"]["sessions"]["status"] == "ok"
    assert any("refused the connection" in r.getMessage() for r in caplog.records), "the cause is in the log"


def test_not_ready_names_a_store_that_cannot_write(serve, tmp_path):
    with serve(sessions=ReadOnlyStore(tmp_path / "ro.sqlite3", ttl_seconds=3600)) as client:
        response = client.get("/api/ready")
    assert response.status_code == 503
    error = response.json()["error"]
    assert "会话存储" in error["message"] and error["checks"]["sessions"]["error"] == "OperationalError"
    assert error["checks"]["index"]["status"] == "ok"


def test_a_store_damaged_while_serving_is_replaced_and_ready_again(serve, tmp_path, caplog):
    path = tmp_path / "sessions.sqlite3"
    with serve() as client:
        assert client.post("/api/chat", json={"session": "d", "message": "机器换人项目补助怎么算"}).status_code == 200
        path.write_bytes(b"\x00garbage over the session store" * 100)
        with caplog.at_level(logging.ERROR, logger="assistant.storage.sessions"):
            reply = client.post("/api/chat", json={"session": "d", "message": "工业机器人购置补贴标准是什么？"})
        ready = client.get("/api/ready")
    assert reply.status_code == 200 and reply.json()["status"] == "answered"
    assert [p.name for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert any(str(path) in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
