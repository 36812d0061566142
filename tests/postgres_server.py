"""A PostgreSQL server of the tests' own: `initdb` into a fresh folder under /tmp, `postgres`
listening on 127.0.0.1 only at a free port (its unix socket in that folder), stopped and removed
at the end. With pytest-xdist each worker process starts its own.

initdb and postgres refuse to run as root; as root (here and in CI) they run as the `postgres`
system user that Debian's package creates (`runuser -u postgres --`), in a folder it owns. The
binaries are taken from PATH, else from Debian's /usr/lib/postgresql/<version>/bin (the newest).
The superuser has a password (scram-sha-256 over TCP), so the URL the stores get has one, as in
production. A server that cannot start raises with the reason: tests that need it fail, never skip.
Every step is bounded in time; durability is off (fsync), as the data dies with the test run."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

DEBIAN_BINARIES = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
INITDB_SECONDS = 120
START_SECONDS = 60
STOP_SECONDS = 30
# Tries at a free port: another process may take the port between the probe and the bind.
PORT_TRIES = 3
SERVER_OPTIONS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                  "-c shared_buffers=32MB -c max_connections=60")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found or started; the message says why and what to run."""


def binaries_dir() -> Path:
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    versions = [p for p in DEBIAN_BINARIES.glob("*/bin") if (p / "initdb").exists() and p.parent.name.isdigit()]
    if not versions:
        raise PostgresUnavailable("initdb is neither on PATH nor in /usr/lib/postgresql/<version>/bin: "
                                  "`make postgres` installs Debian's postgresql package")
    return max(versions, key=lambda p: int(p.parent.name))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailable(f"running as root, and there is no `{SERVER_USER}` user to run PostgreSQL as "
                                  "(initdb refuses root): `make postgres` installs Debian's package, "
                                  "which creates it") from None
    # util-linux's runuser sits in /usr/sbin, which a non-login root shell may not have on PATH.
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if runuser is None:
        raise PostgresUnavailable("running as root, and runuser (util-linux) is missing to run PostgreSQL as "
                                  f"`{SERVER_USER}`")
    return [runuser, "-u", SERVER_USER, "--"]


class PostgresServer:
    def __init__(self) -> None:
        self.bin = binaries_dir()
        self.prefix = _run_as_server_user()
        self.root = Path(tempfile.mkdtemp(prefix="policy-assistant-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.password = secrets.token_hex(12)
        self.port = 0
        if self.prefix:
            shutil.chown(self.root, SERVER_USER, SERVER_USER)

    def _run(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run([*self.prefix, *args], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)

    def _fail(self, step: str, result: subprocess.CompletedProcess) -> PostgresUnavailable:
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        return PostgresUnavailable(f"{step} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}"
                                   f"{' | server log: ' + log if log else ''}")

    def start(self) -> PostgresServer:
        password_file = self.root / "password"
        password_file.write_text(self.password)
        if self.prefix:
            shutil.chown(password_file, SERVER_USER, SERVER_USER)
        result = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
                           "--no-locale", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256",
                           f"--pwfile={password_file}", timeout=INITDB_SECONDS)
        password_file.unlink()
        if result.returncode != 0:
            raise self._fail("initdb", result)
        for _ in range(PORT_TRIES):
            self.port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} {SERVER_OPTIONS}"
            result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                               "-w", "-t", str(START_SECONDS), "start", timeout=START_SECONDS + 10)
            if result.returncode == 0:
                return self
            if "already in use" not in (self.log.read_text(errors="replace") if self.log.exists() else ""):
                break
        raise self._fail("pg_ctl start", result)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                          "-t", str(STOP_SECONDS), "stop", timeout=STOP_SECONDS + 10)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url(), autocommit=True, connect_timeout=10)

    def create_database(self) -> str:
        """A new, empty database; its name."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        with self.admin() as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as db:
            db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
