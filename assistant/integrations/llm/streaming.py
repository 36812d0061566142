"""Streaming a model's answer to the chat while `Assistant.reply` runs.

The chat sets a token sink for the turn (`reply_stream`); the model answerer finds it with
`current_sink()` and sends the model's tokens to it. What the chat finally shows is the Reply,
after the guard: a stream the guard refused is replaced by the plain answer and its warning.
Light on purpose: the web layer imports this module without the model clients."""

from __future__ import annotations

import contextlib
import contextvars
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")

# Reasoning models (DeepSeek-R1, Qwen3) may write their thinking between these tags: never shown.
_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.S)


def visible_text(text: str) -> str:
    return _THINKING.sub("", text).strip()


class TokenSink(Protocol):
    def token(self, text: str) -> None:
        """One more piece of the answer being written."""

    def reset(self) -> None:
        """What was sent so far is not the answer (the model went on to call a tool)."""


_SINK: contextvars.ContextVar[TokenSink | None] = contextvars.ContextVar("policy_assistant_token_sink", default=None)


def current_sink() -> TokenSink | None:
    return _SINK.get()


@contextlib.contextmanager
def streaming_to(sink: TokenSink) -> Iterator[None]:
    """Model answers written inside this block send their tokens to `sink`."""
    token = _SINK.set(sink)
    try:
        yield
    finally:
        _SINK.reset(token)


class GatedSink:
    """Passes tokens on until closed: a turn given up at its deadline sends nothing more."""

    def __init__(self, inner: TokenSink) -> None:
        self._inner = inner
        self._open = threading.Event()
        self._open.set()

    def token(self, text: str) -> None:
        if self._open.is_set():
            self._inner.token(text)

    def reset(self) -> None:
        if self._open.is_set():
            self._inner.reset()

    def close(self) -> None:
        self._open.clear()
        self._inner.reset()


class _QueueSink:
    def __init__(self, events: queue.Queue) -> None:
        self.events = events

    def token(self, text: str) -> None:
        self.events.put(("token", text))

    def reset(self) -> None:
        self.events.put(("reset", ""))


def streams(assistant: object) -> bool:
    """Whether the assistant's answerer can stream (a model is configured)."""
    return bool(getattr(getattr(assistant, "answerer", None), "streams", False))


def reply_stream(call: Callable[[], T]) -> Iterator[str | T]:
    """Runs `call` (one `Assistant.reply`) in a thread with a token sink set, and yields the text
    written so far each time more arrives, then the call's result last. `call` must not raise
    (the chat's `safe_reply` catches everything); if it does, the error is raised here."""
    events: queue.Queue = queue.Queue()

    def run() -> None:
        try:
            with streaming_to(_QueueSink(events)):
                events.put(("done", call()))
        except BaseException as exc:  # handed to the consumer, which raises it
            events.put(("error", exc))

    threading.Thread(target=contextvars.copy_context().run, args=(run,), name="reply-stream", daemon=True).start()
    written = ""
    while True:
        kind, value = events.get()  # the thread always ends with "done" or "error"
        pending = [(kind, value)]
        while kind not in ("done", "error") and not events.empty():
            kind, value = events.get_nowait()
            pending.append((kind, value))
        for kind, value in pending:
            if kind == "token":
                written += value
            elif kind == "reset":
                written = ""
            elif kind == "error":
                raise value
            else:
                yield value
                return
        shown = visible_text(written)
        if shown:
            yield shown
