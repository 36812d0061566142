"""Both indexes of a library, built together by `policy-assistant index` and opened together by
a serving process.

One fingerprint names a library as indexed: every clause's key and searched text, the words the
tokenizer reads and the embedding model. A process whose library has the fingerprint of the saved
lexical index opens both indexes as they are — reading no clause's vectors or words; otherwise it
brings the dense index up to date (only changed clauses are embedded) and builds the lexical one,
as `index` would have."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import chromadb

from assistant.config import Settings
from assistant.corpus.library import Library
from assistant.language.tokenizer import Tokenizer
from assistant.retrieval.chroma_index import ChromaVectors, IndexReport, build_index
from assistant.retrieval.embeddings import EmbedderContract
from assistant.retrieval.index_versions import current_name
from assistant.retrieval.lexical import SCORING, LexicalIndex
from assistant.retrieval.lexical_store import LexicalStore, passages_of


@dataclass
class OpenedIndexes:
    lexical: LexicalIndex
    dense: ChromaVectors
    report: IndexReport | None  # what was brought up to date on opening; None when nothing was


def library_fingerprint(library: Library, tokenizer: Tokenizer, embedder: EmbedderContract) -> str:
    """From the library's digest, kept in its snapshot: naming it reads no clause."""
    key = f"{SCORING}\x00{library.digest}\x00{tokenizer.fingerprint}\x00{embedder.fingerprint}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def update_indexes(settings: Settings, library: Library, tokenizer: Tokenizer,
                   embedder: EmbedderContract, *, rebuild: bool = False, progress: bool = True,
                   client: chromadb.ClientAPI | None = None) -> tuple[IndexReport, LexicalIndex]:
    """The dense index brought up to date (or rebuilt), then the lexical index saved for it."""
    report = build_index(settings, library.documents, embedder, rebuild=rebuild, progress=progress, client=client)
    lexical = LexicalStore(settings.data_dir).build(passages_of(library.documents), tokenizer, progress=progress,
                                                    name=library_fingerprint(library, tokenizer, embedder))
    return report, lexical


def update_index(settings: Settings, *, rebuild: bool = False, progress: bool = True) -> IndexReport:
    """`policy-assistant index`: the library in settings, with the configured model and words."""
    from assistant.corpus.library import load_library
    from assistant.language.tokenizer import tokenizer_for
    from assistant.retrieval.embeddings import Embedder

    library = load_library(settings.corpus_dir, settings.library_snapshot)
    return update_indexes(settings, library, tokenizer_for(settings, library.user_dictionaries),
                          Embedder.from_settings(settings), rebuild=rebuild, progress=progress)[0]


def open_indexes(settings: Settings, library: Library, tokenizer: Tokenizer,
                 embedder: EmbedderContract, client: chromadb.ClientAPI, progress: bool = False) -> OpenedIndexes:
    lexical = LexicalStore(settings.data_dir).open(library_fingerprint(library, tokenizer, embedder))
    report = None
    if lexical is None or current_name(client, settings) is None:
        report, lexical = update_indexes(settings, library, tokenizer, embedder, progress=progress, client=client)
    # Follows `index --rebuild` while serving (chroma_index.py).
    return OpenedIndexes(lexical, ChromaVectors(client, settings, embedder), report)
