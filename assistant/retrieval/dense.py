"""The dense side of retrieval behind one small contract, so the retriever does not care
whether the vectors live in Chroma (the product) or in memory (tests, small corpora).

A question asks for its nearest clauses only. Score fusion standardises cosines by their mean
and spread over every clause; both follow exactly from two statistics of the clause vectors,
kept with the index: for a question vector q, the mean cosine is q·m (m the mean vector) and
the mean squared cosine is qᵀSq (S the mean of v·vᵀ)."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.corpus.documents import Clause
from assistant.retrieval.embeddings import EmbedderContract


def clause_key(doc_id: str, clause_id: str) -> str:
    return f"{doc_id}:{clause_id}"


def split_clause_key(key: str) -> tuple[str, str]:
    """(doc_id, clause_id): clause ids (s3.i2) hold no colon, a doc_id might."""
    doc_id, _, clause_id = key.rpartition(":")
    return doc_id, clause_id


@dataclass(frozen=True)
class VectorStatistics:
    count: int
    mean: np.ndarray  # (d,)
    second_moment: np.ndarray  # (d, d): the mean of v vᵀ

    @classmethod
    def of(cls, batches: Iterable[np.ndarray]) -> VectorStatistics:
        """Accumulated batch by batch, so a large index is never held whole."""
        count, total, second = 0, None, None
        for batch in batches:
            batch = np.asarray(batch, dtype=np.float64)
            if not len(batch):
                continue
            total = batch.sum(axis=0) if total is None else total + batch.sum(axis=0)
            second = batch.T @ batch if second is None else second + batch.T @ batch
            count += len(batch)
        if not count or total is None or second is None:
            return cls(0, np.zeros(1), np.zeros((1, 1)))
        return cls(count, total / count, second / count)

    def cosine_spread(self, vector: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the question's cosine over every clause."""
        if not self.count:
            return 0.0, 0.0
        vector = np.asarray(vector, dtype=np.float64)
        mean = float(vector @ self.mean)
        variance = float(vector @ self.second_moment @ vector) - mean * mean
        return mean, math.sqrt(max(variance, 0.0))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial.npz")
        np.savez(partial, count=self.count, mean=self.mean, second_moment=self.second_moment)
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> VectorStatistics:
        with np.load(path) as stored:
            return cls(int(stored["count"]), stored["mean"], stored["second_moment"])


@dataclass(frozen=True)
class DenseMatches:
    """Cosines by clause key (the nearest clauses and those asked for by key), and the mean and
    standard deviation of the question's cosine over every clause."""

    cosines: dict[str, float]
    mean: float
    std: float


class ClauseVectors(Protocol):
    def nearest(self, query: str, k: int, also: Collection[str] = ()) -> DenseMatches:
        """The k clauses nearest the question, and the clauses keyed in `also`."""
        ...

    def count(self) -> int:
        """How many clauses are indexed; touching the index is the readiness check."""
        ...


class InMemoryVectors:
    """Every clause embedded at construction and kept as one matrix."""

    def __init__(self, clauses: list[Clause], embedder: EmbedderContract) -> None:
        self.embedder = embedder
        self.keys = [clause_key(c.doc_id, c.clause_id) for c in clauses]
        self._row = {key: row for row, key in enumerate(self.keys)}
        self.matrix = embedder.passages([c.search_text for c in clauses]) if clauses else np.zeros((0, 1))
        self.statistics = VectorStatistics.of([self.matrix])

    def count(self) -> int:
        return len(self.keys)

    def nearest(self, query: str, k: int, also: Collection[str] = ()) -> DenseMatches:
        if not self.keys:
            return DenseMatches({}, 0.0, 0.0)
        vector = self.embedder.queries([query])[0]
        scores = self.matrix @ vector
        rows = {*np.argsort(-scores, kind="stable")[:k].tolist(), *(self._row[key] for key in also if key in self._row)}
        mean, std = self.statistics.cosine_spread(vector)
        return DenseMatches({self.keys[row]: float(scores[row]) for row in rows}, mean, std)
