"""Several workers behind the front (assistant/web/front.py): the Gradio app through gradio_client
keeps each session on the worker holding its queue, REST chats go to either worker and a
conversation carries over, the per-client rate limit counts all workers together, /api/ready asks
every worker, and several workers refuse the embedded index. Workers here are separate Gradio apps
in one process (tests/live_workers.py); the real processes are in test_workers_ordering.py."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest
from gradio_client import Client

from assistant.maintenance.loadtest import Turn, last_answer
from assistant.web.front import RATE_WAIT_HEADER, affinity_key
from tests.fuyang import compute
from tests.live_server import server_settings
from tests.live_workers import start_workers

ROBOT_QUESTION = "我们买了工业机器人，花了420万，补贴多少"
ROBOT = Turn(ROBOT_QUESTION, amount=compute("robot_purchase", {"robot_purchase_yuan": Decimal(4_200_000)}).amount_yuan)
CALCULATE = {"item": "robot_purchase", "inputs": {"robot_purchase_yuan": "420万"}}
# gradio_client users at once: enough that both workers get some (all on one: 2 in 2^20).
GRADIO_USERS = 20


@pytest.fixture(scope="module")
def live(assistant, settings, tmp_path_factory):
    workers = start_workers([assistant, assistant], server_settings(settings, tmp_path_factory.mktemp("workers")))
    yield workers
    workers.stop()


@pytest.fixture
def limited(assistant, settings, tmp_path_factory):
    workers = start_workers([assistant, assistant], server_settings(settings, tmp_path_factory.mktemp("limit"),
                                                                    rate_limit_per_minute=3))
    yield workers
    workers.stop()


def joins(worker) -> int:
    return worker.paths["/gradio_api/queue/join"]


# ── which worker a request goes to ───────────────────────────────────────────────────────

@pytest.mark.parametrize("method, path, query, body, key", [
    ("POST", "/gradio_api/queue/join", b"", b'{"data": [], "fn_index": 3, "session_hash": "abc"}', "abc"),
    ("GET", "/gradio_api/queue/data", b"session_hash=abc", b"", "abc"),
    ("GET", "/gradio_api/heartbeat/abc", b"", b"", "abc"),
    ("POST", "/gradio_api/cancel", b"", b'{"event_id": "e", "session_hash": "abc", "fn_index": 3}', "abc"),
    ("POST", "/gradio_api/call/chat", b"", b'{"data": ["q", false], "session_hash": "abc"}', "client 10.0.0.7"),
    ("GET", "/gradio_api/call/chat/e1", b"", b"", "client 10.0.0.7"),
    ("POST", "/api/chat", b"", b'{"message": "q", "session_hash": "abc"}', None),
    ("POST", "/gradio_api/queue/join", b"", b"not json", None),
    ("GET", "/config", b"", b"", None),
])
def test_the_affinity_key_follows_the_gradio_session(method, path, query, body, key):
    assert affinity_key(method, path, query, body, "10.0.0.7") == key


def test_gradio_clients_through_the_front_are_answered_on_the_worker_holding_their_session(live):
    """With uvicorn's own workers=2 on one socket, about a third of these failed ("Session not found")."""
    before = [joins(worker) for worker in live.workers]

    def user(_: int) -> str:
        client = Client(live.url, verbose=False, analytics_enabled=False, download_files=False)
        try:
            history, _, _ = client.predict(ROBOT_QUESTION, False, api_name="/chat")
            return last_answer(history)
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=GRADIO_USERS) as pool:
        answers = list(pool.map(user, range(GRADIO_USERS), timeout=120))
    assert all(ROBOT.right_text(answer) for answer in answers), [a[:80] for a in answers if not ROBOT.right_text(a)]
    per_worker = [joins(worker) - n for worker, n in zip(live.workers, before, strict=True)]
    assert sum(per_worker) == GRADIO_USERS and all(per_worker), per_worker


def test_the_answer_streams_through_the_front(live):
    client = Client(live.url, verbose=False, analytics_enabled=False, download_files=False)
    try:
        job = client.submit("工业机器人购置补贴标准是什么？", False, api_name="/chat")
        final, _, _ = job.result(timeout=120)
        typed = [last_answer(h).removesuffix(" ▌") for h, _, _ in job.outputs()[:-1] if last_answer(h).endswith("▌")]
    finally:
        client.close()
    assert len(typed) >= 3 and all(len(a) < len(b) for a, b in zip(typed, typed[1:], strict=False))
    assert last_answer(final).startswith(typed[-1])


