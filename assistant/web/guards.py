"""What stands between the open internet and the assistant: one error shape, request size,
per-client rate, bounded concurrency, and paths that must never reach a file route.

Every refusal is JSON `{"error": {"code": "...", "message": "..."}}` with a Chinese message
a portal can show as is; nothing here ever returns a stack trace.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.storage.sessions import SessionBusy

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.details = details


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **details: Any) -> JSONResponse:
    return JSONResponse(error_body(code, message, **details), status_code=status, headers=headers)


# What the OpenAPI docs show for every error status.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "examples": ["message_too_long"]},
        "message": {"type": "string", "examples": ["消息过长（2500字），上限为2000字，请精简后再问。"]},
    }}},
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    for status, text in [(400, "bad input"), (413, "message or body too long"),
                         (429, "over the per-client rate limit"), (503, "overloaded, retry later")]
}

_STATUS_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 413: "request_too_large", 429: "rate_limited", 503: "overloaded"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers, **exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI answers 422 with its own shape; the portal contract is 400 with ours.
        problems = [{"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                     "problem": err.get("msg", "")} for err in exc.errors()]
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return error_response(400, "invalid_json", "请求体不是有效的JSON。")
        fields = "、".join(p["field"] for p in problems if p["field"]) or "请求体"
        return error_response(400, "invalid_request", f"请求格式不正确：{fields}", problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code
        return error_response(exc.status_code, code, message)

    @app.exception_handler(SessionBusy)
    async def _busy(request: Request, exc: SessionBusy) -> JSONResponse:
        # The session's previous turn is still being answered: the client may send this one again.
        return error_response(503, "session_busy", "该会话的上一条消息仍在处理中，请稍后重试。",
                              retry_after_header(OVERLOADED_RETRY_AFTER))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return error_response(500, "internal_error", "服务器内部错误，请稍后再试；如持续出现请联系管理员。")


class RateLimiter:
    """At most `limit` requests per client in any `window` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float | None:
        """Record one request; None when allowed, else seconds until the next one would be."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                self._hits = {key: q for key, q in self._hits.items() if q and q[-1] > now - self.window}
            return None

    def check(self, scope: Scope) -> float | None:
        """`retry_after` for the client of this request (the limiter's face to routes and middleware;
        a worker behind the front reads the front's count instead: web/front.py `FrontCount`)."""
        return self.retry_after(scope_client(scope))


def client_key(request: Request) -> str:
    # Behind a reverse proxy uvicorn's proxy_headers put the real client here.
    return request.client.host if request.client else "unknown"


def scope_client(scope: Scope) -> str:
    """`client_key` for middleware, which has the ASGI scope rather than a Request."""
    client = scope.get("client")
    return client[0] if client else "unknown"


def retry_after_header(wait: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(wait)))}


# Seconds a chat refused for overload is told to wait: a full queue at the default settings
# (50 chats at once, see `make loadtest`) drains in about this long.
OVERLOADED_RETRY_AFTER = 5


class ChatSlots:
    """Bounded concurrency with a bounded wait: `size` chats are answered at once; one more waits
    up to `wait` seconds for a slot, then is told to come back (503), so a burst is queued but
    cannot pile up minutes of work. The wait is on the event loop: a waiting chat holds no thread."""

    def __init__(self, size: int, wait: float) -> None:
        self.size, self.wait = size, wait
        self.waiting = 0  # chats waiting for a slot now (tests and diagnostics read it)
        self._slots = anyio.Semaphore(size)

    async def __aenter__(self) -> ChatSlots:
        try:
            self._slots.acquire_nowait()
            return self
        except anyio.WouldBlock:
            pass
        self.waiting += 1
        try:
            with anyio.move_on_after(self.wait):
                await self._slots.acquire()
                return self
        finally:
            self.waiting -= 1
        raise ApiError(503, "overloaded", "当前咨询人数较多，请稍后再试。",
                       headers=retry_after_header(OVERLOADED_RETRY_AFTER))

    async def __aexit__(self, *exc: object) -> None:
        self._slots.release()


