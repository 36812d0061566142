"""`policy-assistant serve --workers N`: one host:port served by N worker processes behind a front.

    client ─► front (this process: uvicorn + web/front.py, no model) ─► worker 1 … N on unix sockets
                                                                        each: `serve` as one process

Each worker is `policy-assistant serve` as it runs alone — its own Assistant (model, retriever,
Gradio app) — started as a child process on a socket in a private folder. Why a front rather than
uvicorn's `workers=N` on one socket: Gradio keeps an event's queue and a page's state in the process
that took the event, and must get its stream there too (web/front.py says how requests are routed).

What the workers share lives outside them: the index in one Chroma server (`CHROMA_MODE=http`,
`make chroma`; the embedded Chroma is not safe in several processes, so N > 1 refuses it), and the
conversations and feedback in the session and feedback stores. Worker 1 starts first and brings
the index and the stores up to date; the others start once it answers, so no two start-ups write
the index or a store schema at once. The port opens when every worker answers. A worker that
exits stops the whole service (exit status 1), so a service manager restarts it whole; every
worker leaves when the front does, and stops on its own if the front is killed.

Memory: the front loads no model (under 100 MB); each worker holds its own model and indexes (about
the RSS of one `serve`, 1.2 GB); `make loadtest` prints the RSS of each process after its load.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import uvicorn

from assistant.config import Settings
from assistant.web.front import Front
from assistant.web.guards import RateLimiter

log = logging.getLogger(__name__)

# A worker's cold start is about 10 s on a quiet 2-core machine and over 50 s on a busy one
# (README, Performance); several starting at once share the cores.
WORKER_START_SECONDS = 240.0
# After the front stops: how long in-flight answers and open Gradio streams may take to finish,
# then how long a worker gets to stop before it is killed.
FRONT_GRACE_SECONDS, WORKER_STOP_SECONDS = 5, 20
# How often the front checks that its workers live, and a worker that its front does.
WATCH_SECONDS = 1.0


class WorkersFailed(RuntimeError):
    pass


def chroma_problem(settings: Settings, workers: int) -> str | None:
    if workers > 1 and settings.chroma_mode != "http":
        return (f"--workers {workers} needs one Chroma server for all workers: start one (`make chroma`) and set "
                "POLICY_ASSISTANT_CHROMA_MODE=http (CHROMA_HOST/CHROMA_PORT); the embedded index cannot be "
                "shared by several processes")
    return None


def serve_workers(settings: Settings, host: str, port: int, workers: int, today: date | None = None) -> int:
    """Starts the workers, serves the front on host:port until stopped; 1 when a worker failed."""
    problem = chroma_problem(settings, workers)
    if problem:
        raise WorkersFailed(problem)
    run_dir = Path(tempfile.mkdtemp(prefix="policy-assistant-workers-"))  # 0700: the front's alone
    sockets = [run_dir / f"worker-{n}.sock" for n in range(1, workers + 1)]
    processes: list[subprocess.Popen] = []
    try:
        processes.append(_start_worker(sockets[0], today))
        _wait_until_answering(processes[:1], sockets[:1])
        processes += [_start_worker(path, today) for path in sockets[1:]]
        _wait_until_answering(processes, sockets)
        for number, process in enumerate(processes, start=1):
            log.info("worker %d (pid %d): %s", number, process.pid, rss_text(process.pid))
        front = Front(sockets, RateLimiter(settings.rate_limit_per_minute), settings.max_request_bytes)
        server = uvicorn.Server(uvicorn.Config(front, host=host, port=port, log_level="info",
                                               timeout_graceful_shutdown=FRONT_GRACE_SECONDS))
        failed = threading.Event()
        threading.Thread(target=_watch_workers, args=(processes, server, failed), daemon=True).start()
        log.info("policy assistant at http://%s:%d/ served by %d workers (front pid %d, %s)", host, port, workers,
                 os.getpid(), rss_text(os.getpid()))
        server.run()
        return 1 if failed.is_set() else 0
    finally:
        _stop(processes)
        shutil.rmtree(run_dir, ignore_errors=True)


def _start_worker(socket: Path, today: date | None) -> subprocess.Popen:
    command = [sys.executable, "-m", "assistant.cli"]
    if today is not None:
        command += ["--today", today.isoformat()]
    # Its own session: a Ctrl-C reaches the front alone, which then stops the workers in order.
    return subprocess.Popen([*command, "serve", "--worker-socket", str(socket)], start_new_session=True)


def _wait_until_answering(processes: list[subprocess.Popen], sockets: list[Path]) -> None:
    deadline = time.monotonic() + WORKER_START_SECONDS
    waiting = dict(zip(sockets, processes, strict=True))
    while waiting and time.monotonic() < deadline:
        for path, process in list(waiting.items()):
            if process.poll() is not None:
                raise WorkersFailed(f"worker on {path.name} exited during start-up (status {process.returncode})")
            if _answers(path):
                del waiting[path]
        time.sleep(0.5)
    if waiting:
        raise WorkersFailed(f"{len(waiting)} worker(s) did not answer within {WORKER_START_SECONDS:.0f} s")


def _answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    try:
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(socket)), timeout=5) as client:
            return client.get("http://worker/api/health").status_code == 200
    except httpx.TransportError:
        return False


def _watch_workers(processes: list[subprocess.Popen], server: uvicorn.Server, failed: threading.Event) -> None:
    while not server.should_exit:
        for number, process in enumerate(processes, start=1):
            if process.poll() is not None:
                log.error("worker %d (pid %d) exited with status %s: stopping the service so that it is restarted "
                          "whole", number, process.pid, process.returncode)
                failed.set()
                server.should_exit = True
                return
        time.sleep(WATCH_SECONDS)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + WORKER_STOP_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def serve_worker(assistant, socket: Path, today: date | None = None) -> None:
    """One worker: the app of one process, behind the front, on its private socket."""
    from assistant.web.api import create_app

    assistant.warm_up()
    app = create_app(assistant, today, behind_front=True)
    config = uvicorn.Config(app, uds=str(socket), log_level="info", access_log=False,  # the front logs requests
                            forwarded_allow_ips="*",  # only the front reaches the socket: its headers hold
                            timeout_graceful_shutdown=FRONT_GRACE_SECONDS)
    server = uvicorn.Server(config)
    threading.Thread(target=_leave_with_front, args=(server, os.getppid()), daemon=True).start()
    server.run()


def _leave_with_front(server: uvicorn.Server, front: int) -> None:
    """A front killed outright (SIGKILL) leaves its workers behind; they notice and stop."""
    while not server.should_exit:
        if os.getppid() != front:
            log.warning("the front (pid %d) is gone: this worker stops", front)
            server.should_exit = True
            return
        time.sleep(WATCH_SECONDS)


def rss_text(pid: int) -> str:
    """The process's resident memory now and at its peak, from /proc (Linux)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "RSS unknown"
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    now, peak = (int(fields.get(name, "0 kB").split()[0]) // 1024 for name in ("VmRSS", "VmHWM"))
    return f"RSS {now} MB (peak {peak} MB)"
