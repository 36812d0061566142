"""`make loadtest`: the real app (real model, the settings in effect) in a child process on
127.0.0.1, then (a) REST users arriving at once, TURNS turns each, and (b) gradio_client users at
once, TURNS turns each. Every reply must be 200 and right: the clause and figure, or the amount, of
its turn. Prints throughput, p50/p95 latency and error counts per part, and each process's RSS.
Two runs: the app as one process, then `serve --workers 2` with the Chroma server (`chroma run`,
started here on loopback) that the workers share; a table puts the two side by side. Bounded in
count (users × turns) and in time (per run: start-up ≤ 90 s, 180 s for workers, + REST_SECONDS +
GRADIO_SECONDS: 9 minutes at worst for both, about 4 on a quiet machine); asserts nothing, but
exits 1 when a reply failed, was wrong or was not asked in time.

Client addresses: the rate limit keys on the client address, so every user must be its own client.
REST users bind their sockets to their own loopback address (127.0.0.x; Linux routes all of
127/8 to lo), so the server sees distinct peers and trusts no header. gradio_client cannot bind a
source address (it calls httpx.post without a transport), so its users connect from 127.0.0.1 and
name themselves in X-Forwarded-For: uvicorn honours that header only from FORWARDED_ALLOW_IPS
(127.0.0.1 here, its default), exactly as from a reverse proxy on the same host.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx

from assistant.config import get_settings, set_offline_environment
from assistant.maintenance import load_servers

# 100 portal users and 100 app users arriving at once, 5 turns each (both runs; 50 portal users
# before there were workers, when the REST p95 goal below was set).
REST_USERS, GRADIO_USERS, TURNS = 100, 100, 5
GOAL_REST_P95_S = 2.0
WORKERS = 2
# Each part stops asking after this long, so the whole run stays bounded. The REST part takes
# about 13 s, the gradio part about 100 s on this machine when others load it too (an app turn
# costs about 90 ms of server CPU against 35 ms for a REST one: Gradio streams the typed-out answer).
REST_SECONDS, GRADIO_SECONDS = 30.0, 120.0
# One request; a reply slower than this counts as an error ("timeout").
REQUEST_TIMEOUT = 30.0
# REST user i binds 127.0.0.(REST_FIRST_HOST + i); gradio user i is 198.18.0.(i + 1) (the
# RFC 2544 benchmarking range: never a real client).
REST_FIRST_HOST = 10
GRADIO_FORWARDED = "198.18.{}.{}"


@dataclass(frozen=True)
class Turn:
    message: str
    facts: tuple[str, ...] = ()  # one of these is in the answer
    clause: str = ""  # the cited (REST) or quoted (app) clause holds this
    amount: Decimal | None = None  # a calculation: the amount the calculators give

    def right_reply(self, reply: dict) -> bool:
        """A REST Reply: the amount among its calculations, or the figure and the clause."""
        if self.amount is not None:
            return any(c.get("amount_yuan") == float(self.amount) for c in reply.get("calculations", []))
        cited = "".join(c["text"] for c in reply.get("citations", []))
        return self.clause in cited and any(fact in reply["answer"] for fact in self.facts)

    def right_text(self, answer: str) -> bool:
        """The app's chat message (markdown, with the quoted clause under the answer)."""
        from calculators import format_yuan

        if self.amount is not None:
            return format_yuan(self.amount) in answer
        return self.clause in answer and any(fact in answer for fact in self.facts)


def script() -> list[Turn]:
    """Five turns of one conversation; each user starts at its own turn. Checked against the real app."""
    from assistant.config import get_settings
    from assistant.corpus.library import load_library
    from calculators import compute

    rule = load_library(get_settings().corpus_dir).rulebook.rule("robot_purchase")
    robot = compute(rule, {"robot_purchase_yuan": Decimal(4_200_000)}).amount_yuan
    return [
        Turn("买机器人政府补多少", facts=("10%",), clause="GB/T12643"),
        Turn("我们买了工业机器人，花了420万，补贴多少", amount=robot),
        Turn("物联网项目最高补助多少", facts=("150万",), clause="物联网"),
        Turn("政策有效期到哪天", facts=("2025年12月31日",), clause="有效期"),
        Turn("市级智能工厂一次性补助多少", facts=("200万",), clause="500万元、200万元、80万元"),
    ]


@dataclass
class Outcome:
    kind: str  # "ok", "wrong", or the error: "503", "429", "queue full", "timeout", ...
    seconds: float


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def _turns_of(user: int, turns: int) -> list[Turn]:
    steps = script()
    return [steps[(user + n) % len(steps)] for n in range(turns)]


