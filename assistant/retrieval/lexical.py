"""The lexical side: the language package's words over Simplified-folded text, scored with BM25.

The index is bm25s's sparse matrix of per-word, per-clause BM25 scores (built once, saved, loaded
memory-mapped: lexical_store.py). A question is scored from the postings of its own words only,
so its cost follows how many clauses hold those words, not how many clauses there are; the
mean and spread over every clause, which score fusion standardises by, come from the same
postings (a clause without any of the words scores 0).

Also answers "how much of this question does the corpus know?", one of the signals that
decide when the policy does not answer a question, from each word's document frequency."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np

# bm25s sets its own logger to DEBUG when imported, whatever the application configured.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# k1 and b as rank_bm25's BM25Okapi had them when the fusion weight and the answerability
# thresholds were chosen. The IDF is Lucene's, log(1 + (N - df + 0.5) / (df + 0.5)): positive for
# every word. Okapi's goes negative for a word in more than half the clauses (a small library has
# many, e.g. 未来工厂), which BM25Okapi floored at a quarter of the mean IDF and bm25s's Robertson
# variant at 0. Measured on `make eval`: Lucene keeps every fresh set's score and the fused
# hit@1 / hit@3 totals (one blind question gained, one held-out question lost); Robertson lost a
# fresh-set case and a blind hit@3.
K1 = 1.5
B = 0.75
METHOD = "lucene"
# Part of a saved index's fingerprint: an index scored otherwise is built again.
SCORING = f"bm25s {bm25s.__version__} {METHOD} k1={K1} b={B}"


@dataclass(frozen=True)
class LexicalMatches:
    """BM25 of one question: the clauses holding any of its words (rows, ascending) with their
    scores, and the mean and standard deviation of the score over every clause. Arrays, not
    dicts: a common word can be in most clauses of a large library."""

    rows: np.ndarray
    scores: np.ndarray
    mean: float
    std: float

    def top(self, k: int) -> list[int]:
        """The k best rows, best first; ties in row order."""
        if len(self.rows) > k:
            # argpartition finds the k best in one pass; only those are sorted.
            best = np.argpartition(-self.scores, k - 1)[:k]
            cut = self.scores[best].min()
            best = np.flatnonzero(self.scores >= cut)  # every row tied at the cut, so ties go by row
        else:
            best = np.arange(len(self.rows))
        order = best[np.lexsort((self.rows[best], -self.scores[best]))][:k]
        return self.rows[order].tolist()

    def score(self, row: int) -> float:
        """The row's BM25: 0 when it holds none of the question's words."""
        at = int(np.searchsorted(self.rows, row))
        return float(self.scores[at]) if at < len(self.rows) and self.rows[at] == row else 0.0


class LexicalIndex:
    """Rows are clauses in the order of `keys` (clause_key)."""

    def __init__(self, bm25: bm25s.BM25, keys: list[str]) -> None:
        self._bm25 = bm25
        self.keys = keys
        self._rows = len(keys)
        self._vocabulary: dict[str, int] = bm25.vocab_dict
        indptr = bm25.scores["indptr"]
        self._data, self._indices, self._indptr = bm25.scores["data"], bm25.scores["indices"], indptr
        # Smoothed IDF; a word the corpus never uses weighs most of all.
        self._unseen_idf = math.log(1 + (self._rows + 1) / 0.5)

    @classmethod
    def build(cls, keys: list[str], tokens: list[list[str]]) -> LexicalIndex:
        bm25 = bm25s.BM25(k1=K1, b=B, method=METHOD)
        # bm25s needs one word at least in each clause; an empty clause gets its empty-word token.
        bm25.index([words or [""] for words in tokens], show_progress=False)
        return cls(bm25, keys)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, keys: list[str]) -> LexicalIndex:
        """Memory-mapped: only the pages of the words asked about are read from disk."""
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False), keys)

    def __len__(self) -> int:
        return self._rows

    def row(self, key: str) -> int:
        """The clause's row; past the last for a key the index does not hold."""
        return self._row_of.get(key, self._rows)

    @cached_property
    def _row_of(self) -> dict[str, int]:
        return {key: row for row, key in enumerate(self.keys)}

    def _postings(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        column = self._vocabulary.get(token)
        if column is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        start, end = int(self._indptr[column]), int(self._indptr[column + 1])
        return np.asarray(self._indices[start:end]), np.asarray(self._data[start:end])

    def match(self, query_tokens: list[str]) -> LexicalMatches:
        """Each word counts as often as the question repeats it (as rank_bm25 and bm25s score)."""
        postings = [self._postings(token) for token in query_tokens if token]
        rows = np.concatenate([p[0] for p in postings]) if postings else np.empty(0, dtype=np.int64)
        if not len(rows) or not self._rows:
            return LexicalMatches(np.empty(0, dtype=np.int64), np.empty(0), 0.0, 0.0)
        unique, inverse = np.unique(rows, return_inverse=True)
        totals = np.bincount(inverse, weights=np.concatenate([p[1] for p in postings]).astype(np.float64))
        mean = float(totals.sum()) / self._rows
        variance = max(float(np.square(totals).sum()) / self._rows - mean * mean, 0.0)
        return LexicalMatches(unique, totals, mean, math.sqrt(variance))

    def _idf(self, token: str) -> float | None:
        column = self._vocabulary.get(token)
        if column is None:
            return None
        frequency = int(self._indptr[column + 1]) - int(self._indptr[column])
        return math.log(1 + (self._rows + 1) / (frequency + 0.5))

    def coverage(self, query_tokens: list[str]) -> float:
        """IDF-weighted share of the question's words that occur in the corpus (0..1)."""
        if not query_tokens:
            return 0.0
        weights = [(self._idf(token), token) for token in set(query_tokens)]
        total = sum(self._unseen_idf if idf is None else idf for idf, _ in weights)
        known = sum(idf for idf, _ in weights if idf is not None)
        return known / total if total else 0.0

    def knows(self, token: str) -> bool:
        return token in self._vocabulary and token != ""
