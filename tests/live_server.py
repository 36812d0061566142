"""A real server for end-to-end tests: uvicorn in a thread on a free loopback port, serving
`assistant.api.create_app` exactly as `policy-assistant serve` does."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import uvicorn

from assistant.config import REPO_ROOT, Settings
from assistant.web.api import create_app
from tests.conftest import free_port

SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
# The policy ran until 2025-12-31: on this day every answer must carry the expiry warning.
EXPIRED_DAY = date(2026, 5, 1)
START_TIMEOUT = 60.0
# Gradio clients keep a heartbeat stream open; a test server stops without waiting on it.
STOP_GRACE_SECONDS = 1


@dataclass
class LiveServer:
    url: str
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_server(assistant, settings: Settings, today: date = EXPIRED_DAY, port: int | None = None) -> LiveServer:
    port = port or free_port()
    app = create_app(assistant, today=today, settings=settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=STOP_GRACE_SECONDS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"server on port {port} exited during start-up")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return LiveServer(url, settings, server, thread)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.should_exit = True
    raise RuntimeError(f"server on port {port} did not answer within {START_TIMEOUT}s")


def server_settings(settings: Settings, tmp: Path, **overrides) -> Settings:
    """The test settings with the web knobs set; feedback goes to the test's own folder."""
    values = {"feedback_db": tmp / "feedback.sqlite3", "rate_limit_per_minute": 10_000} | overrides
    return settings.model_copy(update=values)


class GatedAssistant:
    """The real assistant, except that `reply` waits until the test opens the gate: it makes
    a chat slow on demand, so the overload test can fill every slot deterministically."""

    def __init__(self, inner, wait_seconds: float = 30.0) -> None:
        self._inner = inner
        self.gate = threading.Event()
        self.waiting = threading.Event()
        self.wait_seconds = wait_seconds

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def reply(self, *args, **kwargs):
        self.waiting.set()
        self.gate.wait(self.wait_seconds)
        return self._inner.reply(*args, **kwargs)


class BrokenAssistant:
    """The real assistant whose `reply` fails as a bug would: the interfaces must show a
    clear message, never the traceback."""

    SECRET = "internal detail that must not leak"

    def __init__(self, inner) -> None:
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def reply(self, *args, **kwargs):
        raise RuntimeError(self.SECRET)
