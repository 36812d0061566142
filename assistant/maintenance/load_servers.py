"""The servers `make loadtest` runs on 127.0.0.1: the app (`policy-assistant serve`, one process or
several workers) and, for several workers, the Chroma server they share (`chroma run`). Every wait
is bounded; each server's output goes to a log file shown when it fails to start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

# Cold start is about 10 s on a quiet machine (README, Performance), over 50 s seen on a busy one;
# workers start one and then the rest, so they get twice as long.
START_TIMEOUT = 90.0
WORKERS_START_TIMEOUT = 180.0
CHROMA_START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    stop(process)
    raise RuntimeError(f"{what} did not answer at {url} within {seconds:.0f} s")


def start_chroma(path: Path, port: int, log_file) -> subprocess.Popen:
    """`chroma run` on 127.0.0.1:port with its files under `path`; returns once it answers."""
    chroma = Path(sys.executable).parent / "chroma"
    process = subprocess.Popen([str(chroma if chroma.exists() else shutil.which("chroma")), "run", "--path",
                                str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=log_file, stderr=subprocess.STDOUT)
    _wait_for(f"http://127.0.0.1:{port}/api/v2/heartbeat", process, CHROMA_START_TIMEOUT, "the Chroma server")
    return process


def start_app(data_dir: Path, port: int, log_file, workers: int = 1, chroma_port: int | None = None
              ) -> subprocess.Popen:
    """`policy-assistant index` then `serve` on 127.0.0.1, as `make run` starts the app, with a
    fresh data dir (and the Chroma server on `chroma_port`, if given); returns once /api/health
    answers. Indexed first, the server only opens saved indexes: it never loads the clause model."""
    env = os.environ | {"POLICY_ASSISTANT_DATA_DIR": str(data_dir), "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    if chroma_port is not None:
        env |= {"POLICY_ASSISTANT_CHROMA_MODE": "http", "POLICY_ASSISTANT_CHROMA_HOST": "127.0.0.1",
                "POLICY_ASSISTANT_CHROMA_PORT": str(chroma_port)}
    try:
        indexed = subprocess.run([sys.executable, "-m", "assistant.cli", "index"], env=env, stdout=log_file,
                                 stderr=subprocess.STDOUT, timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"`policy-assistant index` did not finish within {START_TIMEOUT:.0f} s") from None
    if indexed.returncode:
        raise RuntimeError(f"`policy-assistant index` failed (exit {indexed.returncode})")
    process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1",
                                "--port", str(port), "--workers", str(workers)],
                               env=env, stdout=log_file, stderr=subprocess.STDOUT)
    _wait_for(f"http://127.0.0.1:{port}/api/health", process, WORKERS_START_TIMEOUT if workers > 1 else START_TIMEOUT,
              f"the app ({workers} worker{'s' if workers > 1 else ''})")
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def children(pid: int) -> list[int]:
    """The direct children of a process, from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces: the fields after its closing parenthesis are fixed.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> tuple[int, int]:
    """(resident now, resident at peak) in MB."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                      if ":" in line)
    except OSError:
        return 0, 0
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def memory_line(app: subprocess.Popen, chroma: subprocess.Popen | None) -> str:
    """RSS (peak) of the app's processes: the one process, or the front and each worker."""
    workers = children(app.pid)
    parts = [f"{'front' if workers else 'process'} {'{} MB (peak {})'.format(*rss_mb(app.pid))}"]
    parts += [f"worker {n} {'{} MB (peak {})'.format(*rss_mb(pid))}" for n, pid in enumerate(workers, start=1)]
    if chroma is not None:
        parts.append(f"Chroma server {'{} MB (peak {})'.format(*rss_mb(chroma.pid))}")
    return "RSS after the load: " + ", ".join(parts)
