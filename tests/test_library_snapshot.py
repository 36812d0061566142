"""A library read through its snapshot is the library parsed from its files; a folder is parsed
again exactly when its files or the parsing code changed; a start reads no policy's text."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.corpus import documents as documents_module
from assistant.corpus import library as library_module
from assistant.corpus import policy as policy_module
from assistant.corpus import snapshot as snapshot_module
from assistant.corpus.library import load_library
from assistant.corpus.policy import RULES
from assistant.language.tokenizer import tokenizer_for
from assistant.language.vocabulary import Vocabulary
from assistant.maintenance import scale_library
from assistant.retrieval.dense import InMemoryVectors
from assistant.retrieval.embeddings import HashingEmbedder
from assistant.retrieval.hybrid import HybridRetriever, LibraryClauses
from assistant.retrieval.lexical_store import lexical_in_memory

REAL_POLICY = "fuyang-future-factory-2021"


@pytest.fixture
def corpus(tmp_path):
    """The real policy beside three generated ones."""
    corpus_dir = tmp_path / "corpus"
    scale_library.policy_folders(corpus_dir, 150)
    shutil.copytree(Settings().corpus_dir / "policies" / REAL_POLICY, corpus_dir / "policies" / REAL_POLICY)
    return corpus_dir


def _load(corpus_dir, snapshot=None):
    library_module._load_library.cache_clear()
    return load_library(corpus_dir, snapshot)


def _parses(monkeypatch) -> list[str]:
    parsed: list[str] = []
    real = policy_module.parse_document

    def counting(meta, raw):
        parsed.append(meta.doc_id)
        return real(meta, raw)

    monkeypatch.setattr(policy_module, "parse_document", counting)
    return parsed


def _touch(path, text_added: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text_added, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_library_from_its_snapshot_is_the_parsed_library(corpus, tmp_path, monkeypatch):
    snapshot = tmp_path / "library.sqlite3"
    parsed = _load(corpus)
    _load(corpus, snapshot)  # writes the snapshot
    calls = _parses(monkeypatch)
    served = _load(corpus, snapshot)
    assert calls == []
    assert [p.doc_id for p in served.policies] == [p.doc_id for p in parsed.policies]
    for mine, theirs in zip(served.policies, parsed.policies, strict=True):
        assert (mine.meta, mine.rulebook, mine.digest, mine.search_text) == (
            theirs.meta, theirs.rulebook, theirs.digest, theirs.search_text)
        assert mine.document == theirs.document
    assert served.digest == parsed.digest and served.search_text == parsed.search_text
    assert served.rulebook.rules and served.rulebook == parsed.rulebook


def test_only_a_changed_folder_is_parsed_again_and_a_removed_one_retired(corpus, tmp_path, monkeypatch):
    snapshot = tmp_path / "library.sqlite3"
    before = _load(corpus, snapshot)
    changed = before.policies[1]  # a generated policy: the real one's text is checked by its SHA-256
    text = changed.folder / changed.meta.file
    text.write_text(text.read_text(encoding="utf-8").replace("给予", "给予测试新增", 1), encoding="utf-8")
    _touch(text, "")
    shutil.rmtree(before.policies[2].folder)
    calls = _parses(monkeypatch)
    after = _load(corpus, snapshot)
    assert calls == [changed.doc_id]
    assert after.policy(changed.doc_id).digest != changed.digest
    assert "测试新增" in after.policy(changed.doc_id).search_text
    assert before.policies[2].doc_id not in after.policies_by_id
    with sqlite3.connect(snapshot) as db:
        folders = {folder for (folder,) in db.execute("SELECT folder FROM policies WHERE retired_at IS NULL")}
    assert folders == {p.folder.name for p in after.policies}
    calls.clear()
    _load(corpus, snapshot)
    assert calls == []


def test_a_process_started_before_a_change_keeps_reading_its_version(corpus, tmp_path, monkeypatch, caplog):
    snapshot = tmp_path / "library.sqlite3"
    _load(corpus, snapshot)
    running = _load(corpus, snapshot)  # a server's library: no text read yet
    policy = running.policies[1]
    text = policy.folder / policy.meta.file
    text.write_text(text.read_text(encoding="utf-8").replace("给予", "给予改后", 1), encoding="utf-8")
    _touch(text, "")
    assert "改后" in _load(corpus, snapshot).policy(policy.doc_id).search_text  # `index` saves the new one
    assert "改后" not in policy.document.text

    monkeypatch.setattr(snapshot_module, "RETIRED_ROW_SECONDS", -1.0)
    _load(corpus, snapshot)  # the next save drops the old version at once
    stale = running.policies[2]
    stale_text = stale.folder / stale.meta.file
    stale_text.write_text(stale_text.read_text(encoding="utf-8").replace("给予", "给予再改", 1), encoding="utf-8")
    _touch(stale_text, "")
    _load(corpus, snapshot)
    with caplog.at_level(logging.WARNING):
        assert "再改" in stale.document.text  # its version is gone: the folder as it is now
    assert "no longer saved" in caplog.text


def test_new_parsing_code_parses_every_folder_again(corpus, tmp_path, monkeypatch):
    snapshot = tmp_path / "library.sqlite3"
    count = len(_load(corpus, snapshot).policies)
    changed_code = tmp_path / "documents.py"
    changed_code.write_bytes(Path(documents_module.__file__).read_bytes() + b"\n# another parser\n")
    monkeypatch.setattr(library_module, "_parser_modules", lambda: [changed_code])
    calls = _parses(monkeypatch)
    _load(corpus, snapshot)
    assert len(calls) == count


def test_a_rules_file_that_changed_is_checked_against_the_text_again(corpus, tmp_path):
    snapshot = tmp_path / "library.sqlite3"
    _load(corpus, snapshot)
    rules = corpus / "policies" / REAL_POLICY / RULES
    _touch(rules, "")
    rules.write_text(rules.read_text(encoding="utf-8").replace("quote: ", "quote: 政策没有的话", 1), encoding="utf-8")
    library = _load(corpus, snapshot)
    assert REAL_POLICY not in library.policies_by_id
    assert any(problem.file == rules for problem in library.problems)


def test_an_unreadable_snapshot_costs_time_not_policies(corpus, tmp_path, caplog):
    snapshot = tmp_path / "library.sqlite3"
    snapshot.write_bytes(b"not a database" * 100)
    with caplog.at_level(logging.WARNING):
        library = _load(corpus, snapshot)
    assert len(library.policies) == 4
    assert "snapshot" in caplog.text


def test_a_snapshot_that_cannot_be_written_costs_time_not_policies(corpus, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with caplog.at_level(logging.WARNING):
        library = _load(corpus, blocked / "library.sqlite3")
    assert len(library.policies) == 4
    assert "not saved" in caplog.text


def test_starting_the_assistant_reads_no_policy_text(corpus, tmp_path):
    """A policy's text is read when a question's candidate clauses come from it, not at start."""
    from assistant.core import Assistant
    from assistant.storage.sqlite_sessions import SqliteSessionStore

    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    parsed = _load(corpus)
    tokenizer = tokenizer_for(settings, parsed.user_dictionaries)
    clauses = [clause for document in parsed.documents for clause in document.clauses]
    vocabulary = Vocabulary(Settings().corpus_dir / "vocabulary")
    _load(corpus, settings.library_snapshot)
    library = _load(corpus, settings.library_snapshot)
    retriever = HybridRetriever(LibraryClauses(library), tokenizer, lexical_in_memory(parsed.documents, tokenizer),
                                InMemoryVectors(clauses, HashingEmbedder()), vocabulary)
    assistant = Assistant(settings=settings, library=library, vocabulary=vocabulary, retriever=retriever,
                          sessions=SqliteSessionStore(tmp_path / "sessions.sqlite3", 3600))
    read = [policy.doc_id for policy in library.policies if "document" in policy.__dict__]
    assert read == []
    reply = assistant.reply(None, "富阳未来工厂政策里，工业机器人怎么补助？", date(2025, 6, 1))
    assert reply.citations and reply.citations[0].doc_id == REAL_POLICY
    assert "document" in library.policy(REAL_POLICY).__dict__
