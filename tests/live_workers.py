"""The front of several workers for end-to-end tests: each worker is `create_app(..., behind_front=True)`
in a uvicorn thread on its own unix socket, the front (assistant/web/front.py) in another on a free
loopback port — what `policy-assistant serve --workers N` runs, in one process and with any assistant.
Each worker app is a separate Gradio app with its own queue, as in separate processes."""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import uvicorn

from assistant.config import Settings
from assistant.web.api import create_app
from assistant.web.front import Front
from assistant.web.guards import RateLimiter
from tests.conftest import free_port
from tests.live_server import EXPIRED_DAY, START_TIMEOUT, STOP_GRACE_SECONDS


class CountingApp:
    """ASGI wrapper counting the HTTP requests one worker received, by path."""

    def __init__(self, app) -> None:
        self.app, self.paths = app, Counter()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            self.paths[scope["path"]] += 1
        await self.app(scope, receive, send)


@dataclass
class LiveWorkers:
    url: str
    workers: list[CountingApp]
    servers: list[uvicorn.Server]
    threads: list[threading.Thread] = field(default_factory=list)

    def stop_worker(self, index: int) -> None:
        self.servers[index].should_exit = True
        self.threads[index].join(timeout=15)

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        for thread in self.threads:
            thread.join(timeout=15)


def _run(server: uvicorn.Server, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    return thread


def _wait(check, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {START_TIMEOUT}s")


def _healthy(socket: Path) -> bool:
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(socket)), timeout=5) as client:
        return client.get("http://worker/api/health").status_code == 200


def start_workers(assistants: list, settings: Settings, today: date = EXPIRED_DAY) -> LiveWorkers:
    run_dir = Path(tempfile.mkdtemp(prefix="front-test-"))
    sockets = [run_dir / f"worker-{n}.sock" for n in range(1, len(assistants) + 1)]
    apps = [CountingApp(create_app(assistant, today=today, settings=settings, behind_front=True))
            for assistant in assistants]
    servers = [uvicorn.Server(uvicorn.Config(app, uds=str(path), log_level="warning", forwarded_allow_ips="*",
                                             timeout_graceful_shutdown=STOP_GRACE_SECONDS))
               for app, path in zip(apps, sockets, strict=True)]
    port = free_port()
    front = Front(sockets, RateLimiter(settings.rate_limit_per_minute), settings.max_request_bytes)
    servers.append(uvicorn.Server(uvicorn.Config(front, host="127.0.0.1", port=port, log_level="warning",
                                                 timeout_graceful_shutdown=STOP_GRACE_SECONDS)))
    live = LiveWorkers(f"http://127.0.0.1:{port}", apps, servers)
    for n, (server, path) in enumerate(zip(servers, sockets, strict=False), start=1):
        live.threads.append(_run(server, f"worker-{n}"))
        _wait(lambda path=path: path.exists() and _healthy(path), f"worker {n}")
    live.threads.append(_run(servers[-1], f"front-{port}"))
    _wait(lambda: httpx.get(f"{live.url}/api/health").status_code == 200, "the front")
    return live
