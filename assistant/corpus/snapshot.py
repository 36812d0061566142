"""The parsed library kept between processes, so a process starts by looking at file stats
instead of reading and parsing every policy text.

    <DATA_DIR>/library.sqlite3
        policies(folder, signature, meta, digest, search_text, document)

A row holds one policy folder as it was parsed: its metadata (read at start), the
digest and the searched text of its clauses (what the indexes and the policy map need), and the
whole document, read only when a question needs that policy's clauses. A folder is served from
its row while its files keep the names, sizes and modification times the row was written for,
and the parsing code is the code that wrote it; any other folder is read and parsed again and
a new row saved. The row it replaces is kept a while for processes started before the change,
which keep reading the version they started with. The snapshot only saves time: deleting it
loses nothing."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# A writer holding the file (another worker starting at once) is waited for this long.
BUSY_TIMEOUT_SECONDS = 30.0
# A folder's row replaced by a newer version stays readable this long, for the servers started
# before the change (README: restart them after changing the corpus); a day leaves a wide margin.
RETIRED_ROW_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Row:
    signature: str
    meta: str  # DocumentMeta as JSON
    digest: str  # of the clauses as the indexes read them
    search_text: str  # every clause's searched text, one line each


def folder_signature(folder: Path, parser: str) -> str:
    """Every file under the folder by relative name, size and modification time, and the parser."""
    entries, pending = [], [str(folder)]
    while pending:
        with os.scandir(pending.pop()) as found:
            for entry in found:
                if entry.is_dir():
                    pending.append(entry.path)
                else:
                    stat = entry.stat()
                    entries.append(f"{entry.path[len(str(folder)):]}\x01{stat.st_size}\x01{stat.st_mtime_ns}")
    return hashlib.sha256("\x00".join([parser, *sorted(entries)]).encode()).hexdigest()


def parser_version(modules: Iterable[Path]) -> str:
    """Changes whenever the code that turns a folder into a policy does, or OpenCC's tables."""
    digest = hashlib.sha256(metadata.version("opencc").encode())
    for module in modules:
        digest.update(module.read_bytes())
    return digest.hexdigest()


class LibrarySnapshot:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            with db:
                db.execute("DROP TABLE IF EXISTS policies")
                db.execute("""CREATE TABLE policies (folder TEXT NOT NULL, signature TEXT NOT NULL,
                              meta TEXT NOT NULL, digest TEXT NOT NULL, search_text TEXT NOT NULL,
                              document TEXT NOT NULL, retired_at REAL, PRIMARY KEY (folder, signature))""")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return db

    def rows(self) -> dict[str, Row]:
        """Every folder's current row but its document; nothing when the file cannot be read."""
        if not self.path.exists():
            return {}
        try:
            with closing(self._connect()) as db:
                found = db.execute("SELECT folder, signature, meta, digest, search_text FROM policies "
                                   "WHERE retired_at IS NULL")
                return {folder: Row(*fields) for folder, *fields in found}
        except sqlite3.DatabaseError as error:
            log.warning("library snapshot %s unreadable (%s): every policy is parsed", self.path, error)
            return {}

    def document(self, folder: str, signature: str) -> str | None:
        """The saved document of a folder as its files were (`signature`), as JSON; None once that
        version is gone (RETIRED_ROW_SECONDS after the folder changed) or the file is unreadable."""
        try:
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)) as db:
                found = db.execute("SELECT document FROM policies WHERE folder = ? AND signature = ?",
                                   (folder, signature)).fetchone()
        except sqlite3.DatabaseError:
            return None
        return found[0] if found else None

    def save(self, rows: dict[str, tuple[Row, str]], keep: set[tuple[str, str]]) -> None:
        """Adds `rows` (folder → row and document JSON) and retires every row not in `keep`
        (folder, signature): a process started before the change still reads its version until
        RETIRED_ROW_SECONDS later. A snapshot that cannot be written is only a slower next start."""
        now = time.time()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.executemany("INSERT OR REPLACE INTO policies VALUES (?, ?, ?, ?, ?, ?, NULL)",
                               [(folder, row.signature, row.meta, row.digest, row.search_text, document)
                                for folder, (row, document) in rows.items()])
                current = db.execute("SELECT folder, signature FROM policies WHERE retired_at IS NULL").fetchall()
                db.executemany("UPDATE policies SET retired_at = ? WHERE folder = ? AND signature = ?",
                               [(now, folder, signature) for folder, signature in current
                                if (folder, signature) not in keep])
                db.execute("DELETE FROM policies WHERE retired_at < ?", (now - RETIRED_ROW_SECONDS,))
        except (OSError, sqlite3.DatabaseError) as error:
            log.warning("library snapshot %s not saved (%s): the next start parses again", self.path, error)
