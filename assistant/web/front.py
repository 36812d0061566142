"""The front of several worker processes: one public host:port, each worker on a private unix socket.

Why a front, and not uvicorn's own `workers=N`: a Gradio event is a `queue/join` POST plus an SSE
stream (`queue/data`), and the queue, the events and the `gr.State` of a page live in the memory of
the process that took the join. uvicorn's workers share one listening socket and the kernel hands
each connection to any of them, so the stream often reaches a process that never saw the join
("Session not found"; in our experiment 6 of 20 gradio_client calls failed with 2 workers). So:

* **Gradio stays with one worker per session.** Requests naming a `session_hash` (the join's JSON
  body, `queue/data?session_hash=`, `heartbeat/<hash>`, `cancel`) go to the worker picked by a hash
  of it; the page and gradio_client send the same hash with every event, so one page's queue and
  state stay in one process. The `call/` API names only an event id on its second request, so it
  is kept to the worker of the client's address instead.
* **Everything else goes to the worker with the fewest requests awaiting an answer** (the REST API,
  pages, assets): any worker can answer, conversations live in the shared session store.
* **The per-client rate limit is counted here**, once for the machine, in memory: the front sees
  every request and its real client. It passes its count to the worker in RATE_WAIT_HEADER; the
  worker answers the 429 (or the first in-chat notice) exactly as one process does (`FrontCount`).

Workers listen on sockets in a private folder (0700), reachable by this front only, so they trust
its X-Forwarded-For and its count; the front decides the client address as uvicorn does for one
process (X-Forwarded-For only from FORWARDED_ALLOW_IPS) and drops any such header a client sent.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import anyio
import httpx
from starlette.types import Message, Receive, Scope, Send

from assistant.web.guards import _GRADIO_EVENT, LIMITED_API_PATHS, RateLimiter, error_body, scope_client

# The front's count for one request: seconds until the client may send again; absent = allowed.
RATE_WAIT_HEADER = "x-policy-assistant-rate-wait"
# Headers the front sets itself; a client's own are dropped. The rest are hop-by-hop (RFC 9110 7.6.1).
_SET_BY_FRONT = {b"x-forwarded-for", b"x-forwarded-proto", RATE_WAIT_HEADER.encode()}
_HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
               b"transfer-encoding", b"upgrade", b"proxy-connection"}
_HEARTBEAT = re.compile(r"^/gradio_api/heartbeat/([^/]+)")


class FrontCount:
    """A worker's limiter behind the front: the wait the front counted for this request."""

    clock = staticmethod(time.monotonic)

    def check(self, scope: Scope) -> float | None:
        for name, value in scope.get("headers", ()):
            if name == RATE_WAIT_HEADER.encode():
                return float(value)
        return None


def affinity_key(method: str, path: str, query: bytes, body: bytes, client: str) -> str | None:
    """The key that keeps a request with the worker holding its Gradio session; None: any worker."""
    if path.startswith("/gradio_api/call/"):
        return f"client {client}"
    heartbeat = _HEARTBEAT.match(path)
    if heartbeat:
        return heartbeat.group(1)
    named = parse_qs(query.decode("latin-1")).get("session_hash")
    if named:
        return named[0]
    if method == "POST" and path.startswith("/gradio_api/") and body:
        try:
            value = json.loads(body).get("session_hash")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) and value else None
    return None


def counted(method: str, path: str) -> bool:
    """Requests the per-client limit counts: the same as GradioRateLimit and api.py's routes."""
    return method == "POST" and (path in LIMITED_API_PATHS or bool(_GRADIO_EVENT.match(path)))


@dataclass
class Worker:
    number: int
    socket: Path
    client: httpx.AsyncClient = field(repr=False)
    waiting: int = 0  # requests sent to it that have no response head yet