def _forbidden_path(path: str) -> bool:
    """Paths no route of this app has a reason to see: traversal, and Gradio's routes that
    would fetch a URL on the client's behalf."""
    segments = path.split("/")
    if ".." in segments or any(s.startswith("file=") and ".." in s for s in segments):
        return True
    lowered = path.lower()
    return "/proxy=" in lowered or "file=http:" in lowered or "file=https:" in lowered


class GuardMiddleware:
    """Pure ASGI so it also covers the mounted Gradio app: refuses forbidden paths (403) and
    bodies over `max_bytes` (413) before any route reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path", b"").decode("latin-1")
        if _forbidden_path(scope["path"]) or _forbidden_path(raw_path.split("?")[0]):
            await error_response(403, "forbidden_path", "不允许访问该路径。")(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        await self._buffered(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await error_response(413, "request_too_large",
                             f"请求体过大，上限为{self.max_bytes}字节。")(scope, receive, send)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A body without Content-Length (chunked) is read up to the limit, then replayed."""
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)


class Limiter(Protocol):
    """What the routes and GradioRateLimit ask of a rate limiter: the wait for this request, if any."""

    clock: Callable[[], float]

    def check(self, scope: Scope) -> float | None: ...


# The POST endpoints of /api that count against the per-client limit (api.py puts the limit on
# exactly these; the front of several workers counts them: web/front.py).
LIMITED_API_PATHS = frozenset({"/api/chat", "/api/calculate", "/api/eligibility", "/api/feedback"})
# Gradio's routes that submit an event: queue/join (the page and gradio_client), call/ and
# call/v2/ (HTTP callers), run/ and api/ (events outside the queue, direct calls).
_GRADIO_EVENT = re.compile(r"^/gradio_api/(?:queue/join|call/|run/|api/)")
# Where GradioRateLimit tells the chat handler, in the request's ASGI state, that the client is over.
RATE_NOTICE = "rate_limit_retry_after"


def rate_limited_text(seconds: int) -> str:
    return f"您的提问过于频繁，请{seconds}秒后再试。"


def rate_notice(request: Any) -> int | None:
    """Seconds to wait, when GradioRateLimit let this event through only to be told it is over
    the limit; None otherwise. Takes a gr.Request (which wraps the Starlette one) or a Request."""
    inner = getattr(request, "request", request)
    scope = getattr(inner, "scope", None) or {}
    return (scope.get("state") or {}).get(RATE_NOTICE)


class GradioRateLimit:
    """Pure ASGI: the per-client limiter of the /api POST endpoints on Gradio's event submissions
    too, so the Gradio API is no way around it. Over the limit: 429 in the API's error shape with
    Retry-After, plus `detail`, which Gradio's page and gradio_client show. A client's first refused
    queue/join of a window goes through marked instead (RATE_NOTICE), so a person in the chat is told
    in words (ui.py); every further one is a plain 429, so a flood never reaches Gradio's queue."""

    def __init__(self, app: ASGIApp, limiter: Limiter) -> None:
        self.app, self.limiter = app, limiter
        self._noticed: dict[str, float] = {}  # client → until when its notice stands

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = re.sub("/{2,}", "/", scope.get("path", ""))
        if scope["type"] != "http" or scope["method"] != "POST" or not _GRADIO_EVENT.match(path):
            await self.app(scope, receive, send)
            return
        client = scope_client(scope)
        wait = self.limiter.check(scope)
        if wait is None:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        if path.startswith("/gradio_api/queue/join") and self._first_notice(client, wait):
            scope.setdefault("state", {})[RATE_NOTICE] = seconds
            await self.app(scope, receive, send)
            return
        body = error_body("rate_limited", "请求过于频繁，请稍后再试。") | {"detail": rate_limited_text(seconds)}
        await JSONResponse(body, status_code=429, headers=retry_after_header(wait))(scope, receive, send)

    def _first_notice(self, client: str, wait: float) -> bool:
        now = self.limiter.clock()
        if self._noticed.get(client, now) > now:
            return False
        if len(self._noticed) > 10_000:  # forget old notices so memory stays bounded
            self._noticed = {key: until for key, until in self._noticed.items() if until > now}
        self._noticed[client] = now + wait
        return True


def json_safe(value: Any) -> Any:
    """Decimals (exact yuan inside the calculators) become JSON numbers for portals."""
    return json.loads(json.dumps(value, default=float))
