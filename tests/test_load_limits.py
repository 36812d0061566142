"""Bursts and the per-client limit against live servers: chats over the concurrency limit wait
for a slot (or get 503 when no wait is allowed), and the rate limit covers Gradio's event routes
as it covers /api. No test here measures time: a gated assistant decides when replies finish.

Two clients on one machine are two loopback source addresses (127.0.0.1 and 127.0.0.2): the
limiter keys on the peer address, as `make loadtest` relies on."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import anyio
import httpx
import pytest
from gradio_client import Client

from assistant.maintenance.loadtest import Turn, last_answer, script
from assistant.web.guards import ApiError, ChatSlots
from calculators import format_yuan
from tests.fuyang import compute
from tests.live_server import GatedAssistant, server_settings, start_server

ROBOT_QUESTION = "我们买了工业机器人，花了420万，补贴多少"
OTHER_ADDRESS = "127.0.0.2"
# Bounds on how long a test waits for the server to reach a state; never asserted on.
SETTLE_SECONDS = 30.0


class CountingGate(GatedAssistant):
    """GatedAssistant that also counts the replies under way."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.entered = 0
        self._lock = threading.Lock()

    def reply(self, *args, **kwargs):
        with self._lock:
            self.entered += 1
        return super().reply(*args, **kwargs)


