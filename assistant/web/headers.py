"""Security headers on every response of the process: the REST API, /docs, /embed and the
mounted Gradio app.

Framing: only this origin and the portals of CORS_ORIGINS may frame a page
(`frame-ancestors`); with no portal configured, X-Frame-Options: SAMEORIGIN says the same to
browsers that predate CSP (it cannot list origins, so it is left out when portals are set).

Scripts: only this origin's files, plus inline scripts whose SHA-256 the policy lists. Gradio's
page carries inline scripts whose text changes per request (its config, the root URL), so the
hashes of an HTML page are taken from that very page as it goes out; the app's own head script,
which Gradio's frontend inserts at run time, is hashed once at start. No 'unsafe-inline' for
scripts: an event-handler attribute or a javascript: URL that slipped into rendered text would
not run. Gradio's page needs 'unsafe-eval' (gr.HTML renders its value through a Handlebars and
JS template compiled at run time); the app's own pages (/embed, /docs) do not get it. Styles do
need 'unsafe-inline': Gradio sets style attributes and injects <style> elements at run time.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# An origin as CORS_ORIGINS lists it: scheme://host[:port], nothing a header could be split on.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
# The Gradio page is ~170 KB (its config is inlined); a larger HTML body goes out without
# inline-script hashes (its inline scripts are then blocked) rather than be held in memory.
HTML_BUFFER_LIMIT = 4 * 1024 * 1024
_INLINE_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTRIBUTE = re.compile(rb"\bsrc\s*=", re.IGNORECASE)
REFERRER_POLICY = "same-origin"  # other sites learn nothing of the page a link or request came from
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
_OWN_HEADERS = (b"content-security-policy", b"x-frame-options", b"x-content-type-options", b"referrer-policy",
                b"permissions-policy")


def script_hash(text: bytes | str) -> str:
    """A CSP hash source for an inline script's text (line ends as the HTML parser leaves them)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return f"'sha256-{base64.b64encode(hashlib.sha256(data).digest()).decode('ascii')}'"


def inline_script_hashes(html: bytes | str) -> list[str]:
    """The hash of every inline <script> of an HTML text, in order, without repeats."""
    data = html.encode("utf-8") if isinstance(html, str) else html
    found = [script_hash(m.group(2)) for m in _INLINE_SCRIPT.finditer(data) if not _SRC_ATTRIBUTE.search(m.group(1))]
    return list(dict.fromkeys(found))


def frame_origins(origins: Iterable[str]) -> list[str]:
    """The configured origins that may frame the app; a malformed one is left out and logged."""
    kept = []
    for origin in origins:
        origin = origin.rstrip("/")
        if _ORIGIN.fullmatch(origin):
            kept.append(origin)
        else:
            log.warning("CORS origin %r is not scheme://host[:port]; it may not frame the app", origin)
    return kept


def content_security_policy(origins: Sequence[str], script_hashes: Sequence[str] = (), evaluates: bool = False) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *(["'unsafe-eval'"] if evaluates else []), *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": " ".join(["'self'", *origins]),
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    values = {name.lower(): value.lower() for name, value in headers}
    return values.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in values


class SecurityHeaders:
    """Pure ASGI, outermost: sets the headers on every HTTP response. An HTML page is held until
    its body is complete (up to HTML_BUFFER_LIMIT), so its own inline scripts can be hashed."""

    def __init__(self, app: ASGIApp, origins: Sequence[str], script_hashes: Sequence[str] = (),
                 no_eval_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.origins = frame_origins(origins)
        self.script_hashes = list(script_hashes)
        self.no_eval_paths = frozenset(no_eval_paths)
        self.fixed = [(b"x-content-type-options", b"nosniff"),
                      (b"referrer-policy", REFERRER_POLICY.encode()),
                      (b"permissions-policy", PERMISSIONS_POLICY.encode())]
        if not self.origins:
            self.fixed.append((b"x-frame-options", b"SAMEORIGIN"))

    def policy(self, page_hashes: Sequence[str] = (), evaluates: bool = False) -> str:
        hashes = list(dict.fromkeys([*self.script_hashes, *page_hashes]))
        return content_security_policy(self.origins, hashes, evaluates)

    def _start(self, message: Message, page_hashes: Sequence[str] = (), evaluates: bool = False) -> Message:
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OWN_HEADERS]
        policy = self.policy(page_hashes, evaluates).encode("latin-1")
        headers += [*self.fixed, (b"content-security-policy", policy)]
        return {**message, "headers": headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A file response must come as body messages (not a server-side file send) to be hashed.
        extensions = {k: v for k, v in (scope.get("extensions") or {}).items() if k != "http.response.pathsend"}
        scope = {**scope, "extensions": extensions}
        evaluates = scope.get("path") not in self.no_eval_paths
        held: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal held, size
            if message["type"] == "http.response.start":
                if message.get("status") == 200 and _is_html(list(message.get("headers", []))):
                    held = message
                    return
                await send(self._start(message))
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if message.get("more_body", False) and size <= HTML_BUFFER_LIMIT:
                return
            body = b"".join(chunks)
            hashes = inline_script_hashes(body) if size <= HTML_BUFFER_LIMIT else []
            start, held = held, None
            chunks.clear()
            await send(self._start(start, hashes, evaluates))
            await send({"type": "http.response.body", "body": body, "more_body": message.get("more_body", False)})

        await self.app(scope, receive, send_with_headers)