class Front:
    """Pure ASGI: forwards each request to a worker and streams the answer back."""

    def __init__(self, sockets: list[Path], limiter: RateLimiter, max_body_bytes: int) -> None:
        # No read timeout: a Gradio stream may stay open as long as the page; connect is local.
        timeout = httpx.Timeout(connect=10.0, read=None, write=30.0, pool=None)
        self.workers = [Worker(n, path, httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=str(path)), base_url="http://worker", timeout=timeout,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64)))
            for n, path in enumerate(sockets, start=1)]
        self.limiter, self.max_body_bytes = limiter, max_body_bytes
        self._turn = itertools.count()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":  # no route of the app takes a websocket
            await send({"type": "websocket.close", "code": 1003})
            return
        method, path = scope["method"], re.sub("/{2,}", "/", scope["path"])
        head, complete = await _read_head(receive, self.max_body_bytes)
        if method == "GET" and path == "/api/ready":
            await self._ready(send)
            return
        client = scope_client(scope)
        wait = self.limiter.retry_after(client) if counted(method, path) else None
        key = affinity_key(method, path, scope.get("query_string", b""), head if complete else b"", client)
        worker = self._by_key(key) if key is not None else self._least_waiting()
        content: bytes | AsyncIterator[bytes] = head if complete else _rest_of_body(head, receive)
        request = worker.client.build_request(method, _target(scope), headers=_forwarded(scope, client, wait),
                                              content=content)
        worker.waiting += 1
        try:
            response = await worker.client.send(request, stream=True)
        except httpx.TransportError as exc:
            await _error(send, 502, "bad_gateway", f"工作进程{worker.number}暂不可用，请稍后再试。",
                         cause=type(exc).__name__)
            return
        finally:
            worker.waiting -= 1
        await _relay(response, receive, send)

    def _by_key(self, key: str) -> Worker:
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        return self.workers[int.from_bytes(digest, "big") % len(self.workers)]

    def _least_waiting(self) -> Worker:
        start = next(self._turn)  # ties go round the workers
        ring = self.workers[start % len(self.workers):] + self.workers[:start % len(self.workers)]
        return min(ring, key=lambda worker: worker.waiting)

    async def _ready(self, send: Send) -> None:
        """Ready when every worker is: the first worker's refusal, or the first one's 200."""
        answers: list[httpx.Response] = []
        for worker in self.workers:
            try:
                answer = await worker.client.get("/api/ready", timeout=10.0)
            except httpx.TransportError as exc:
                await _error(send, 503, "not_ready", f"服务暂未就绪：工作进程{worker.number}不可用，请稍后再试。",
                             checks={f"worker{worker.number}": {"status": "failed", "error": type(exc).__name__}})
                return
            answers.append(answer)
        chosen = next((a for a in answers if a.status_code != 200), answers[0])
        await send({"type": "http.response.start", "status": chosen.status_code,
                    "headers": [(k, v) for k, v in chosen.headers.raw if k.lower() not in _HOP_BY_HOP]})
        await send({"type": "http.response.body", "body": chosen.content})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for worker in self.workers:
                    await worker.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_head(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body up to `limit` bytes; (body, True) when that was all of it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > limit:  # the worker refuses it (413); the front only passes it on
            return b"".join(chunks), False


async def _rest_of_body(head: bytes, receive: Receive) -> AsyncIterator[bytes]:
    yield head
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
    return f"{path}?{query}" if query else path


def _forwarded(scope: Scope, client: str, wait: float | None) -> list[tuple[bytes, bytes]]:
    headers = [(name, value) for name, value in scope["headers"]
               if name not in _SET_BY_FRONT and name not in _HOP_BY_HOP]
    headers += [(b"x-forwarded-for", client.encode()), (b"x-forwarded-proto", scope["scheme"].encode())]
    if wait is not None:
        headers.append((RATE_WAIT_HEADER.encode(), repr(wait).encode()))
    return headers


async def _relay(response: httpx.Response, receive: Receive, send: Send) -> None:
    """Streams the worker's answer; a client that goes away closes the worker's stream too, so a
    Gradio page closed mid-answer ends its session on the worker as it would without the front."""
    try:
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP]})
        async with anyio.create_task_group() as group:

            async def until_gone() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(until_gone)
            try:
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.HTTPError:  # the worker went away mid-answer: the client's answer ends here
                pass
            await send({"type": "http.response.body", "body": b""})
            group.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await response.aclose()


async def _error(send: Send, status: int, code: str, message: str, **details: object) -> None:
    body = json.dumps(error_body(code, message, **details), ensure_ascii=False).encode()
    start: Message = {"type": "http.response.start", "status": status,
                      "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}
    await send(start)
    await send({"type": "http.response.body", "body": body})
