"""Shared fixtures in two tiers.

Fast (`make test-fast`, `pytest -m "not slow"`): `assistant` is built from the real corpus,
rulebook, tokenizer and BM25 with a hashing fake embedder and an in-memory dense index, so no
model is loaded and no index is built. Slow (`pytest.mark.slow`): `real_assistant` is the
product, `Assistant.from_settings`, with the e5 model that `make model` prepared (converted once
per machine, never downloaded) and a Chroma index. Every test runs against its own data dir.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from assistant.config import Settings, get_settings, set_offline_environment

set_offline_environment()  # before any test imports chromadb, gradio or transformers

# What a fast run must never import: the model stack.
MODEL_MODULES = ("sentence_transformers", "transformers", "torch")
# Fixtures that bring up the model or the Chroma index: only tests marked slow may use them.
REAL_FIXTURES = {"model_dir", "real_settings", "real_assistant", "cli_env"}
_fast_only_run = False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_fast_assistant(settings: Settings, sessions_db: Path | None = None):
    """The assistant with every real part except the embedding model: the hashing embedder and
    an in-memory dense index stand in for e5 and Chroma. The one place tests construct it."""
    from assistant.core import Assistant
    from assistant.corpus.library import load_library
    from assistant.language.tokenizer import tokenizer_for
    from assistant.language.vocabulary import Vocabulary
    from assistant.retrieval.dense import InMemoryVectors
    from assistant.retrieval.embeddings import HashingEmbedder
    from assistant.retrieval.hybrid import HybridRetriever, LibraryClauses
    from assistant.retrieval.lexical_store import lexical_in_memory
    from assistant.storage.sqlite_sessions import SqliteSessionStore

    library = load_library(settings.corpus_dir)
    documents = library.documents
    dense = InMemoryVectors([clause for document in documents for clause in document.clauses], HashingEmbedder())
    vocabulary = Vocabulary(settings.corpus_dir / "vocabulary")
    tokenizer = tokenizer_for(settings, library.user_dictionaries)
    return Assistant(settings=settings, library=library, vocabulary=vocabulary,
                     retriever=HybridRetriever(LibraryClauses(library), tokenizer,
                                               lexical_in_memory(documents, tokenizer), dense, vocabulary),
                     sessions=SqliteSessionStore(sessions_db or settings.sessions_db, settings.session_ttl_seconds))


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def assistant(settings):
    """Fast: real corpus, rules, dialogue and BM25; fake embedder; sessions in a temp store."""
    return build_fast_assistant(settings, settings.data_dir / "fast-sessions.sqlite3")


@pytest.fixture(scope="session")
def model_dir() -> Path:
    from assistant.maintenance.model_prep import prepare_model

    return prepare_model(get_settings().prepared_model_dir, progress=False)


@pytest.fixture(scope="session")
def real_settings(settings, model_dir) -> Settings:
    return settings.model_copy(update={"embedding_model": str(model_dir)})


@pytest.fixture(scope="session")
def real_assistant(real_settings):
    """Slow: the product's own parts, the prepared e5 model and a Chroma index in the data dir."""
    from assistant.core import Assistant

    return Assistant.from_settings(real_settings)


@pytest.fixture
def cli_env(real_settings, real_assistant, monkeypatch):
    """Points the CLI (in this process or a child) at the test data dir and the prepared model;
    the index is already built by `real_assistant`."""
    monkeypatch.setenv("POLICY_ASSISTANT_DATA_DIR", str(real_settings.data_dir))
    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", real_settings.embedding_model)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def fast_cli_env(tmp_path, monkeypatch):
    """The CLI in this process with the fast parts: `Assistant.from_settings` hands back the
    fast assistant for the settings the CLI read (a fresh data dir, so fresh sessions). The model
    setting points nowhere, so anything that tried to load a model would fail loudly."""
    from assistant.core import Assistant

    monkeypatch.setenv("POLICY_ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", str(tmp_path / "no-model-in-the-fast-tier"))
    monkeypatch.setattr(Assistant, "from_settings",
                        classmethod(lambda cls, settings=None, **_: build_fast_assistant(settings or get_settings())))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_server():
    """The tests' own PostgreSQL (tests/postgres_server.py), one per test process; a server that
    cannot start fails the tests that need it, with the reason."""
    from tests.postgres_server import PostgresServer

    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """Each store test once per backend, on storage of its own (tests/store_backends.py)."""
    from tests.store_backends import postgres_backend, sqlite_backend

    if request.param == "sqlite":
        return sqlite_backend(tmp_path / "data")
    server = request.getfixturevalue("postgres_server")
    return postgres_backend(tmp_path / "data", server.url(server.create_database()))


def _model_modules_loaded() -> set[str]:
    return {name for name in MODEL_MODULES if name in sys.modules}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Runs after `-m` has deselected: a test on the real parts must be marked slow, and the
    run remembers whether only fast tests are left."""
    global _fast_only_run
    unmarked = [item.nodeid for item in items
                if REAL_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("slow")]
    if unmarked:
        raise pytest.UsageError("tests on the real model or index must carry pytest.mark.slow: "
                                + ", ".join(unmarked))
    _fast_only_run = bool(items) and not any(item.get_closest_marker("slow") for item in items)
    if _fast_only_run and _model_modules_loaded():
        raise pytest.UsageError(f"collecting the fast tier imported {sorted(_model_modules_loaded())}")


@pytest.fixture(autouse=True)
def _fast_tier_loads_no_model(request):
    """In a run of fast tests only, the test during which the model stack got imported fails:
    the fast tier must never load e5 (or torch)."""
    before = _model_modules_loaded()
    yield
    if _fast_only_run:
        loaded = _model_modules_loaded() - before
        assert not loaded, f"{request.node.nodeid} imported {sorted(loaded)} in the fast tier; mark it slow"
