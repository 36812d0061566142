"""Retrieval whose per-question cost does not grow with the library: BM25 from the postings of the
question's words, the dense side's top-k, and the spreads fusion standardises by taken from index
statistics. Each is checked against scoring every clause, which it replaces."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.config import Settings
from assistant.corpus.library import Library, load_library
from assistant.corpus.policy import Policy
from assistant.language.tokenizer import tokenizer_for
from assistant.language.vocabulary import Vocabulary
from assistant.maintenance import scale_library
from assistant.retrieval import indexes, lexical_store
from assistant.retrieval.chroma_index import ChromaVectors, chroma_client
from assistant.retrieval.dense import InMemoryVectors, VectorStatistics
from assistant.retrieval.embeddings import HashingEmbedder
from assistant.retrieval.hybrid import DENSE_WEIGHT, HybridRetriever, LibraryClauses
from assistant.retrieval.lexical_store import LexicalStore, lexical_in_memory, passages_of

QUESTIONS = ["工业机器人补贴多少", "专题培训会给不给补贴", "省级工业互联网平台一次性补助", "政策什么时候到期",
             "申报要什么材料", "数字化车间认定有奖励吗", "杭州以外的企业能申请吗", "robot subsidy"]


@pytest.fixture(scope="module")
def library_parts():
    settings = Settings()
    library = load_library(settings.corpus_dir)
    tokenizer = tokenizer_for(settings, library.user_dictionaries)
    return settings, library, tokenizer


def every_bm25(index, tokens) -> np.ndarray:
    """The BM25 of every clause, as bm25s scores a whole corpus."""
    bm25 = index._bm25
    known = [t for t in tokens if t in bm25.vocab_dict]
    return bm25.get_scores(known) if known else np.zeros(len(index))


@pytest.mark.parametrize("question", QUESTIONS)
def test_bm25_from_postings_equals_scoring_every_clause(library_parts, question):
    _, library, tokenizer = library_parts
    documents = library.documents
    index = lexical_in_memory(documents, tokenizer)
    tokens = tokenizer.tokens(tokenizer.expand(question))
    matches, everything = index.match(tokens), every_bm25(index, tokens)
    dense_scores = np.array([matches.score(row) for row in range(len(index))])
    assert dense_scores == pytest.approx(everything, abs=1e-5)
    assert matches.mean == pytest.approx(everything.mean(), abs=1e-5)
    assert matches.std == pytest.approx(everything.std(), abs=1e-5)
    assert matches.top(3) == [int(r) for r in np.argsort(-everything, kind="stable")[:3] if everything[r] > 0]


@given(st.lists(st.integers(0, 1), min_size=1, max_size=8))
def test_vector_statistics_give_the_mean_and_spread_of_every_cosine(signs):
    rng = np.random.default_rng(len(signs))
    vectors = rng.standard_normal((40, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = vectors[sum(signs)] * (1 if signs[0] else -1)
    # Accumulated in uneven batches, as from Chroma's pages.
    statistics = VectorStatistics.of([vectors[:7], vectors[7:30], vectors[30:]])
    mean, std = statistics.cosine_spread(query)
    cosines = vectors @ query
    assert mean == pytest.approx(cosines.mean(), abs=1e-9)
    assert std == pytest.approx(cosines.std(), abs=1e-9)


def fused_over_every_clause(retriever, documents, question, k=3):
    """Fusion as it was: both sides' scores for every clause, standardised over all of them."""
    tokens = retriever.tokenizer.tokens(retriever.tokenizer.expand(question))
    bm25 = every_bm25(retriever.lexical, tokens)
    dense = retriever.dense
    cosines = dense.matrix @ dense.embedder.queries([question])[0]

    def z(values):
        return (values - values.mean()) / values.std() if values.std() > 0 else np.zeros(len(values))

    fused = z(bm25) + DENSE_WEIGHT * z(cosines)
    return [retriever.lexical.keys[row] for row in np.argsort(-fused, kind="stable")[:k]]


@pytest.mark.parametrize("question", QUESTIONS)
def test_fusing_top_candidates_ranks_as_fusing_every_clause(library_parts, question):
    settings, library, tokenizer = library_parts
    documents = library.documents
    clauses = [c for d in documents for c in d.clauses]
    retriever = HybridRetriever(LibraryClauses(library), tokenizer, lexical_in_memory(documents, tokenizer),
                                InMemoryVectors(clauses, HashingEmbedder()),
                                Vocabulary(settings.corpus_dir / "vocabulary"))
    found = retriever.retrieve(question, k=3)
    keys = [f"{h.clause.doc_id}:{h.clause.clause_id}" for h in found.hits]
    assert keys == fused_over_every_clause(retriever, documents, question)


def _with_last_clause_changed(library: Library) -> Library:
    policy = library.policies[-1]
    document = policy.document
    last = document.clauses[-1].model_copy(update={"search_text": document.clauses[-1].search_text + "新增条款文字"})
    changed = document.model_copy(update={"clauses": [*document.clauses[:-1], last]})
    return Library(policies=(*library.policies[:-1], Policy.parsed(changed, policy.rulebook, policy.folder)))