def settle(condition) -> bool:
    """Polls until `condition()` holds, at most SETTLE_SECONDS; says whether it did."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def from_address(url: str, address: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60, transport=httpx.HTTPTransport(local_address=address))


def robot_amount() -> float:
    return float(compute("robot_purchase", {"robot_purchase_yuan": Decimal(4_200_000)}).amount_yuan)


# ── ChatSlots on its own ─────────────────────────────────────────────────────────────────

def test_a_chat_over_the_slots_waits_for_one_to_free():
    slots, order = ChatSlots(1, wait=60), []

    async def second() -> None:
        async with slots:
            order.append("second")

    async def main() -> None:
        async with anyio.create_task_group() as group:
            async with slots:
                group.start_soon(second)
                for _ in range(1000):  # let the second reach its wait
                    if slots.waiting:
                        break
                    await anyio.sleep(0)
                assert slots.waiting == 1
                order.append("first")

    anyio.run(main)
    assert order == ["first", "second"]
    assert slots.waiting == 0


def test_with_no_wait_a_chat_over_the_slots_is_refused():
    slots = ChatSlots(1, wait=0)

    async def main() -> ApiError:
        async with slots:
            with pytest.raises(ApiError) as refused:
                async with slots:
                    pass
        async with slots:  # the slot is free again once released
            pass
        return refused.value

    error = anyio.run(main)
    assert error.status == 503 and error.code == "overloaded" and int(error.headers["Retry-After"]) >= 1


# ── bursts on /api/chat ──────────────────────────────────────────────────────────────────

def burst(url: str, size: int) -> tuple[list[threading.Thread], dict[int, httpx.Response]]:
    """`size` chats at once, each from its own connection; the responses land in the dict."""
    responses: dict[int, httpx.Response] = {}

    def ask(n: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as own:
            responses[n] = own.post("/api/chat", json={"message": ROBOT_QUESTION})

    workers = [threading.Thread(target=ask, args=(n,)) for n in range(size)]
    for worker in workers:
        worker.start()
    return workers, responses


def test_a_burst_over_the_slots_is_queued_and_every_chat_is_answered(assistant, settings, tmp_path_factory):
    size, slots = 6, 2
    gated = CountingGate(assistant)
    server = start_server(gated, server_settings(settings, tmp_path_factory.mktemp("burst"),
                                                 max_concurrent_chats=slots, chat_queue_wait_seconds=10))
    chat_slots = server.server.config.app.state.chat_slots
    try:
        workers, responses = burst(server.url, size)
        # Two replies under way, four chats waiting for a slot, and no answer yet: nobody refused.
        assert settle(lambda: gated.entered == slots and chat_slots.waiting == size - slots), \
            (gated.entered, chat_slots.waiting, {n: r.status_code for n, r in responses.items()})
        assert not responses
        gated.gate.set()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        gated.gate.set()
        server.stop()
    assert sorted(responses) == list(range(size))
    assert [r.status_code for r in responses.values()] == [200] * size
    assert all(robot_amount() in [c["amount_yuan"] for c in r.json()["calculations"]] for r in responses.values())
    assert gated.entered == size


def test_with_no_wait_the_chats_over_the_slots_get_503(assistant, settings, tmp_path_factory):
    size, slots = 5, 2
    gated = CountingGate(assistant)
    server = start_server(gated, server_settings(settings, tmp_path_factory.mktemp("no-wait"),
                                                 max_concurrent_chats=slots, chat_queue_wait_seconds=0))
    try:
        workers, responses = burst(server.url, size)
        assert settle(lambda: gated.entered == slots and len(responses) == size - slots)
        refused = list(responses.values())
        gated.gate.set()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        gated.gate.set()
        server.stop()
    for response in refused:
        assert response.status_code == 503 and response.json()["error"]["code"] == "overloaded"
        assert int(response.headers["retry-after"]) >= 1
    answered = [r for r in responses.values() if r not in refused]
    assert [r.status_code for r in answered] == [200] * slots
    assert gated.entered == slots


# ── the rate limit on Gradio's routes ────────────────────────────────────────────────────

@pytest.fixture
def limited(assistant, settings, tmp_path_factory):
    server = start_server(assistant, server_settings(settings, tmp_path_factory.mktemp("ui-limit"),
                                                     rate_limit_per_minute=3))
    yield server
    server.stop()


def test_the_gradio_api_is_rate_limited_per_client(limited):
    over = Client(limited.url, verbose=False, analytics_enabled=False, download_files=False)
    turn = Turn(ROBOT_QUESTION, amount=Decimal(str(robot_amount())))
    try:
        for _ in range(3):
            history, box, _ = over.predict(ROBOT_QUESTION, False, api_name="/chat")
            assert turn.right_text(last_answer(history)) and box == ""
        # Over the limit: the first event is let through to say so in the chat, the question kept.
        history, box, _ = over.predict(ROBOT_QUESTION, False, api_name="/chat")
        assert "过于频繁" in last_answer(history) and "秒后再试" in last_answer(history)
        assert box == ROBOT_QUESTION
        # Every further one is refused before Gradio's queue.
        with pytest.raises(Exception, match="429"):
            over.predict(ROBOT_QUESTION, False, api_name="/chat")
    finally:
        over.close()
    with httpx.Client(base_url=limited.url, timeout=60) as same:
        for path in ("/gradio_api/call/chat", "/gradio_api/call/v2/chat", "/gradio_api/run/chat",
                     "/gradio_api/queue/join"):
            response = same.post(path, json={"data": [ROBOT_QUESTION, False], "fn_index": 0, "session_hash": "x"})
            assert response.status_code == 429, path
            assert response.json()["error"]["code"] == "rate_limited"
            assert "秒后再试" in response.json()["detail"]
            assert int(response.headers["retry-after"]) >= 1
        # One budget per client: the REST API is closed to it too; reading stays open.
        assert same.post("/api/chat", json={"message": ROBOT_QUESTION}).status_code == 429
        assert same.get("/config").status_code == 200


def test_another_client_is_not_limited_by_one_over_the_limit(limited):
    with httpx.Client(base_url=limited.url, timeout=60) as busy:
        for _ in range(3):
            assert busy.post("/api/calculate", json={"item": "robot_purchase",
                                                     "inputs": {"robot_purchase_yuan": "420万"}}).status_code == 200
        assert busy.post("/gradio_api/call/chat", json={"data": [ROBOT_QUESTION, False]}).status_code == 429
    with from_address(limited.url, OTHER_ADDRESS) as other:
        started = other.post("/gradio_api/call/chat", json={"data": [ROBOT_QUESTION, False]})
        assert started.status_code == 200, started.text
        stream = other.get(f"/gradio_api/call/chat/{started.json()['event_id']}").text
        complete = [event for event in stream.split("\n\n") if event.startswith("event: complete")]
        assert complete, stream[-500:]
        history = json.loads(complete[0].split("data: ", 1)[1])[0]
        assert format_yuan(Decimal(str(robot_amount()))) in last_answer(history)
        reply = other.post("/api/chat", json={"message": ROBOT_QUESTION})
        assert reply.status_code == 200 and robot_amount() in [c["amount_yuan"] for c in reply.json()["calculations"]]


def test_the_load_script_is_right_against_the_app(assistant, settings, tmp_path_factory):
    """What `make loadtest` judges as right holds on the app (here with the fast assistant)."""
    from assistant.maintenance.loadtest import gradio_user, rest_user, run_part

    server = start_server(assistant, server_settings(settings, tmp_path_factory.mktemp("loadscript")))
    try:
        turns = len(script())
        rest, _ = run_part(rest_user, server.url, 2, turns, 120)
        app, _ = run_part(gradio_user, server.url, 2, turns, 120)
    finally:
        server.stop()
    assert [o.kind for o in rest] == ["ok"] * 2 * turns
    assert [o.kind for o in app] == ["ok"] * 2 * turns
