"""What differs between the two databases in SQL the stores share, and the connection both
drivers (sqlite3, psycopg) offer. Statements are written once with `?` marks; a dialect turns them
into its driver's form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Connection(Protocol):
    """`execute` as sqlite3.Connection and psycopg.Connection both have it: the returned cursor
    answers fetchone() and rowcount."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...


@dataclass(frozen=True)
class Dialect:
    placeholder: str
    # Appended to the SELECT that picks the rows a purge deletes. PostgreSQL has many writers at
    # once: rows another transaction holds are left to the next purge, so two turns purging
    # expired rows never wait for each other (nor deadlock). SQLite has one writer at a time.
    skip_locked: str

    def __call__(self, sql: str) -> str:
        return sql.replace("?", self.placeholder).replace("{skip_locked}", self.skip_locked)


SQLITE = Dialect(placeholder="?", skip_locked="")
POSTGRES = Dialect(placeholder="%s", skip_locked=" FOR UPDATE SKIP LOCKED")
