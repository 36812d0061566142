"""Per-session locks for the SQLite store that hold across threads and processes on one machine.

Why an OS file lock and not SQLite's own: a turn holds its session while the answer is composed
(tens of milliseconds, up to LLM_TIMEOUT_SECONDS with a model), and SQLite locks the whole
database, so a transaction around the turn would make every session wait for every other. A
byte-range lock keyed by session does not: each session locks one byte of one lock file (at
an offset from a 56-bit hash of its id), so turns of different sessions never wait for each
other and there is no file per session to clean up.

Linux open-file-description locks (F_OFD_SETLK) belong to the open file, not to the process:
two threads, or two stores in one process, exclude each other as two processes do, and closing
another descriptor of the file releases nothing. The kernel drops the lock when its holder
exits, so a killed worker never leaves a session locked. A thread lock per session goes first,
so turns within one process queue on it instead of polling the file. Waiting is bounded: after
`wait_seconds` SessionBusy names the session. The lock file lives beside the database and must
be on a local file system (several machines on one SQLite file is what PostgreSQL is for)."""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.storage.sessions import SessionBusy, session_key

KEY_BITS = 56
# struct flock (Linux, 64-bit off_t): type, whence, start, length, pid (0 for OFD locks), padding.
_FLOCK = "hhqqi4x"
# Polling interval while another process holds the session: a turn takes ~10 ms (README
# "Performance"), so the first polls come that soon; later ones back off to bound the system calls.
FIRST_POLL_SECONDS = 0.005
LAST_POLL_SECONDS = 0.05


class _ThreadLock:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0  # holding or waiting


class SessionFileLocks:
    def __init__(self, path: Path, wait_seconds: float) -> None:
        self.path = path
        self.wait_seconds = wait_seconds
        self._threads: dict[str, _ThreadLock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        deadline = time.monotonic() + self.wait_seconds
        with self._thread_lock(session_id, deadline):
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                self._lock_byte(descriptor, session_id, deadline)
                yield
            finally:
                os.close(descriptor)  # releases the byte lock

    def _busy(self, session_id: str) -> SessionBusy:
        return SessionBusy(f"session {session_id} is busy: its previous turn held it for over "
                           f"{self.wait_seconds:g} s")

    @contextmanager
    def _thread_lock(self, session_id: str, deadline: float) -> Iterator[None]:
        with self._guard:
            entry = self._threads.setdefault(session_id, _ThreadLock())
            entry.users += 1
        try:
            if not entry.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise self._busy(session_id)
            try:
                yield
            finally:
                entry.lock.release()
        finally:
            with self._guard:
                entry.users -= 1
                # Forget the lock once nobody holds or waits for it, so memory stays bounded.
                if entry.users == 0:
                    del self._threads[session_id]

    def _lock_byte(self, descriptor: int, session_id: str, deadline: float) -> None:
        request = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, session_key(session_id, KEY_BITS), 1, 0)
        pause = FIRST_POLL_SECONDS
        while True:
            try:
                fcntl.fcntl(descriptor, fcntl.F_OFD_SETLK, request)
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):  # anything but "held by another"
                    raise
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._busy(session_id) from None
                time.sleep(min(pause, remaining))
                pause = min(pause * 2, LAST_POLL_SECONDS)