def test_the_call_api_is_answered_through_the_front(live):
    with httpx.Client(base_url=live.url, timeout=60) as client:
        started = client.post("/gradio_api/call/chat", json={"data": [ROBOT_QUESTION, False]})
        assert started.status_code == 200, started.text
    with httpx.Client(base_url=live.url, timeout=60) as other_connection:  # the same client, a new connection
        stream = other_connection.get(f"/gradio_api/call/chat/{started.json()['event_id']}").text
    complete = [event for event in stream.split("\n\n") if event.startswith("event: complete")]
    assert complete, stream[-300:]
    assert ROBOT.right_text(last_answer(json.loads(complete[0].split("data: ", 1)[1])[0]))


def test_rest_turns_of_one_conversation_go_to_either_worker_and_build_on_each_other(live):
    before = [worker.paths["/api/chat"] for worker in live.workers]
    with httpx.Client(base_url=live.url, timeout=60) as client:
        first = client.post("/api/chat", json={"message": "机器换人项目总投资250万"}).json()
        session = first["session"]
        amounts = [first["calculations"][0]["amount_yuan"]]
        for message in ("再加30万", "再加15万", "怎么算出来的"):
            reply = client.post("/api/chat", json={"session": session, "message": message}).json()
            amounts.append(reply["calculations"][0]["amount_yuan"])
    assert amounts == [250000, 280000, 295000, 295000]
    assert [worker.paths["/api/chat"] - n for worker, n in zip(live.workers, before, strict=True)] == [2, 2], \
        "one after another, chats take turns on the two workers"


# ── the rate limit across workers ────────────────────────────────────────────────────────

def test_the_rate_limit_counts_every_worker_together(limited):
    with httpx.Client(base_url=limited.url, timeout=60) as client:
        for _ in range(3):
            assert client.post("/api/calculate", json=CALCULATE).status_code == 200
        seen = [worker.paths["/api/calculate"] for worker in limited.workers]
        assert sorted(seen) == [1, 2], "each worker alone saw fewer than the limit"
        over = client.post("/api/calculate", json=CALCULATE)
        assert over.status_code == 429 and over.json()["error"]["code"] == "rate_limited"
        assert int(over.headers["retry-after"]) >= 1
        assert "content-security-policy" in over.headers, "the worker answered it, with its headers"
        gradio = client.post("/gradio_api/call/chat", json={"data": [ROBOT_QUESTION, False]})
        assert gradio.status_code == 429 and "秒后再试" in gradio.json()["detail"], "one budget for REST and Gradio"
        assert client.get("/api/items").status_code == 200, "reading stays open"
    other = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=limited.url, timeout=60, transport=other) as someone_else:
        assert someone_else.post("/api/calculate", json=CALCULATE).status_code == 200


def test_a_client_cannot_set_its_count_or_its_address(limited):
    """The front drops a client's own count header, and takes X-Forwarded-For only from a trusted
    proxy (127.0.0.1), so 127.0.0.3 stays 127.0.0.3 whatever it claims."""
    transport = httpx.HTTPTransport(local_address="127.0.0.3")
    with httpx.Client(base_url=limited.url, timeout=60, transport=transport) as client:
        forged = {RATE_WAIT_HEADER: "100", "X-Forwarded-For": "198.18.0.1"}
        assert client.post("/api/calculate", json=CALCULATE, headers=forged).status_code == 200
        claims = [client.post("/api/calculate", json=CALCULATE, headers={"X-Forwarded-For": f"198.18.0.{n}"})
                  for n in (2, 3, 4)]
        assert [response.status_code for response in claims] == [200, 200, 429]


# ── readiness and start-up ───────────────────────────────────────────────────────────────

def test_ready_through_the_front_asks_every_worker(assistant, settings, tmp_path_factory):
    workers = start_workers([assistant, assistant], server_settings(settings, tmp_path_factory.mktemp("ready")))
    try:
        with httpx.Client(base_url=workers.url, timeout=30) as client:
            ready = client.get("/api/ready")
            assert ready.status_code == 200 and ready.json()["status"] == "ready"
            workers.stop_worker(1)
            refused = client.get("/api/ready")
    finally:
        workers.stop()
    assert refused.status_code == 503
    error = refused.json()["error"]
    assert error["code"] == "not_ready" and "工作进程2" in error["message"]
    assert error["checks"]["worker2"]["status"] == "failed"


def test_several_workers_refuse_the_embedded_index(fast_cli_env, capsys):
    from assistant.cli import main

    assert main(["serve", "--workers", "2", "--port", "1"]) == 2
    assert "CHROMA_MODE=http" in capsys.readouterr().err
