"""Wording nobody listed: where no cue says what a message asks, the nearest labelled example
utterances decide (corpus/vocabulary/examples.yaml), compared on the query embedding the
retriever computes for the same text anyway (the embedder caches it).

A class wins only when its nearest example stands clearly above every other class's nearest
example: e5 cosines bunch together, so a fixed cosine threshold would decide nothing, while the
gap between the best two classes says how sure the comparison is."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.language.data_files import read_yaml
from assistant.retrieval.embeddings import EmbedderContract

EXAMPLES_FILE = "examples.yaml"
# The best class's centroid must beat the runner-up's by at least this cosine. Chosen with
# `python -m assistant.maintenance.example_margin` (leave-one-out over the bank, e5 model): at
# 0.016 the examples decide 20% of the bank's own utterances, 86% of them rightly and all of them
# of the right kind (asked / refuse / outside); at 0.012, 32% with 80% right; at 0.008, 43% with
# 72% right. Only a message no cue read reaches the examples, so a sure answer matters more than
# a frequent one.
MARGIN = 0.016


@dataclass(frozen=True)
class Route:
    label: str  # asked.<kind>, refuse.<name> or outside
    margin: float  # cosine of the best class's nearest example minus the runner-up's


class ExampleRouter:
    """Each class is the mean direction of its examples (a centroid): with a dozen paraphrases a
    class, the centroid is steadier than the single nearest example (leave-one-out over the bank:
    51% against 39% of utterances routed rightly with no margin)."""

    def __init__(self, examples: dict[str, list[str]], embedder: EmbedderContract, margin: float = MARGIN,
                 cache_dir: Path | None = None) -> None:
        """`cache_dir` keeps the bank's vectors between processes, keyed by the model and the bank."""
        self.labels = [label for label, texts in examples.items() for _ in texts]
        self.texts = [text for texts in examples.values() for text in texts]
        self.classes = list(examples)
        self.embedder = embedder
        self.margin = margin
        self.cache_dir = cache_dir
        self._matrix: np.ndarray | None = None  # embedded on first use: start-up stays as it was
        self._centroids: np.ndarray | None = None

    @classmethod
    def from_folder(cls, folder: Path, embedder: EmbedderContract, cache_dir: Path | None = None) -> ExampleRouter:
        examples = read_yaml(folder / EXAMPLES_FILE)
        if not isinstance(examples, dict) or not all(
                isinstance(label, str) and isinstance(texts, list) and texts and all(isinstance(t, str) for t in texts)
                for label, texts in examples.items()):
            raise ValueError(f"{folder / EXAMPLES_FILE}: expected a mapping of label → non-empty list of utterances")
        return cls(examples, embedder, cache_dir=cache_dir)

    @property
    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = self._cached_vectors()
        return self._matrix

    def _cached_vectors(self) -> np.ndarray:
        if self.cache_dir is None:
            return self.embedder.queries(self.texts)
        key = hashlib.sha256("\x00".join([self.embedder.query_fingerprint, *self.texts]).encode()).hexdigest()[:16]
        path = self.cache_dir / f"examples-{key}.npy"
        if path.exists():
            vectors = np.load(path)
            if vectors.shape[0] == len(self.texts):
                return vectors
        vectors = self.embedder.queries(self.texts)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(temporary, vectors)
        temporary.replace(path)  # whole or absent: another process may read it at once
        return vectors

    def _centroids_without(self, exclude: int | None) -> np.ndarray:
        labels = np.array(self.labels)
        keep = np.arange(len(labels)) != (-1 if exclude is None else exclude)
        rows = [self.matrix[keep & (labels == label)].mean(axis=0) for label in self.classes]
        return np.array([row / (np.linalg.norm(row) or 1.0) for row in rows])

    def nearest(self, text: str, exclude: int | None = None) -> Route | None:
        """The class whose centroid is nearest, with its margin over the runner-up class;
        `exclude` leaves one example out (to measure the bank on itself)."""
        if exclude is None:
            if self._centroids is None:
                self._centroids = self._centroids_without(None)
            centroids, vector = self._centroids, self.embedder.queries([text])[0]
        else:
            centroids, vector = self._centroids_without(exclude), self.matrix[exclude]
        scores = [float(score) for score in centroids @ vector]
        order = np.argsort(scores)[::-1]
        if len(order) < 2:
            return None
        return Route(self.classes[order[0]], scores[order[0]] - scores[order[1]])

    def route(self, text: str) -> str | None:
        """The label the examples decide (asked.<kind>, refuse.<name>, outside), if sure."""
        found = self.nearest(text)
        return found.label if found is not None and found.margin >= self.margin else None
