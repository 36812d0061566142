"""Which Chroma collection is the index: a pointer, switched atomically after a rebuild.

A rebuild fills a new collection `<collection>-<UTC time>` while the old one keeps serving,
then writes its name into the pointer (the metadata of the empty collection
`<collection>-current`, one row in Chroma, so it works for the embedded client and a server
alike) and finally removes the collection it replaced. A serving process reads the pointer
before each query (a fraction of a millisecond embedded) and follows the switch without a
restart; see `ChromaVectors` in chroma_index.py.

The embedded client leaves a deleted collection's segment folder on disk (chroma-core/chroma
#5520, still open for chromadb 1.5.9): `remove_orphan_segments` deletes every segment folder
that no collection uses any more."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import chromadb
from chromadb.errors import NotFoundError

from assistant.config import Settings

log = logging.getLogger(__name__)

POINTER_SUFFIX = "-current"
# Per collection, its vectors' mean and second moment (chroma_index.collection_statistics).
STATISTICS_DIR = "dense-statistics"
# Metadata key of a collection built by this program: when its build started (Unix seconds).
BUILT_AT = "built_at"
# After a switch the replaced collection is deleted only this much later, so queries that had
# just started on it finish first: a warm query takes 25 ms at p95 (README, bench), and 2 s is
# 80 times that. A query that still loses its collection is retried on the new one.
RETIRE_GRACE_SECONDS = 2.0
# A collection of ours that never became current (a rebuild that crashed) is deleted by a later
# rebuild once it is this old; a younger one may belong to a rebuild still running (a full
# rebuild of this corpus takes seconds, so an hour leaves a wide margin).
STALE_BUILD_SECONDS = 3600.0


class IndexMissing(RuntimeError):
    """No index has been built into this Chroma store yet."""


def pointer_name(settings: Settings) -> str:
    return f"{settings.collection}{POINTER_SUFFIX}"


def new_collection_name(settings: Settings) -> str:
    return f"{settings.collection}-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}"


def current_name(client: chromadb.ClientAPI, settings: Settings) -> str | None:
    """The collection the pointer names; a store built before pointers existed has its index
    under the plain collection name and is adopted by the next `build_index`."""
    try:
        metadata = client.get_collection(pointer_name(settings), embedding_function=None).metadata or {}
    except NotFoundError:
        return None
    current = metadata.get("current")
    return str(current) if current else None


def switch_to(client: chromadb.ClientAPI, settings: Settings, name: str) -> str | None:
    """Points the index at `name` (one metadata write); returns the name it pointed at before."""
    pointer = client.get_or_create_collection(pointer_name(settings), embedding_function=None)
    previous = (pointer.metadata or {}).get("current")
    pointer.modify(metadata={"current": name, "switched_at": time.time()})
    log.info("index: now serving collection %s (was %s)", name, previous or "none")
    return str(previous) if previous else None


def _ours(name: str, settings: Settings) -> bool:
    return name == settings.collection or (name.startswith(f"{settings.collection}-")
                                           and name != pointer_name(settings))


def retire(client: chromadb.ClientAPI, settings: Settings, previous: str | None) -> list[str]:
    """After a switch: deletes the replaced collection, a pre-pointer one, and builds that never
    became current and are older than STALE_BUILD_SECONDS; then the segment folders they left."""
    current = current_name(client, settings)
    if previous and previous != current:
        time.sleep(RETIRE_GRACE_SECONDS)
    now, deleted = time.time(), []
    for found in client.list_collections():
        name = found.name
        if name == current or not _ours(name, settings):
            continue
        built_at = (found.metadata or {}).get(BUILT_AT)
        stale = isinstance(built_at, int | float) and now - built_at > STALE_BUILD_SECONDS
        if name in {previous, settings.collection} or stale:
            try:
                client.delete_collection(name)
            except NotFoundError:
                continue  # another process deleted it first
            deleted.append(name)
    if deleted:
        log.info("index: deleted replaced collection(s) %s", ", ".join(deleted))
    remove_orphan_statistics(settings, {found.name for found in client.list_collections()})
    if settings.chroma_mode == "embedded":
        remove_orphan_segments(settings.chroma_dir)
    return deleted


def statistics_path(settings: Settings, collection_name: str) -> Path:
    """A collection's vector statistics (chroma_index.collection_statistics), beside the data."""
    return settings.data_dir / STATISTICS_DIR / f"{collection_name}.npz"


def remove_orphan_statistics(settings: Settings, collections: set[str]) -> list[str]:
    """Statistics files of collections that no longer exist; one still wanted is recomputed from
    its collection, so removing too many costs time only."""
    folder = settings.data_dir / STATISTICS_DIR
    removed = [path.name for path in folder.glob("*.npz") if path.stem not in collections] if folder.is_dir() else []
    for name in removed:
        (folder / name).unlink(missing_ok=True)
    return removed


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def segment_ids(chroma_dir: Path) -> set[str] | None:
    """The segments the embedded store's catalogue lists (read-only); None when it cannot be read."""
    catalogue = chroma_dir / "chroma.sqlite3"
    if not catalogue.exists():
        return set()
    try:
        with closing(sqlite3.connect(f"{catalogue.as_uri()}?mode=ro", uri=True, timeout=10)) as db:
            return {str(row[0]) for row in db.execute("SELECT id FROM segments")}
    except sqlite3.Error as exc:
        log.warning("index: cannot read Chroma's segment list in %s (%s); unused folders are left", catalogue, exc)
        return None


def remove_orphan_segments(chroma_dir: Path) -> list[str]:
    """Deletes segment folders (UUID-named) under `chroma_dir` that no collection uses."""
    live = segment_ids(chroma_dir)
    if live is None or not chroma_dir.is_dir():
        return []
    orphans = [p for p in chroma_dir.iterdir() if p.is_dir() and _is_uuid(p.name) and p.name not in live]
    for folder in orphans:
        shutil.rmtree(folder, ignore_errors=True)
    if orphans:
        log.info("index: removed %d unused segment folder(s) under %s", len(orphans), chroma_dir)
    return [p.name for p in orphans]
