"""One policy folder: its metadata, text and rules, read and checked, and the Policy it becomes.

    corpus/policies/<doc_id>/
        policy.yaml   metadata (title, number, issuer, dates, repeals, typo corrections, checksum)
        <file>        the text as received, named by policy.yaml's `file`
        rules.yaml    calculator rules (optional), each citing a clause of this text verbatim
        words/        words of this policy's own (optional), read beside corpus/vocabulary/
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from assistant.corpus.documents import Clause, Document, DocumentMeta, StructureError, parse_document, search_digest
from assistant.language.data_files import DataFileError, Problem, line_of, read_yaml
from assistant.language.text import to_simplified
from calculators import RuleBook

METADATA = "policy.yaml"
RULES = "rules.yaml"
WORDS = "words"
USER_DICTIONARY = "userdict.txt"


class Validity(StrEnum):
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    NOT_YET = "not_yet"


@dataclass(frozen=True, eq=False)
class Policy:
    meta: DocumentMeta
    rulebook: RuleBook
    folder: Path
    digest: str  # of its clauses as the indexes read them: keys and searched texts
    search_text: str  # every clause's searched text, one line each
    read_document: Callable[[], Document] = field(repr=False)

    @classmethod
    def parsed(cls, document: Document, rulebook: RuleBook, folder: Path) -> Policy:
        return cls(meta=document.meta, rulebook=rulebook, folder=folder, digest=search_digest(document),
                   search_text="\n".join(clause.search_text for clause in document.clauses),
                   read_document=lambda: document)

    @cached_property
    def document(self) -> Document:
        """The text and its clauses, read when first needed (from a snapshot, that is one row)."""
        document = self.read_document()
        return document if document.meta == self.meta else document.model_copy(update={"meta": self.meta})

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    def clause(self, clause_id: str) -> Clause | None:
        return self._clauses[0].get(clause_id)

    def clause_at(self, location: str) -> Clause | None:
        return self._clauses[1].get(location)

    @cached_property
    def _clauses(self) -> tuple[dict[str, Clause], dict[str, Clause]]:
        clauses = self.document.clauses
        return {c.clause_id: c for c in clauses}, {c.location: c for c in clauses}

    @property
    def words_dir(self) -> Path | None:
        words = self.folder / WORDS
        return words if words.is_dir() else None

    def validity(self, today: date) -> Validity:
        if today < self.meta.in_force_from:
            return Validity.NOT_YET
        return Validity.IN_FORCE if today <= self.meta.in_force_until else Validity.EXPIRED


def read_policy(folder: Path) -> Policy:
    """One policy folder, checked; raises DataFileError naming the file and line at fault."""
    metadata_path = folder / METADATA
    meta = DocumentMeta.model_validate(read_yaml(metadata_path, DocumentMeta))
    if meta.doc_id != folder.name:
        raise DataFileError(Problem(metadata_path, line_of(metadata_path, ("doc_id",)),
                                  f"doc_id {meta.doc_id!r} is not the folder's name {folder.name!r}"))
    text_path = folder / meta.file
    if not text_path.is_file():
        raise DataFileError(Problem(metadata_path, line_of(metadata_path, ("file",)), f"no file {meta.file} here"))
    received = text_path.read_bytes()
    if meta.received_sha256 and hashlib.sha256(received).hexdigest() != meta.received_sha256:
        raise DataFileError(Problem(text_path, None, "the file is no longer the text as received "
                                                   f"(its SHA-256 differs from {METADATA}'s received_sha256)"))
    try:
        document = parse_document(meta, received.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise DataFileError(Problem(text_path, None, f"not UTF-8 text ({error.reason})")) from None
    except StructureError as error:
        raise DataFileError(Problem(text_path, error.line, str(error))) from None
    rules_path = folder / RULES
    rulebook = RuleBook(rules=[])
    if rules_path.exists():
        rulebook = RuleBook.model_validate(read_yaml(rules_path, RuleBook))
        _check_rules(rulebook, document, rules_path)
    return Policy.parsed(document, rulebook, folder)


_SPACE = re.compile(r"\s")


def _check_rules(rulebook: RuleBook, document: Document, rules_path: Path) -> None:
    """Each rule belongs to this policy and quotes, word for word, the clause it cites."""
    if rulebook.policy is None or rulebook.policy.doc_id != document.meta.doc_id:
        raise DataFileError(Problem(rules_path, line_of(rules_path, ("policy", "doc_id")),
                                  f"policy.doc_id must be {document.meta.doc_id!r}, the folder's policy"))
    clauses = {clause.location: clause for clause in document.clauses}
    for index, rule in enumerate(rulebook.rules):
        clause = clauses.get(rule.clause)
        if clause is None:
            raise DataFileError(Problem(rules_path, line_of(rules_path, ("rules", index, "clause")),
                                      f"{rule.id}: the policy has no clause {rule.clause}"))
        if _SPACE.sub("", to_simplified(rule.quote)) not in _SPACE.sub("", to_simplified(clause.text)):
            raise DataFileError(Problem(rules_path, line_of(rules_path, ("rules", index, "quote")),
                                      f"{rule.id}: the quote is not in {rule.clause} word for word"))
