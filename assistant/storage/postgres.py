"""One PostgreSQL database that the session and feedback stores share (POLICY_ASSISTANT_DATABASE_URL).

Connections: a fresh one per operation, no pool. A turn is one transaction on one connection
whatever the pool, so a pool would save only the connection set-up (about 8 ms on loopback with
scram-sha-256 password checks) against a turn of about 10 ms; in return every worker keeps idle
connections and a restarted server leaves dead ones behind. Put PgBouncer in front, or a pool
here, when that set-up shows in latency.

A lost connection (the server restarted, a network cut, the backend terminated) is retried once
on a fresh connection when it is lost before the operation committed; a second failure, or a
failed commit (its outcome unknown), is raised: the request fails, and readiness (`probe`)
reports the store failed until the database answers again. The URL's password is never logged:
logs and messages name the database by `describe(url)`.

Schema versions: one row per store in `schema_versions`; each migration is a small function run
once, all pending ones in one transaction under an advisory lock, so workers starting together
migrate once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict

log = logging.getLogger(__name__)
T = TypeVar("T")
Migration = Callable[[psycopg.Connection], None]

# Advisory locks are shared by every application using the database: the first of the two
# keys says the lock is this application's and what it guards.
MIGRATION_LOCK = 0x5041_0001
SESSION_LOCK = 0x5041_0002
# A server that does not answer a connection attempt in this long is down for this request.
CONNECT_TIMEOUT_SECONDS = 10


def describe(url: str) -> str:
    """The URL without its password (nor any other secret option): what logs and errors name."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        # libpq's message may quote the part it could not read, which may be the password.
        raise ValueError("the database URL is not a PostgreSQL URL libpq can read") from None
    host = parts.get("host", "localhost")
    port = f":{parts['port']}" if "port" in parts else ""
    user = f"{parts['user']}@" if "user" in parts else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname', '')}"


class PostgresDatabase:
    def __init__(self, url: str) -> None:
        self._url = url
        self.name = describe(url)

    def __repr__(self) -> str:
        return f"PostgresDatabase({self.name})"

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self._url, connect_timeout=CONNECT_TIMEOUT_SECONDS,
                               application_name="policy-assistant")

    def begin(self, first: Callable[[psycopg.Connection], T]) -> tuple[psycopg.Connection, T]:
        """A connection in an open transaction in which `first` ran; the caller commits and
        closes it (closing without a commit rolls back). Once more on a fresh connection when
        the first one was lost."""
        for attempt in (1, 2):
            db = None
            try:
                db = self.connect()
                return db, first(db)
            except psycopg.OperationalError as exc:
                if db is not None:
                    db.close()
                if attempt == 2 or not (db is None or db.broken):
                    raise
                log.warning("PostgreSQL %s: the connection failed (%s: %s); trying once more on a fresh one",
                            self.name, type(exc).__name__, str(exc).strip())
            except BaseException:
                if db is not None:
                    db.close()
                raise
        raise AssertionError("unreachable: the second attempt returns or raises")

    def run(self, operation: Callable[[psycopg.Connection], T]) -> T:
        """`operation` in one transaction, committed; retried once as `begin` says."""
        db, result = self.begin(operation)
        try:
            db.commit()
        finally:
            db.close()
        return result

    def migrate(self, store: str, migrations: Sequence[Migration]) -> None:
        def run_pending(db: psycopg.Connection) -> None:
            db.execute("SELECT pg_advisory_xact_lock(%s, 0)", (MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_versions (store TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_versions WHERE store = %s", (store,)).fetchone()
            version = row[0] if row else 0
            for migration in migrations[version:]:
                migration(db)
            db.execute("INSERT INTO schema_versions (store, version) VALUES (%s, %s) ON CONFLICT (store) "
                       "DO UPDATE SET version = GREATEST(schema_versions.version, excluded.version)",
                       (store, len(migrations)))

        self.run(run_pending)
