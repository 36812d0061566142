"""Retrieval on the dev set, the scope decision, and the LangChain faces of the index."""

import json

import pytest
import yaml
from langchain_core.retrievers import BaseRetriever

from assistant.config import REPO_ROOT
from assistant.maintenance.evaluate import DEV_CASES, fold_for_compare
from assistant.retrieval.chroma_index import build_index, vector_store

# Judges what e5 and Chroma rank, so it runs only in the slow tier.
pytestmark = pytest.mark.slow
HELD_OUT = yaml.safe_load((REPO_ROOT / "tests" / "data" / "retrieval_cases.yaml").read_text(encoding="utf-8"))


def dev_cases(kind):
    return [json.loads(line) for line in DEV_CASES.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line)["kind"] == kind]


@pytest.mark.parametrize("case", dev_cases("fact"), ids=lambda c: c["id"])
def test_fused_retrieval_ranks_the_answering_clause_first(real_assistant, case):
    hits = real_assistant.retriever.retrieve(case["turns"][0], k=3).hits
    assert fold_for_compare(case["clause_key"]) in fold_for_compare(hits[0].clause.text)


def test_held_out_questions_are_in_scope_and_mostly_first(real_assistant):
    firsts = 0
    for case in HELD_OUT:
        retrieval = real_assistant.retriever.retrieve(case["q"], k=3)
        assert retrieval.in_scope, (case["q"], retrieval.signals)
        locations = [hit.clause.location for hit in retrieval.hits]
        assert case["location"] in locations, (case["q"], locations)
        firsts += locations[0] == case["location"]
    assert firsts >= 0.8 * len(HELD_OUT)


@pytest.mark.parametrize("case", dev_cases("out_of_scope"), ids=lambda c: c["id"])
def test_dev_out_of_scope_questions(real_assistant, case):
    retrieval = real_assistant.retriever.retrieve(case["turns"][0])
    reply = real_assistant.reply(None, case["turns"][0], __import__("datetime").date(2026, 11, 26))
    assert reply.status.value in {"not_found", "refused"}
    if reply.status.value == "not_found":
        assert not retrieval.in_scope


def test_langchain_retriever_returns_documents_with_location(real_assistant):
    retriever = real_assistant.langchain_retriever(k=2)
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke("一键上云补助")
    assert len(documents) == 2
    assert documents[0].metadata["location"] == "三、专项政策（六）"
    assert documents[0].metadata["doc_id"] == "fuyang-future-factory-2021"
    assert "未来工厂" in documents[0].metadata["title"]


def test_langchain_chroma_vector_store_searches_our_index(real_assistant, real_settings):
    store = vector_store(real_settings, real_assistant.retriever.dense.embedder)
    document, distance = store.similarity_search_with_score("规划设计费用补助", k=1)[0]
    assert document.metadata["clause_id"].startswith("s")
    assert 0 <= distance < 1
    # The same index the fused retriever's dense side reads.
    dense_top = real_assistant.retriever.retrieve("规划设计费用补助", k=1, mode="dense").hits[0]
    assert dense_top.clause.clause_id == document.metadata["clause_id"]
    assert abs(dense_top.cosine - (1 - distance)) < 1e-4


def test_indexing_is_idempotent_and_incremental(real_assistant, real_settings):
    embedder = real_assistant.retriever.dense.embedder
    unchanged = build_index(real_settings, real_assistant.documents, embedder, progress=False)
    assert unchanged.embedded == 0 and unchanged.removed == 0
    assert unchanged.unchanged == sum(len(d.clauses) for d in real_assistant.documents)

    document = real_assistant.documents[0]
    edited_clause = document.clauses[5].model_copy(update={"search_text": document.clauses[5].search_text + " 补充"})
    edited = document.model_copy(update={"clauses": document.clauses[:5] + [edited_clause] + document.clauses[6:-1]})
    report = build_index(real_settings, (edited,), embedder, progress=False)
    assert (report.updated, report.added, report.removed) == (1, 0, 1)

    restored = build_index(real_settings, real_assistant.documents, embedder, progress=False)
    assert (restored.updated, restored.added, restored.removed) == (1, 1, 0)


def test_embedding_calls_are_skipped_when_nothing_changed(real_assistant, real_settings, monkeypatch):
    def fail(texts):
        raise AssertionError("re-embedded an unchanged corpus")

    embedder = real_assistant.retriever.dense.embedder
    monkeypatch.setattr(embedder, "passages", fail)
    report = build_index(real_settings, real_assistant.documents, embedder, progress=False)
    assert report.embedded == 0
