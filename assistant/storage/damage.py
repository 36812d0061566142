"""A damaged SQLite file: how to recognise it and how to move it out of the way.

"file is not a database" (a garbage header) and "database disk image is malformed" (a truncated
or scribbled-on file) are damage; "database is locked", a full disk or a read-only folder are
not — those fail the request and are never a reason to move a file."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

# SQLite's primary result codes for a file that is not (or no longer) a database.
DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
# The files SQLite keeps next to a database; they belong to it and move with it.
COMPANIONS = ("-wal", "-shm", "-journal")


class DamagedDatabase(sqlite3.DatabaseError):
    """The integrity check found problems without SQLite raising one of its own errors."""


def is_damage(exc: BaseException) -> bool:
    if isinstance(exc, DamagedDatabase):
        return True
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in DAMAGE_CODES
    text = str(exc)
    return "file is not a database" in text or "malformed" in text


def check(path: Path) -> None:
    """Raises a damage error unless SQLite's quick check passes (O(size), for start-up)."""
    with closing(sqlite3.connect(path, timeout=10)) as db:
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise DamagedDatabase("; ".join(str(p) for p in problems[:3]))


def set_aside(path: Path) -> list[Path]:
    """Renames the database and its companion files to `<name>.damaged-<time>[-wal|-shm]`;
    returns the new paths. Nothing is deleted: an operator may still recover rows from them."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    moved = []
    for suffix in ("", *COMPANIONS):
        source = Path(f"{path}{suffix}")
        if source.exists():
            target = Path(f"{path}.damaged-{stamp}{suffix}")
            os.replace(source, target)
            moved.append(target)
    return moved
