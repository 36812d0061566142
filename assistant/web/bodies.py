"""What a REST body must be before any route reads it, and what an unexpected failure looks
like at the edge. Both end in the documented error JSON; neither drops a kept-alive connection.

FastAPI reads a body with `json.loads`, which accepts what RFC 8259 leaves undefined and the
routes cannot use: lone surrogate escapes ("\\ud800", text no encoder can write back), NaN and
Infinity, numbers beyond float range, duplicate keys, and nesting deep enough to exhaust the
stack. A body of /api/ must be strict UTF-8 JSON without any of them, sent as application/json.
"""

from __future__ import annotations

import json
import logging
import math
import re
from email.message import Message as MimeHeader
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.web.guards import error_response

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# No endpoint's body nests deeper than a feedback citation (object → list → object); 32 leaves
# room for any sensible client and stops a 10,000-deep list long before the parser recurses.
MAX_JSON_DEPTH = 32
INTERNAL_ERROR_MESSAGE = "服务器内部错误，请稍后再试；如持续出现请联系管理员。"

# A JSON string (running to the end of the text when unterminated, so no start is tried twice)
# or a bracket: one pass, linear in the text.
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)


class BodyError(ValueError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _invalid(message: str) -> BodyError:
    return BodyError(400, "invalid_json", message)


def nesting_depth(raw: bytes, stop_at: int = MAX_JSON_DEPTH) -> int:
    """How deep the brackets of a JSON text nest, outside strings; counting stops past `stop_at`.
    A loop, not a parser: it cannot recurse however deep the text goes."""
    depth = deepest = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token[:1] == b'"':
            continue
        depth += 1 if token in b"[{" else -1
        deepest = max(deepest, depth)
        if deepest > stop_at:
            break
    return deepest


def _no_constants(name: str) -> Any:
    raise _invalid(f"请求体含有JSON不允许的数值“{name}”。")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _invalid(f"请求体中的数值超出范围：{text[:30]}")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        repeated = next(key for key in keys if keys.count(key) > 1)
        raise _invalid(f"请求体中的字段“{repeated[:30]}”出现了不止一次。")
    return dict(pairs)


def read_json(raw: bytes) -> Any:
    """The body as strict JSON, or BodyError saying in Chinese what is wrong with it."""
    try:
        text = raw.decode("utf-8-sig")  # a leading BOM is allowed (RFC 8259 §8.1), as json.loads allows it
    except UnicodeDecodeError:
        raise _invalid("请求体不是有效的UTF-8文本。") from None
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        raise _invalid(f"请求体嵌套层数过多（上限{MAX_JSON_DEPTH}层）。")
    try:
        value = json.loads(text, parse_constant=_no_constants, parse_float=_finite, object_pairs_hook=_unique_keys)
    except BodyError:
        raise
    except (ValueError, RecursionError):  # JSONDecodeError, and int() past its digit limit
        raise _invalid("请求体不是有效的JSON。") from None
    try:
        # A lone surrogate survives json.loads but no encoder can write it: not text.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid("请求体含有无效的Unicode字符（不成对的代理项）。") from None
    return value


def is_json_type(content_type: str) -> bool:
    header = MimeHeader()
    header["content-type"] = content_type
    subtype = header.get_content_subtype()
    return header.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class JsonBodyGuard:
    """Pure ASGI, for /api/: reads the body (at most `max_bytes`), refuses what `read_json`
    refuses with 400 and a body that is not declared JSON with 415, then replays the body to the
    route. FastAPI parses it again; the bodies are small (MAX_REQUEST_BYTES)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await error_response(413, "request_too_large",
                                     f"请求体过大，上限为{self.max_bytes}字节。")(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        if body:
            try:
                content_type = _header(scope, b"content-type")
                if content_type is None or not is_json_type(content_type):
                    raise BodyError(415, "unsupported_media_type",
                                    "请求体应为JSON，并声明 Content-Type: application/json。")
                read_json(body)
            except BodyError as exc:
                await error_response(exc.status, exc.code, exc.message)(scope, receive, send)
                return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class ErrorBarrier:
    """Pure ASGI, innermost: an exception no handler took becomes the documented 500 JSON here.
    Starlette's outermost handler sends the same 500 but then re-raises, and uvicorn closes the
    connection of a request that raised; here the error ends with its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "finished": False}

        async def tracked(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                state["finished"] = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if state["started"] and not state["finished"]:
                raise  # half a response is out: only closing the connection ends it
            log.exception("unhandled error on %s", scope.get("path"))
            if not state["started"]:
                await error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)(scope, receive, send)
