"""The real `policy-assistant serve --workers 2` (real model, one Chroma server for both workers, one
session store) under 50 conversations at once through REST `/api/chat`.

Each conversation first takes its turns one after another — a calculation, a correction ("不对，…应
该是…") or a figure added ("下半年又添了…"), each figure building on the one before — so its turns
land on either worker and each must read what the other wrote. Then it sends three additions
("再加…万") at once in the same session and asks "怎么算出来的": additions give the same total in
any order, so the final figure is right only if no turn read the state while another turn of the
session was between its read and its write, on either worker — which a lock held inside one
process cannot promise. Bounded: 50 × 7 requests, each at most REQUEST_SECONDS, all in DEADLINE."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import pytest

from assistant.maintenance import load_servers
from tests.fuyang import compute

pytestmark = pytest.mark.slow

CONVERSATIONS = 50
REQUEST_SECONDS, DEADLINE = 60.0, 300.0


@dataclass
class Conversation:
    """Turns taken one after another, each with the amount it must give; then additions sent at
    once, and the amount the last turn must show, with every addition in it."""

    ordered: list[tuple[str, float]]
    additions: list[str]
    final: float
    got: list[object] = field(default_factory=list)


def amount(item: str, investment_wan: int) -> float:
    field_name = "robot_purchase_yuan" if item == "robot_purchase" else "investment_yuan"
    return float(compute(item, {field_name: Decimal(investment_wan * 10_000)}).amount_yuan)


def conversation(n: int) -> Conversation:
    """Figures of its own per conversation (a reply crossing into another session would show)."""
    base, extra, added = 250 + n, 20 + n % 7, [11 + n % 5, 13, 17]
    total = base + extra + sum(added)
    kind = n % 3
    item = ("machine_replacement", "factory_iot", "robot_purchase")[kind]
    if kind == 0:
        ordered = [("机器换人项目总投资180万", 0.0), (f"不对，说错了，应该是{base}万", amount(item, base)),
                   (f"再加{extra}万软件", amount(item, base + extra))]
    elif kind == 1:
        ordered = [(f"我们上了个工厂物联网项目，投了{base}万", amount(item, base)),
                   (f"还有一笔{extra}万的软件没算进去，再算一下", amount(item, base + extra))]
    else:
        ordered = [(f"上半年我们买了{base}万的工业机器人", amount(item, base)),
                   (f"下半年又添了{extra}万的", amount(item, base + extra))]
    return Conversation(ordered, [f"再加{wan}万" for wan in added], amount(item, total))


@pytest.fixture
def two_workers(real_settings, tmp_path, monkeypatch):
    # Every request comes from 127.0.0.1 and many wait at once: the limits are not under test here.
    for name, value in {"EMBEDDING_MODEL": real_settings.embedding_model, "RATE_LIMIT_PER_MINUTE": "100000",
                        "CHAT_QUEUE_WAIT_SECONDS": "60"}.items():
        monkeypatch.setenv(f"POLICY_ASSISTANT_{name}", value)
    with (tmp_path / "servers.log").open("wb") as log_file:
        chroma_port, port = load_servers.free_port(), load_servers.free_port()
        chroma = load_servers.start_chroma(tmp_path / "chroma-server", chroma_port, log_file)
        try:
            app = load_servers.start_app(tmp_path / "data", port, log_file, workers=2, chroma_port=chroma_port)
        except RuntimeError:
            load_servers.stop(chroma)
            raise
        try:
            assert len(load_servers.children(app.pid)) == 2, "two worker processes"
            yield f"http://127.0.0.1:{port}"
        finally:
            load_servers.stop(app)
            load_servers.stop(chroma)


def talk(url: str, conv: Conversation, deadline: float) -> None:
    """Fills `conv.got`: the amount of each turn (or what went wrong), the last turn's last."""
    def send(client: httpx.Client, session: str | None, message: str) -> tuple[str | None, object]:
        if time.monotonic() > deadline:
            return session, "not asked in time"
        response = client.post("/api/chat", json={"session": session, "message": message})
        if response.status_code != 200:
            return session, f"{response.status_code} {response.text[:80]}"
        reply = response.json()
        return reply["session"], [c["amount_yuan"] for c in reply["calculations"]]

    with httpx.Client(base_url=url, timeout=REQUEST_SECONDS) as client:
        session = None
        for message, _ in conv.ordered:
            session, got = send(client, session, message)
            conv.got.append(got)
        with ThreadPoolExecutor(max_workers=len(conv.additions)) as burst:
            conv.got += list(burst.map(lambda message: send(client, session, message)[1], conv.additions))
        conv.got.append(send(client, session, "怎么算出来的")[1])


def test_fifty_conversations_at_once_keep_every_figure_across_two_workers(two_workers):
    conversations = [conversation(n) for n in range(CONVERSATIONS)]
    deadline = time.monotonic() + DEADLINE
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        for future in [pool.submit(talk, two_workers, c, deadline) for c in conversations]:
            future.result(timeout=DEADLINE + 2 * REQUEST_SECONDS)
    in_order = {n: (c.got[:len(c.ordered)], [[want] for _, want in c.ordered])
                for n, c in enumerate(conversations) if c.got[:len(c.ordered)] != [[want] for _, want in c.ordered]}
    assert not in_order, f"turns taken one after another gave other figures (got, wanted): {in_order}"
    failed = {n: c.got for n, c in enumerate(conversations) if any(not isinstance(g, list) for g in c.got)}
    assert not failed, f"turns that failed: {failed}"
    lost = {n: (c.got[-1], c.final) for n, c in enumerate(conversations) if c.got[-1] != [c.final]}
    assert not lost, (f"{len(lost)} of {CONVERSATIONS} conversations lost an addition sent at the same time as "
                      f"another of the same session (final figure got, wanted): {lost}")
