"""Rebuilding the Chroma index under a reader: a new collection, an atomic switch, the old one
and its segment folder gone, and a reader that follows without an error. Embedded Chroma in the
test's folder with the hashing embedder (no model); the live-server version is in
test_live_rebuild.py."""

import logging
import sqlite3
import uuid
from contextlib import closing

import chromadb
import pytest

from assistant.config import Settings
from assistant.corpus.library import load_library
from assistant.retrieval import chroma_index, index_versions
from assistant.retrieval.chroma_index import ChromaVectors, build_index, chroma_client
from assistant.retrieval.embeddings import ChromaPolicyEmbedding, HashingEmbedder
from assistant.retrieval.index_versions import current_name

QUESTION = "省级工业互联网平台一次性补助"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(index_versions, "RETIRE_GRACE_SECONDS", 0)
    settings = Settings(data_dir=tmp_path / "data")
    return settings, load_library(settings.corpus_dir).documents, HashingEmbedder()


def orphan_folders(settings: Settings) -> set[str]:
    """Segment folders on disk that belong to no collection Chroma reports."""
    client = chroma_client(settings)
    collections = {str(c.id) for c in client.list_collections()}
    with closing(sqlite3.connect(settings.chroma_dir / "chroma.sqlite3")) as db:
        used = {row[0] for row in db.execute("SELECT id, collection FROM segments") if row[1] in collections}
    folders = {p.name for p in settings.chroma_dir.iterdir() if p.is_dir()}
    return {name for name in folders if _uuid(name)} - used


def _uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def test_rebuild_switches_to_a_new_collection_that_a_reader_follows(store):
    settings, documents, embedder = store
    first = build_index(settings, documents, embedder, progress=False)
    assert first.added == sum(len(d.clauses) for d in documents)
    reader = ChromaVectors(chroma_client(settings), settings, embedder)
    before, old_name = reader.nearest(QUESTION, 5).cosines, reader.collection.name

    rebuilt = build_index(settings, documents, embedder, rebuild=True, progress=False)
    assert rebuilt.added == first.added

    assert reader.nearest(QUESTION, 5).cosines == pytest.approx(before)
    new_name = current_name(chroma_client(settings), settings)
    assert new_name != old_name and reader.collection.name == new_name
    names = {c.name for c in chroma_client(settings).list_collections()}
    assert old_name not in names and new_name in names
    assert orphan_folders(settings) == set()
    assert not index_versions.statistics_path(settings, old_name).exists()
    assert index_versions.statistics_path(settings, new_name).exists()


def test_an_unchanged_corpus_is_not_embedded_again_and_stays_in_place(store, monkeypatch):
    settings, documents, embedder = store
    build_index(settings, documents, embedder, progress=False)
    name = current_name(chroma_client(settings), settings)
    monkeypatch.setattr(embedder, "passages", lambda texts: pytest.fail("re-embedded an unchanged corpus"))
    report = build_index(settings, documents, embedder, progress=False)
    assert report.embedded == 0 and report.removed == 0
    assert current_name(chroma_client(settings), settings) == name


def test_a_query_that_loses_its_collection_is_retried_on_the_new_one(store, monkeypatch, caplog):
    settings, documents, embedder = store
    build_index(settings, documents, embedder, progress=False)
    reader = ChromaVectors(chroma_client(settings), settings, embedder)
    expected, old_name = reader.nearest(QUESTION, 5).cosines, reader.collection.name
    build_index(settings, documents, embedder, rebuild=True, progress=False)  # the old one is deleted

    # The query read the pointer just before the switch: it runs on the deleted collection.
    reads = iter([old_name])
    real_current_name = chroma_index.current_name
    monkeypatch.setattr(chroma_index, "current_name",
                        lambda client, settings: next(reads, None) or real_current_name(client, settings))
    with caplog.at_level(logging.WARNING, logger="assistant.retrieval.chroma_index"):
        assert reader.nearest(QUESTION, 5).cosines == pytest.approx(expected)
    assert any("retrying on" in r.getMessage() and old_name in r.getMessage() for r in caplog.records)


def test_a_failed_rebuild_leaves_the_serving_index_as_it_was(store, monkeypatch):
    settings, documents, embedder = store
    build_index(settings, documents, embedder, progress=False)
    client = chroma_client(settings)
    names_before, serving = {c.name for c in client.list_collections()}, current_name(client, settings)

    def broken(texts):
        raise RuntimeError("the model went away")

    monkeypatch.setattr(embedder, "passages", broken)
    with pytest.raises(RuntimeError, match="went away"):
        build_index(settings, documents, embedder, rebuild=True, progress=False)
    assert {c.name for c in client.list_collections()} == names_before
    assert current_name(client, settings) == serving and orphan_folders(settings) == set()
    monkeypatch.undo()
    assert ChromaVectors(client, settings, embedder).count() == sum(len(d.clauses) for d in documents)


def test_an_index_from_before_the_pointer_is_adopted_then_replaced(store):
    settings, documents, embedder = store
    client = chroma_client(settings)
    legacy = client.get_or_create_collection(settings.collection, metadata={"hnsw:space": "cosine"},
                                             embedding_function=ChromaPolicyEmbedding(embedder))  # type: ignore[arg-type]
    chroma_index._fill(legacy, documents, embedder, progress=False)

    adopted = build_index(settings, documents, embedder, progress=False)
    assert adopted.embedded == 0 and current_name(client, settings) == settings.collection

    build_index(settings, documents, embedder, rebuild=True, progress=False)
    assert settings.collection not in {c.name for c in client.list_collections()}
    assert orphan_folders(settings) == set()


def test_a_reader_on_an_empty_store_says_to_build_the_index(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    reader = ChromaVectors(chroma_client(settings), settings, HashingEmbedder())
    with pytest.raises(index_versions.IndexMissing, match="policy-assistant index"):
        reader.count()


def test_chroma_leaves_deleted_collections_on_disk_and_the_cleanup_removes_them(tmp_path):
    """Why remove_orphan_segments exists: if a chromadb upgrade fixes this, the check can go."""
    client = chromadb.PersistentClient(path=str(tmp_path))
    doomed = client.create_collection("doomed-collection", embedding_function=None)
    doomed.add(ids=["a"], embeddings=[[1.0, 0.0, 0.0]])
    client.delete_collection("doomed-collection")
    left = [p.name for p in tmp_path.iterdir() if p.is_dir()]
    assert left, "chromadb now removes the folder itself"
    assert sorted(index_versions.remove_orphan_segments(tmp_path)) == sorted(left)
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]
