"""The dense side: clauses embedded into a Chroma collection, embedded client or server.

Indexing is incremental by content hash: an unchanged clause is never embedded again. A rebuild
fills a new collection and switches to it (index_versions.py); a serving process follows."""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from tqdm import tqdm

from assistant.config import Settings
from assistant.corpus.documents import Clause, Document
from assistant.retrieval.dense import DenseMatches, VectorStatistics
from assistant.retrieval.embeddings import ChromaPolicyEmbedding, EmbedderContract, LangChainPolicyEmbeddings
from assistant.retrieval.index_versions import (
    BUILT_AT,
    IndexMissing,
    current_name,
    new_collection_name,
    remove_orphan_segments,
    retire,
    statistics_path,
    switch_to,
)

if TYPE_CHECKING:
    from langchain_chroma import Chroma

log = logging.getLogger(__name__)

EMBED_BATCH = 16
# Vectors read per request when their statistics are computed from a collection (1.5 MB a page).
STATISTICS_PAGE = 1000
T = TypeVar("T")


@dataclass
class IndexReport:
    added: int
    updated: int
    removed: int
    unchanged: int
    seconds: float

    @property
    def embedded(self) -> int:
        return self.added + self.updated

    def summary(self) -> str:
        return (f"index: {self.added} added, {self.updated} updated, {self.removed} removed, "
                f"{self.unchanged} unchanged in {self.seconds:.1f} s")


def chroma_client(settings: Settings) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_mode == "http":
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                   settings=chroma_settings)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def clause_hash(clause: Clause, embedder: EmbedderContract) -> str:
    key = f"{embedder.fingerprint}\x00{clause.location}\x00{clause.search_text}"
    return hashlib.sha256(key.encode()).hexdigest()


def open_collection(client: chromadb.ClientAPI, name: str, embedder: EmbedderContract) -> chromadb.Collection:
    """A clause collection, always with our embedding function (Chroma's default downloads one)."""
    # Chroma types the argument as a function over texts or images; ours embeds texts only.
    return client.get_collection(name, embedding_function=ChromaPolicyEmbedding(embedder))  # type: ignore[arg-type]


def _create_collection(client: chromadb.ClientAPI, settings: Settings,
                       embedder: EmbedderContract) -> chromadb.Collection:
    return client.create_collection(
        name=new_collection_name(settings),
        embedding_function=ChromaPolicyEmbedding(embedder),  # type: ignore[arg-type]
        metadata={"hnsw:space": "cosine", BUILT_AT: time.time()},
    )


def build_index(settings: Settings, documents: tuple[Document, ...], embedder: EmbedderContract, *,
                rebuild: bool = False, progress: bool = True,
                client: chromadb.ClientAPI | None = None) -> IndexReport:
    """Updates the current collection in place (only changed clauses are embedded). With
    `rebuild`, or when there is no index yet, fills a new collection while the current one keeps
    serving, switches the pointer to it, then deletes the one it replaced (index_versions.py)."""
    started = time.perf_counter()
    client = client or chroma_client(settings)
    existing = {c.name for c in client.list_collections()}
    current = current_name(client, settings)
    if current is None and settings.collection in existing:
        current = settings.collection  # an index from before the pointer: adopted as it is
        switch_to(client, settings, current)
    if not rebuild and current is not None and current in existing:
        clauses = open_collection(client, current, embedder)
        report = _fill(clauses, documents, embedder, progress)
        changed = report.embedded or report.removed
        collection_statistics(settings, clauses, fresh=bool(changed))
    else:
        clauses = _create_collection(client, settings, embedder)
        try:
            report = _fill(clauses, documents, embedder, progress)
            collection_statistics(settings, clauses, fresh=True)
        except BaseException:
            client.delete_collection(clauses.name)  # a half-built index never becomes current
            if settings.chroma_mode == "embedded":
                remove_orphan_segments(settings.chroma_dir)
            raise
        retire(client, settings, switch_to(client, settings, clauses.name))
    report.seconds = time.perf_counter() - started
    return report


def _fill(clauses: chromadb.Collection, documents: tuple[Document, ...], embedder: EmbedderContract,
          progress: bool) -> IndexReport:
    stored = clauses.get(include=["metadatas"])
    metadatas = stored["metadatas"]
    assert metadatas is not None  # included above
    stored_hash = {id_: (meta or {}).get("content_hash") for id_, meta in zip(stored["ids"], metadatas, strict=True)}
    wanted = {f"{c.doc_id}:{c.clause_id}": (c, doc.meta.title) for doc in documents for c in doc.clauses}

    stale = [id_ for id_ in stored_hash if id_ not in wanted]
    pending = [(id_, clause, title, clause_hash(clause, embedder)) for id_, (clause, title) in wanted.items()]
    pending = [p for p in pending if stored_hash.get(p[0]) != p[3]]
    updated = sum(1 for p in pending if p[0] in stored_hash)

    if stale:
        clauses.delete(ids=stale)
    bar = tqdm(total=len(pending), desc="embedding clauses", unit="clause", file=sys.stderr,
               disable=not progress or not pending)
    for start in range(0, len(pending), EMBED_BATCH):
        batch = pending[start : start + EMBED_BATCH]
        vectors = embedder.passages([clause.search_text for _, clause, _, _ in batch])
        clauses.upsert(
            ids=[id_ for id_, *_ in batch],
            embeddings=vectors,
            documents=[clause.text for _, clause, _, _ in batch],
            metadatas=[{"doc_id": clause.doc_id, "clause_id": clause.clause_id, "location": clause.location,
                        "title": title, "kind": clause.kind, "content_hash": digest}
                       for _, clause, title, digest in batch],
        )
        bar.update(len(batch))
    bar.close()
    return IndexReport(added=len(pending) - updated, updated=updated, removed=len(stale),
                       unchanged=len(wanted) - len(pending), seconds=0.0)


