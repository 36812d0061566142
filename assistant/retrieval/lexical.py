"""The lexical side: the language package's words over Simplified-folded text, scored with BM25.

Also answers "how much of this question does the corpus know?", one of the signals that
decide when the policy does not answer a question."""

from __future__ import annotations

import math

import numpy as np
from rank_bm25 import BM25Okapi

from assistant.language.tokenizer import Tokenizer


class LexicalIndex:
    def __init__(self, texts: list[str], tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        corpus_tokens = [tokenizer.tokens(text) for text in texts]
        self._bm25 = BM25Okapi(corpus_tokens)
        documents = len(corpus_tokens)
        frequency: dict[str, int] = {}
        for tokens in corpus_tokens:
            for token in set(tokens):
                frequency[token] = frequency.get(token, 0) + 1
        self._document_frequency = frequency
        # Smoothed IDF; a word the corpus never uses weighs most of all.
        self._unseen_idf = math.log(1 + (documents + 1) / 0.5)
        self._idf = {t: math.log(1 + (documents + 1) / (f + 0.5)) for t, f in frequency.items()}

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        return self._bm25.get_scores(query_tokens) if query_tokens else np.zeros(self._bm25.corpus_size)

    def coverage(self, query_tokens: list[str]) -> float:
        """IDF-weighted share of the question's words that occur in the corpus (0..1)."""
        if not query_tokens:
            return 0.0
        unique = set(query_tokens)
        total = sum(self._idf.get(t, self._unseen_idf) for t in unique)
        known = sum(self._idf[t] for t in unique if t in self._idf)
        return known / total if total else 0.0

    def knows(self, token: str) -> bool:
        return token in self._document_frequency
