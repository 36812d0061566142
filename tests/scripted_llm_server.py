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

import argparse
import json
import re
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


# ── By hand: `python -m tests.scripted_llm_server --mode grounded` ──────────────────────────
_LOCATED = re.compile(r"【([^】]+)】([^【]+)")


def demo_step(mode: str) -> Callable[[dict], dict[str, Any]]:
    """A model for trying the assistant by hand, whatever is asked: it searches with the user's
    question, then answers per `mode` — `grounded` quotes the first clause found with its location,
    `invented` adds an amount no clause states, `quote` an invented quotation, `canary` repeats
    its instructions' canary; `hang`, `500` and `429` fail as their names say."""
    failures = {"hang": {"hang": 600}, "500": {"status": 500}, "429": {"status": 429}}

    def step(request: dict) -> dict[str, Any]:
        if mode in failures:
            return failures[mode]
        messages = request.get("messages", [])
        if not request.get("tools"):  # the follow-up rewrite: keep the message as it is
            return {"content": str(messages[-1]["content"]).rsplit("最新消息：", 1)[-1]}
        results = [m for m in messages if m.get("role") == "tool"]
        if not results:
            return {"tool_calls": [("policy_search", {"query": str(messages[-1]["content"]).rsplit("：", 1)[-1]})]}
        found = _LOCATED.search(str(results[-1]["content"]))
        location, text = (found.group(1), found.group(2).strip()) if found else ("", "")
        sentence = re.split(r"(?<=[。；])", text)[0]
        answer = f"根据{location}：「{sentence}」"
        extra = {"invented": "单个企业最高可获130万元。", "quote": "另规定「所有企业均可获得全额资助」。",
                 "canary": system_prompt(request).strip().splitlines()[-1]}
        return {"content": answer + extra.get(mode, ""), "pace": 0.03}

    return step


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.scripted_llm_server")
    parser.add_argument("--mode", default="grounded",
                        choices=["grounded", "invented", "quote", "canary", "hang", "500", "429"])
    args = parser.parse_args(argv)
    server = ScriptedLLMServer()
    server.default = demo_step(args.mode)
    server.start()
    print(f"scripted model ({args.mode}) at {server.url}; Ctrl-C stops it", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
