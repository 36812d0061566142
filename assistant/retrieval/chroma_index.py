"""The dense side: clauses embedded into a Chroma collection, embedded client or server.

Indexing is incremental by content hash: an unchanged clause is never embedded again."""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import chromadb
from chromadb.config import Settings as ChromaSettings
from tqdm import tqdm

from assistant.config import Settings
from assistant.corpus.documents import Clause, Document
from assistant.retrieval.dense import clause_key
from assistant.retrieval.embeddings import ChromaPolicyEmbedding, EmbedderContract, LangChainPolicyEmbeddings

if TYPE_CHECKING:
    from langchain_chroma import Chroma

EMBED_BATCH = 16


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


def collection(client: chromadb.ClientAPI, settings: Settings, embedder: EmbedderContract) -> chromadb.Collection:
    """The clause collection, always with our embedding function (Chroma's default downloads one)."""
    return client.get_or_create_collection(
        name=settings.collection,
        # Chroma types the argument as a function over texts or images; ours embeds texts only.
        embedding_function=ChromaPolicyEmbedding(embedder),  # type: ignore[arg-type]
        metadata={"hnsw:space": "cosine"},
    )


def build_index(settings: Settings, documents: tuple[Document, ...], embedder: EmbedderContract, *,
                rebuild: bool = False, progress: bool = True,
                client: chromadb.ClientAPI | None = None) -> IndexReport:
    started = time.perf_counter()
    client = client or chroma_client(settings)
    if rebuild and settings.collection in [c.name for c in client.list_collections()]:
        client.delete_collection(settings.collection)
    clauses = collection(client, settings, embedder)

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
                       unchanged=len(wanted) - len(pending), seconds=time.perf_counter() - started)


def update_index(settings: Settings, *, rebuild: bool = False, progress: bool = True) -> IndexReport:
    """`policy-assistant index`: the corpus in settings, embedded with the configured model."""
    from assistant.corpus.documents import load_corpus
    from assistant.retrieval.embeddings import Embedder

    return build_index(settings, load_corpus(settings.corpus_dir), Embedder.from_settings(settings),
                       rebuild=rebuild, progress=progress)


class ChromaVectors:
    """The clause collection as the retriever's dense side."""

    def __init__(self, clauses: chromadb.Collection, embedder: EmbedderContract) -> None:
        self.collection = clauses
        self.embedder = embedder

    def cosines(self, query: str) -> dict[str, float]:
        count = self.collection.count()
        if not count:
            return {}
        found = self.collection.query(query_embeddings=[self.embedder.queries([query])[0]],
                                      n_results=count, include=["metadatas", "distances"])
        metadatas, distances = found["metadatas"], found["distances"]
        assert metadatas is not None and distances is not None  # included above
        return {clause_key(str(meta["doc_id"]), str(meta["clause_id"])): 1.0 - distance
                for meta, distance in zip(metadatas[0], distances[0], strict=True)}


def vector_store(settings: Settings, embedder: EmbedderContract,
                 client: chromadb.ClientAPI | None = None) -> Chroma:
    """The dense side as a LangChain vector store, for the LLM mode and any LangChain user."""
    # Imported here: the question path queries the collection directly and starts faster without it.
    from langchain_chroma import Chroma

    client = client or chroma_client(settings)
    collection(client, settings, embedder)
    return Chroma(client=client, collection_name=settings.collection,
                  embedding_function=LangChainPolicyEmbeddings(embedder),
                  create_collection_if_not_exists=False)