class ChromaVectors:
    """The current clause collection as the retriever's dense side. The pointer is read before
    each query, so a rebuild is followed without a restart; when the collection disappears under
    a query (a rebuild deleted it) the pointer is read again and the query retried once."""

    def __init__(self, client: chromadb.ClientAPI, settings: Settings, embedder: EmbedderContract) -> None:
        self.client = client
        self.settings = settings
        self.embedder = embedder
        self._open: chromadb.Collection | None = None
        self._statistics: tuple[str, VectorStatistics] | None = None
        self._lock = threading.Lock()

    @property
    def collection(self) -> chromadb.Collection:
        """The collection the pointer names now."""
        name = current_name(self.client, self.settings)
        if name is None:
            raise IndexMissing(f"no index in Chroma for {self.settings.collection!r}: run `policy-assistant index`")
        with self._lock:
            if self._open is None or self._open.name != name:
                if self._open is not None:
                    log.info("dense index: following the switch from %s to %s", self._open.name, name)
                self._open = open_collection(self.client, name, self.embedder)
            return self._open

    def _on_current(self, action: Callable[[chromadb.Collection], T]) -> T:
        first = self.collection
        try:
            return action(first)
        except Exception as exc:
            with self._lock:
                self._open = None  # opened again by name: a collection recreated under it has a new id
            again = self.collection
            if again.name == first.name and not isinstance(exc, NotFoundError):
                raise
            log.warning("dense index: collection %s failed under a query (%s: %s); retrying on %s",
                        first.name, type(exc).__name__, exc, again.name)
            return action(again)

    def count(self) -> int:
        return self._on_current(lambda clauses: clauses.count())

    def nearest(self, query: str, k: int, also: Collection[str] = ()) -> DenseMatches:
        vector = self.embedder.queries([query])[0]
        return self._on_current(lambda clauses: self._nearest(clauses, vector, k, also))

    def _nearest(self, clauses: chromadb.Collection, vector, k: int, also: Collection[str]) -> DenseMatches:
        statistics = self._statistics_of(clauses)
        if not statistics.count:
            return DenseMatches({}, 0.0, 0.0)
        found = clauses.query(query_embeddings=[vector], n_results=min(k, statistics.count),
                              include=["distances"])
        distances = found["distances"]
        assert distances is not None  # included above
        cosines = {id_: 1.0 - distance for id_, distance in zip(found["ids"][0], distances[0], strict=True)}
        missing = [key for key in also if key not in cosines]
        if missing:
            stored = clauses.get(ids=missing, include=["embeddings"])
            embeddings = stored["embeddings"]
            assert embeddings is not None  # included above
            cosines.update({id_: float(np.dot(embedding, vector))
                            for id_, embedding in zip(stored["ids"], embeddings, strict=True)})
        mean, std = statistics.cosine_spread(vector)
        return DenseMatches(cosines, mean, std)

    def _statistics_of(self, clauses: chromadb.Collection) -> VectorStatistics:
        with self._lock:
            if self._statistics is None or self._statistics[0] != clauses.name:
                self._statistics = (clauses.name, collection_statistics(self.settings, clauses))
            return self._statistics[1]


def collection_statistics(settings: Settings, clauses: chromadb.Collection, *, fresh: bool = False) -> VectorStatistics:
    """The vectors' statistics saved when the collection was filled; read back from the
    collection (and saved) when they are missing, e.g. on a machine that did not fill it."""
    path = statistics_path(settings, clauses.name)
    if not fresh and path.exists():
        return VectorStatistics.load(path)
    statistics = VectorStatistics.of(_embedding_pages(clauses))
    statistics.save(path)
    return statistics


def _embedding_pages(clauses: chromadb.Collection):
    offset = 0
    while True:
        page = clauses.get(include=["embeddings"], limit=STATISTICS_PAGE, offset=offset)
        embeddings = page["embeddings"]
        if embeddings is None or not len(embeddings):
            return
        yield np.asarray(embeddings)
        offset += len(embeddings)


def vector_store(settings: Settings, embedder: EmbedderContract,
                 client: chromadb.ClientAPI | None = None) -> Chroma:
    """The dense side as a LangChain vector store, for the LLM mode and any LangChain user. It
    stays on the collection current when it was made; make a new one after a rebuild."""
    # Imported here: the question path queries the collection directly and starts faster without it.
    from langchain_chroma import Chroma

    client = client or chroma_client(settings)
    name = current_name(client, settings)
    if name is None:
        raise IndexMissing(f"no index in Chroma for {settings.collection!r}: run `policy-assistant index`")
    return Chroma(client=client, collection_name=name,
                  embedding_function=LangChainPolicyEmbeddings(embedder),
                  create_collection_if_not_exists=False)