def test_a_saved_index_opens_for_the_same_library_and_not_for_a_changed_one(library_parts, tmp_path):
    _, library, tokenizer = library_parts
    name = indexes.library_fingerprint(library, tokenizer, HashingEmbedder())
    store = LexicalStore(tmp_path)
    built = store.build(passages_of(library.documents), tokenizer, name=name, progress=False)
    opened = store.open(name)
    assert opened is not None and opened.keys == built.keys
    tokens = tokenizer.tokens("工业机器人补贴")
    assert opened.match(tokens).rows.tolist() == built.match(tokens).rows.tolist()
    assert opened.match(tokens).scores == pytest.approx(built.match(tokens).scores)

    changed = _with_last_clause_changed(library)
    changed_name = indexes.library_fingerprint(changed, tokenizer, HashingEmbedder())
    assert store.open(changed_name) is None
    store.build(passages_of(changed.documents), tokenizer, name=changed_name, progress=False)
    assert store.current() != name
    assert not (store.folder / name).exists()  # the index it replaced is removed


def test_an_interrupted_build_resumes_from_the_words_it_had_cached(library_parts, tmp_path, monkeypatch):
    _, _, tokenizer = library_parts
    monkeypatch.setattr(lexical_store, "TOKEN_BATCH", 100)
    passages = scale_library.passages(450)
    calls = []
    real_tokens = tokenizer.tokens

    def tokens_then_stop(text):
        calls.append(text)
        if len(calls) > 250:
            raise KeyboardInterrupt
        return real_tokens(text)

    monkeypatch.setattr(tokenizer, "tokens", tokens_then_stop)
    with pytest.raises(KeyboardInterrupt):
        LexicalStore(tmp_path).build(passages, tokenizer, name="generated", progress=False)
    assert LexicalStore(tmp_path).current() is None  # nothing half-built is ever current

    calls.clear()
    monkeypatch.setattr(tokenizer, "tokens", lambda text: calls.append(text) or real_tokens(text))
    index = LexicalStore(tmp_path).build(passages, tokenizer, name="generated", progress=False)
    assert len(calls) == 450 - 200  # two whole batches were kept
    assert len(index) == 450


def test_a_server_opens_saved_indexes_without_embedding_or_tokenising(library_parts, tmp_path, monkeypatch):
    _, library, tokenizer = library_parts
    documents = library.documents
    settings = Settings(data_dir=tmp_path / "data")
    embedder = HashingEmbedder()
    first = indexes.open_indexes(settings, library, tokenizer, embedder, chroma_client(settings))
    assert first.report is not None and first.report.added == sum(len(d.clauses) for d in documents)
    assert json.loads((lexical_store.LexicalStore(settings.data_dir).folder / lexical_store.LexicalStore(
        settings.data_dir).current() / lexical_store.MANIFEST).read_text())["keys"] == first.lexical.keys

    monkeypatch.setattr(indexes, "build_index", lambda *a, **k: pytest.fail("indexed again at start-up"))
    monkeypatch.setattr(tokenizer, "tokens", lambda text: pytest.fail("tokenised a clause at start-up"))
    again = indexes.open_indexes(settings, library, tokenizer, embedder, chroma_client(settings))
    assert again.report is None and isinstance(again.dense, ChromaVectors)
    assert again.dense.count() == len(again.lexical)


@given(st.integers(0, 10**6))
def test_a_generated_clause_is_found_again_by_its_key(row):
    key = scale_library.clause_key_of(row)
    assert scale_library.row_of(key) == row
    clause = scale_library.GeneratedClauses(row + 1).clause(key)
    assert clause is not None and clause.text == scale_library.clause_text(row)
    assert scale_library.GeneratedClauses(row).clause(key) is None  # beyond the library's size


def test_on_a_larger_library_the_top_candidates_still_rank_as_every_clause(library_parts):
    settings, _, tokenizer = library_parts
    size = 2000
    lookup = scale_library.GeneratedClauses(size)
    passages = scale_library.passages(size)
    clauses = [lookup.clause(p.key) for p in passages]
    lexical = lexical_store.LexicalIndex.build([p.key for p in passages], [tokenizer.tokens(p.text) for p in passages])
    retriever = HybridRetriever(lookup, tokenizer, lexical, InMemoryVectors(clauses, HashingEmbedder()),
                                Vocabulary(settings.corpus_dir / "vocabulary"))
    questions = [scale_library.clause_text(row)[5:17] + "补助多少" for row in range(0, size, 97)]
    for question in questions:
        found = [f"{h.clause.doc_id}:{h.clause.clause_id}" for h in retriever.retrieve(question, k=3).hits]
        assert found == fused_over_every_clause(retriever, None, question), question


def test_an_index_saved_with_other_scoring_is_not_opened(library_parts, tmp_path, monkeypatch):
    _, library, tokenizer = library_parts
    name = indexes.library_fingerprint(library, tokenizer, HashingEmbedder())
    LexicalStore(tmp_path).build(passages_of(library.documents), tokenizer, name=name, progress=False)
    monkeypatch.setattr(indexes, "SCORING", "bm25s robertson k1=1.2 b=0.75")
    assert LexicalStore(tmp_path).open(indexes.library_fingerprint(library, tokenizer, HashingEmbedder())) is None
