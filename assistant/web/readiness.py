"""Readiness: can this process answer a chat right now? `/api/health` only says it is alive.

Each check touches the real thing a chat needs: the index (a count on the current collection)
and the session store (a write and a read of its probe row). A failure is logged with its cause
for the operator; the response names the check and the kind of error only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CHECK_NAMES = {"index": "检索索引", "sessions": "会话存储"}


def _check(name: str, probe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"status": "ok", **probe()}
    except Exception as exc:
        log.error("readiness: the %s check failed: %s: %s", name, type(exc).__name__, exc, exc_info=True)
        return {"status": "failed", "error": type(exc).__name__}


def _index(assistant) -> dict[str, Any]:
    clauses = assistant.retriever.dense.count()
    if not clauses:
        raise LookupError("the index holds no clauses: run `policy-assistant index`")
    return {"clauses": clauses}


def _sessions(assistant) -> dict[str, Any]:
    assistant.sessions.probe()
    return {}


def readiness(assistant) -> tuple[bool, dict[str, dict[str, Any]]]:
    """(ready, checks by name)."""
    checks = {"index": _check("index", lambda: _index(assistant)),
              "sessions": _check("sessions", lambda: _sessions(assistant))}
    return all(check["status"] == "ok" for check in checks.values()), checks


def not_ready_message(checks: dict[str, dict[str, Any]]) -> str:
    failed = [CHECK_NAMES.get(name, name) for name, check in checks.items() if check["status"] != "ok"]
    return f"服务暂未就绪：{'、'.join(failed)}不可用，请稍后再试。"
