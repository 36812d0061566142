"""A scripted OpenAI-compatible chat service for end-to-end tests: POST /v1/chat/completions on
127.0.0.1 (a free port), answering each request with the next step of its script, plain JSON or
`stream: true` server-sent events, tool calls included. Started and stopped by the tests.

Steps:
    {"content": "..."}                                  an answer
    {"tool_calls": [("policy_search", {"query": ...})]}  a round of tool calls
    {"status": 500} / {"status": 429}                   an error response
    {"hang": 30}                                        no response for that long (or until stop)
    {"content": "...", "pace": 0.05}                    streamed with that pause between events
    a callable(request: dict) -> step                   a step worked out from the request
When the script is empty, `default` answers (an error 500 unless set)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Step = dict[str, Any] | Callable[[dict], dict[str, Any]]
# Characters per streamed content delta: an answer of a sentence arrives in several events.
STREAM_CHARS = 5


def completion(step: dict[str, Any], model: str) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": step.get("content")}
    calls = _tool_calls(step)
    if calls:
        message["tool_calls"] = calls
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _tool_calls(step: dict[str, Any]) -> list[dict]:
    return [{"id": f"call_{n}", "type": "function",
             "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)}}
            for n, (name, args) in enumerate(step.get("tool_calls", []))]


def stream_events(step: dict[str, Any], model: str) -> list[dict]:
    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    text = step.get("content") or ""
    calls = _tool_calls(step)
    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": text[i:i + STREAM_CHARS]}) for i in range(0, len(text), STREAM_CHARS)]
    events += [chunk({"tool_calls": [{"index": n, **call}]}) for n, call in enumerate(calls)]
    events.append(chunk({}, "tool_calls" if calls else "stop"))
    return events


class ScriptedLLMServer:
    def __init__(self) -> None:
        self.script: list[Step] = []
        self.default: Step = {"status": 500}
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, name="scripted-llm", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def start(self) -> ScriptedLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._http.shutdown()
        self._http.server_close()

    def play(self, *steps: Step) -> None:
        """Replaces the script: the next requests get these steps, in order."""
        with self._lock:
            self.script = list(steps)
            self.requests.clear()

    def _next(self, request: dict) -> dict[str, Any]:
        with self._lock:
            self.requests.append(request)
            step = self.script.pop(0) if self.script else self.default
        return step(request) if callable(step) else step

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                    return
                step = server._next(body)
                if "hang" in step:
                    server._stopping.wait(step["hang"])
                    return
                if "status" in step:
                    kind = "rate_limit_exceeded" if step["status"] == 429 else "server_error"
                    self._json(step["status"], {"error": {"message": f"scripted {step['status']}", "type": kind}})
                    return
                model = body.get("model", "scripted")
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for event in stream_events(step, model):
                        self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                        self.wfile.flush()
                        server._stopping.wait(step.get("pace", 0))
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                self._json(200, completion(step, model))

            def _json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def system_prompt(request: dict) -> str:
    return next((m["content"] for m in request.get("messages", []) if m.get("role") == "system"), "")


def tool_names(request: dict) -> list[str]:
    return [tool["function"]["name"] for tool in request.get("tools", [])]
