"""The schema version of a SQLite file (PRAGMA user_version); each migration is a small function
run once.

Several worker processes may open a new file at the same moment: the version is read again and
the migrations run inside one write transaction (BEGIN IMMEDIATE), so the second process finds
them done instead of creating the same table a second time."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence

Migration = Callable[[sqlite3.Connection], None]


# How long a process starting beside others keeps asking for write-ahead logging: the switch
# takes the file's exclusive lock and SQLite answers "database is locked" at once, without its busy
# timeout, while another process is opening the file; the same 10 s the connections wait for.
WAL_WAIT_SECONDS = 10.0


def use_write_ahead_log(db: sqlite3.Connection) -> None:
    deadline = time.monotonic() + WAL_WAIT_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
    """Runs the migrations the file lacks, in order, on a connection of its own."""
    if schema_version(db) >= len(migrations):
        return
    db.isolation_level = None  # the transaction below is explicit, DDL included
    db.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(db)
        for number, migration in enumerate(migrations[version:], start=version + 1):
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
