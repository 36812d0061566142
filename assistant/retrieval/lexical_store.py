"""The lexical index on disk, built by `policy-assistant index` beside the dense one.

    <data_dir>/lexical/
        CURRENT            the name of the index in use
        <fingerprint>/     bm25s's matrix and vocabulary, and manifest.json (clause keys in row order)
        tokens.sqlite3     each clause's words by content digest: a build tokenises only clauses
                           it has not seen, and an interrupted build resumes where it stopped

A serving process opens the index named by CURRENT when its fingerprint (indexes.py: every clause's key and
searched text, the words the tokenizer reads, and how BM25 is scored) matches the library it serves; otherwise it
builds one and saves it. A new index is written into its own folder and CURRENT replaced after,
so a process reading the old one (memory-mapped) is never handed half a file."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from assistant.corpus.documents import Document
from assistant.language.tokenizer import Tokenizer
from assistant.retrieval.dense import clause_key
from assistant.retrieval.lexical import LexicalIndex

LEXICAL_DIR = "lexical"
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
TOKENS = "tokens.sqlite3"
# Clauses tokenised between commits of the token cache: what an interrupted build loses at most.
TOKEN_BATCH = 2000
# Digests looked up in one query: SQLite allows 32,766 bound values since 3.32; 500 keeps each
# statement small.
LOOKUP_BATCH = 500


@dataclass(frozen=True)
class Passage:
    """One clause as the lexical index reads it."""

    key: str
    text: str


def passages_of(documents: Sequence[Document]) -> list[Passage]:
    return [Passage(clause_key(c.doc_id, c.clause_id), c.search_text) for d in documents for c in d.clauses]


def lexical_in_memory(documents: Sequence[Document], tokenizer: Tokenizer) -> LexicalIndex:
    """Built and kept in memory only: tests and one-off tools over a small library."""
    passages = passages_of(documents)
    return LexicalIndex.build([p.key for p in passages], [tokenizer.tokens(p.text) for p in passages])


class LexicalStore:
    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / LEXICAL_DIR

    def current(self) -> str | None:
        pointer = self.folder / CURRENT
        return pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None

    def open(self, wanted: str) -> LexicalIndex | None:
        """The saved index named `wanted` when it is the current one."""
        if self.current() != wanted or not (self.folder / wanted / MANIFEST).exists():
            return None
        manifest = json.loads((self.folder / wanted / MANIFEST).read_text(encoding="utf-8"))
        return LexicalIndex.load(self.folder / wanted, manifest["keys"])

    def build(self, passages: Sequence[Passage], tokenizer: Tokenizer, *, name: str,
              progress: bool = True) -> LexicalIndex:
        """Saved under `name` (indexes.library_fingerprint) and made the current one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tokens = self._tokens(passages, tokenizer, progress)
        index = LexicalIndex.build([p.key for p in passages], tokens)
        partial = self.folder / f"{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        index.save(partial)
        (partial / MANIFEST).write_text(json.dumps({"keys": index.keys}, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(self.folder / name, ignore_errors=True)
        partial.rename(self.folder / name)
        pointer = self.folder / f"{CURRENT}.partial"
        pointer.write_text(name, encoding="utf-8")
        pointer.replace(self.folder / CURRENT)
        self._remove_others(keep=name)
        return LexicalIndex.load(self.folder / name, index.keys)

    def _tokens(self, passages: Sequence[Passage], tokenizer: Tokenizer, progress: bool) -> list[list[str]]:
        digests = [hashlib.sha256(f"{tokenizer.fingerprint}\x00{p.text}".encode()).hexdigest() for p in passages]
        with closing(sqlite3.connect(self.folder / TOKENS)) as db:
            db.execute("CREATE TABLE IF NOT EXISTS tokens (digest TEXT PRIMARY KEY, words TEXT NOT NULL)")
            known = _cached(db, set(digests))
            pending = [(digest, p.text) for digest, p in zip(digests, passages, strict=True) if digest not in known]
            pending = list(dict(pending).items())
            bar = tqdm(total=len(pending), desc="tokenising clauses", unit="clause", file=sys.stderr,
                       disable=not progress or not pending)
            for start in range(0, len(pending), TOKEN_BATCH):
                batch = [(digest, tokenizer.tokens(text)) for digest, text in pending[start:start + TOKEN_BATCH]]
                with db:
                    db.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?)",
                                   [(digest, json.dumps(words, ensure_ascii=False)) for digest, words in batch])
                known.update(batch)
                bar.update(len(batch))
            bar.close()
            # Words of clauses no longer in the library are dropped, so the cache follows the library.
            db.execute("CREATE TEMP TABLE wanted (digest TEXT PRIMARY KEY)")
            db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", [(d,) for d in digests])
            with db:
                db.execute("DELETE FROM tokens WHERE digest NOT IN (SELECT digest FROM wanted)")
        return [known[digest] for digest in digests]

    def _remove_others(self, keep: str) -> None:
        # A process that still maps an old index keeps reading it: its files stay until unmapped.
        for path in self.folder.iterdir():
            if path.is_dir() and path.name != keep:
                shutil.rmtree(path, ignore_errors=True)


def _cached(db: sqlite3.Connection, digests: set[str]) -> dict[str, list[str]]:
    """The cached words of these digests, looked up by key rather than by reading the whole cache."""
    known: dict[str, list[str]] = {}
    wanted = sorted(digests)
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start:start + LOOKUP_BATCH]
        marks = ", ".join("?" * len(batch))
        for digest, words in db.execute(f"SELECT digest, words FROM tokens WHERE digest IN ({marks})", batch):
            known[digest] = json.loads(words)
    return known