def rest_user(url: str, user: int, turns: int, start: threading.Barrier, deadline: float) -> list[Outcome]:
    """One portal user from its own loopback address: `turns` chats in one session."""
    outcomes: list[Outcome] = []
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{REST_FIRST_HOST + user}")
    with httpx.Client(base_url=url, transport=transport, timeout=REQUEST_TIMEOUT) as client:
        start.wait(timeout=REST_SECONDS)
        session = None
        for turn in _turns_of(user, turns):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                response = client.post("/api/chat", json={"session": session, "message": turn.message})
            except httpx.TimeoutException:
                outcomes.append(Outcome("timeout", time.perf_counter() - started))
                continue
            except httpx.HTTPError as exc:
                outcomes.append(Outcome(type(exc).__name__, time.perf_counter() - started))
                continue
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                outcomes.append(Outcome(str(response.status_code), elapsed))
                continue
            reply = response.json()
            session = reply["session"]
            outcomes.append(Outcome("ok" if turn.right_reply(reply) else "wrong", elapsed))
    return outcomes


def last_answer(history: list[dict]) -> str:
    content = history[-1]["content"] if history else ""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else str(content)


def gradio_user(url: str, user: int, turns: int, start: threading.Barrier, deadline: float) -> list[Outcome]:
    """One app user through gradio_client (the app's /chat, as the page sends it): one session."""
    from gradio_client import Client  # type: ignore[import-untyped]  # ships no type hints

    outcomes: list[Outcome] = []
    forwarded = GRADIO_FORWARDED.format(user // 250, user % 250 + 1)
    try:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False,
                        headers={"X-Forwarded-For": forwarded}, httpx_kwargs={"timeout": REQUEST_TIMEOUT})
    except Exception as exc:  # could not even connect: every turn of this user failed
        start.wait(timeout=GRADIO_SECONDS)
        return [Outcome(f"connect {type(exc).__name__}", 0.0)] * turns
    try:
        start.wait(timeout=GRADIO_SECONDS)
        for turn in _turns_of(user, turns):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                history, _, _ = client.submit(turn.message, False, api_name="/chat").result(timeout=REQUEST_TIMEOUT)
            except Exception as exc:  # a load test counts every kind of failure
                text = str(exc)
                kind = "queue full" if "Queue is full" in text else "429" if "429" in text else type(exc).__name__
                outcomes.append(Outcome(kind, time.perf_counter() - started))
                continue
            outcomes.append(Outcome("ok" if turn.right_text(last_answer(history)) else "wrong",
                                    time.perf_counter() - started))
    finally:
        client.close()
    return outcomes


User = Callable[[str, int, int, threading.Barrier, float], list[Outcome]]


def run_part(user: User, url: str, users: int, turns: int, seconds: float) -> tuple[list[Outcome], float]:
    """`users` threads, each its own client, released together by a barrier; (outcomes, wall seconds)."""
    start = threading.Barrier(users)
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=users) as pool:
        futures = [pool.submit(user, url, n, turns, start, deadline) for n in range(users)]
        started = time.perf_counter()
        outcomes: list[Outcome] = []
        for future in futures:
            try:
                outcomes += future.result(timeout=seconds + REQUEST_TIMEOUT)
            except Exception as exc:  # a user that could not even start (connect, barrier) is an error
                outcomes.append(Outcome(type(exc).__name__, 0.0))
    return outcomes, time.perf_counter() - started


def summary(name: str, outcomes: list[Outcome], wall: float, expected: int) -> str:
    kinds = Counter(o.kind for o in outcomes) + Counter({"not asked in time": expected - len(outcomes)})
    seconds = [o.seconds for o in outcomes if o.kind in ("ok", "wrong")]
    errors = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()) if kind not in ("ok", "wrong")) or "none"
    return (f"{name:22} {len(seconds)} replies in {wall:5.1f} s  {len(seconds) / wall:5.1f}/s  "
            f"p50 {percentile(seconds, 0.5):.2f} s  p95 {percentile(seconds, 0.95):.2f} s  "
            f"max {max(seconds, default=0):.2f} s  right {kinds['ok']}/{expected}  wrong {kinds['wrong']}  "
            f"errors: {errors}")


def figures(outcomes: list[Outcome], wall: float) -> str:
    seconds = [o.seconds for o in outcomes if o.kind in ("ok", "wrong")]
    return (f"{len(seconds) / wall:5.1f}/s  p50 {percentile(seconds, 0.5):5.2f} s  "
            f"p95 {percentile(seconds, 0.95):5.2f} s")


