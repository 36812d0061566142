"""The dense side of retrieval behind one small contract, so the retriever does not care
whether the vectors live in Chroma (the product) or in memory (tests, small corpora)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from assistant.corpus.documents import Clause
from assistant.retrieval.embeddings import EmbedderContract


def clause_key(doc_id: str, clause_id: str) -> str:
    return f"{doc_id}:{clause_id}"


class ClauseVectors(Protocol):
    def cosines(self, query: str) -> dict[str, float]:
        """Cosine of the question against every indexed clause, by clause key."""
        ...

    def count(self) -> int:
        """How many clauses are indexed; touching the index is the readiness check."""
        ...


class InMemoryVectors:
    """Every clause embedded at construction and kept as one matrix."""

    def __init__(self, clauses: list[Clause], embedder: EmbedderContract) -> None:
        self.embedder = embedder
        self.keys = [clause_key(c.doc_id, c.clause_id) for c in clauses]
        self.matrix = embedder.passages([c.search_text for c in clauses]) if clauses else np.zeros((0, 1))

    def count(self) -> int:
        return len(self.keys)

    def cosines(self, query: str) -> dict[str, float]:
        if not self.keys:
            return {}
        scores = self.matrix @ self.embedder.queries([query])[0]
        return dict(zip(self.keys, (float(s) for s in scores), strict=True))