def run_parts(url: str, rest_users: int, gradio_users: int, turns: int) -> tuple[bool, str]:
    """Both parts against `url`; prints a line each; (every reply came, 200 and right; the figures)."""
    rest, rest_wall = run_part(rest_user, url, rest_users, turns, REST_SECONDS)
    print(summary(f"REST {rest_users} users × {turns}", rest, rest_wall, rest_users * turns), flush=True)
    app, app_wall = run_part(gradio_user, url, gradio_users, turns, GRADIO_SECONDS)
    print(summary(f"gradio {gradio_users} users × {turns}", app, app_wall, gradio_users * turns), flush=True)
    p95 = percentile([o.seconds for o in rest if o.kind in ("ok", "wrong")], 0.95)
    complete = len(rest) == rest_users * turns and len(app) == gradio_users * turns
    right = complete and all(o.kind == "ok" for o in rest + app)
    print(f"goals: REST p95 ≤ {GOAL_REST_P95_S:.0f} s {'met' if p95 <= GOAL_REST_P95_S else 'MISSED'}; "
          f"every reply 200 and right: {'yes' if right else 'NO'}; "
          f"'Queue is full': {sum(o.kind == 'queue full' for o in app)}", flush=True)
    return right, f"REST {figures(rest, rest_wall)}   gradio {figures(app, app_wall)}"


def run_served(scratch: Path, workers: int, args: argparse.Namespace) -> tuple[bool, str]:
    """One run against a fresh app: one process (embedded index), or `workers` behind the front with
    a Chroma server of their own; prints its lines and its processes' RSS after the load."""
    name = "one process" if workers == 1 else f"{workers} workers + Chroma server"
    folder = scratch / f"workers-{workers}"
    folder.mkdir()
    with (folder / "server.log").open("wb") as log_file:
        chroma = None
        try:
            started = time.perf_counter()
            chroma_port = load_servers.free_port() if workers > 1 else None
            if chroma_port is not None:
                chroma = load_servers.start_chroma(folder / "chroma-server", chroma_port, log_file)
            port = load_servers.free_port()
            app = load_servers.start_app(folder / "data", port, log_file, workers, chroma_port)
        except RuntimeError as exc:
            if chroma is not None:
                load_servers.stop(chroma)
            tail = (folder / "server.log").read_text(encoding="utf-8", errors="replace")[-3000:]
            print(f"{exc}\n--- server log (end) ---\n{tail}", file=sys.stderr)
            return False, f"{name}: did not start"
        print(f"── {name}: app (real model) indexed and up on 127.0.0.1:{port} "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
        try:
            right, line = run_parts(f"http://127.0.0.1:{port}", args.rest_users, args.gradio_users, args.turns)
            print(load_servers.memory_line(app, chroma), flush=True)
        finally:
            load_servers.stop(app)
            if chroma is not None:
                load_servers.stop(chroma)
    return right, f"{name:28} {line}"


def main(argv: list[str] | None = None) -> int:
    set_offline_environment()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rest-users", type=int, default=REST_USERS, choices=range(1, 241), metavar="1-240")
    parser.add_argument("--gradio-users", type=int, default=GRADIO_USERS, choices=range(1, 501), metavar="1-500")
    parser.add_argument("--turns", type=int, default=TURNS, choices=range(1, 21), metavar="1-20")
    parser.add_argument("--port", type=int, default=None,
                        help="load the app already serving on 127.0.0.1:PORT instead of starting one")
    parser.add_argument("--workers", type=int, default=None, choices=range(1, 9), metavar="1-8",
                        help=f"one run with this many workers (default: one process, then {WORKERS} workers)")
    args = parser.parse_args(argv)
    settings = get_settings()
    print(f"settings: RATE_LIMIT_PER_MINUTE {settings.rate_limit_per_minute}, MAX_CONCURRENT_CHATS "
          f"{settings.max_concurrent_chats}, CHAT_QUEUE_WAIT_SECONDS {settings.chat_queue_wait_seconds:g}, "
          f"UI_CONCURRENCY_LIMIT {settings.ui_concurrency_limit}, QUEUE_MAX_SIZE {settings.queue_max_size}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.port is not None:
        right, _ = run_parts(f"http://127.0.0.1:{args.port}", args.rest_users, args.gradio_users, args.turns)
        return 0 if right else 1
    runs = [args.workers] if args.workers else [1, WORKERS]
    with tempfile.TemporaryDirectory(prefix="loadtest-") as scratch:
        results = [run_served(Path(scratch), workers, args) for workers in runs]
    print("side by side:\n" + "\n".join(line for _, line in results), flush=True)
    return 0 if all(right for right, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
