"""The policy library: one folder per policy under corpus/policies/, read and checked.

    corpus/policies/<doc_id>/
        policy.yaml   metadata (title, number, issuer, dates, repeals, typo corrections, checksum)
        <file>        the text as received, named by policy.yaml's `file`
        rules.yaml    calculator rules (optional), each citing a clause of this text verbatim
        words/        words of this policy's own (optional), read beside corpus/vocabulary/

A folder that cannot be read — bad YAML, a field missing or malformed, a rule quoting text the
policy does not contain, an id another policy already uses — is left out and reported with its
file, line and reason; every other policy keeps serving.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path

from assistant.corpus.documents import Document, DocumentMeta, StructureError, parse_document
from assistant.language.data_files import DataFileError, Problem, line_of, read_yaml
from assistant.language.text import to_simplified
from calculators import RuleBook

POLICIES = "policies"
METADATA = "policy.yaml"
RULES = "rules.yaml"
WORDS = "words"
USER_DICTIONARY = "userdict.txt"


class Validity(StrEnum):
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    NOT_YET = "not_yet"


@dataclass(frozen=True)
class Policy:
    document: Document
    rulebook: RuleBook
    folder: Path

    @property
    def meta(self) -> DocumentMeta:
        return self.document.meta

    @property
    def doc_id(self) -> str:
        return self.document.meta.doc_id

    @property
    def words_dir(self) -> Path | None:
        words = self.folder / WORDS
        return words if words.is_dir() else None

    def validity(self, today: date) -> Validity:
        if today < self.meta.in_force_from:
            return Validity.NOT_YET
        return Validity.IN_FORCE if today <= self.meta.in_force_until else Validity.EXPIRED


@dataclass(frozen=True)
class Library:
    """The policies that loaded, in folder order, and the problems of those that did not."""

    policies: tuple[Policy, ...]
    problems: tuple[Problem, ...] = field(default=())

    @cached_property
    def documents(self) -> tuple[Document, ...]:
        return tuple(policy.document for policy in self.policies)

    @cached_property
    def rulebook(self) -> RuleBook:
        """Every policy's rules in one book; rule ids are unique across the library."""
        return RuleBook.merged([policy.rulebook for policy in self.policies])

    @property
    def user_dictionaries(self) -> list[Path]:
        """The policies' own jieba word lists (words/userdict.txt), for the tokenizer."""
        return [policy.words_dir / USER_DICTIONARY for policy in self.policies
                if policy.words_dir and (policy.words_dir / USER_DICTIONARY).is_file()]

    def policy(self, doc_id: str) -> Policy:
        return self._by_id[doc_id]

    @cached_property
    def _by_id(self) -> dict[str, Policy]:
        return {policy.doc_id: policy for policy in self.policies}

    def validity(self, doc_id: str, today: date) -> Validity:
        return self.policy(doc_id).validity(today)

    def ordered(self, today: date) -> list[Policy]:
        """In force (the newest first), not yet in force (the soonest first), expired (the most
        recently ended first): the order the library is listed and searched in."""
        def rank(policy: Policy) -> tuple[int, int]:
            validity = policy.validity(today)
            if validity is Validity.IN_FORCE:
                return 0, -policy.meta.in_force_from.toordinal()
            if validity is Validity.NOT_YET:
                return 1, policy.meta.in_force_from.toordinal()
            return 2, -policy.meta.in_force_until.toordinal()

        return sorted(self.policies, key=rank)

    def in_force(self, today: date) -> list[Policy]:
        return [policy for policy in self.policies if policy.validity(today) is Validity.IN_FORCE]

    def successors(self, doc_id: str) -> list[Policy]:
        """Library policies that repeal this one (by its doc_id, title or document number)."""
        meta = self.policy(doc_id).meta
        names = {meta.doc_id, meta.title, *([meta.document_number] if meta.document_number else [])}
        return [policy for policy in self._repealing
                if any(name in entry for entry in policy.meta.repeals for name in names)]

    @cached_property
    def _repealing(self) -> tuple[Policy, ...]:
        """The policies that repeal any document: few, in a library of many."""
        return tuple(policy for policy in self.policies if policy.meta.repeals)


def load_library(corpus_dir: Path) -> Library:
    """Every policy folder under `corpus_dir/policies`, read once per process and folder."""
    return _load_library(corpus_dir.resolve())


@lru_cache(maxsize=4)
def _load_library(corpus_dir: Path) -> Library:
    policies: list[Policy] = []
    problems: list[Problem] = []
    root = corpus_dir / POLICIES
    folders = sorted(path for path in root.iterdir() if path.is_dir()) if root.is_dir() else []
    for folder in folders:
        try:
            policy = read_policy(folder)
            _check_unique(policy, policies)
        except DataFileError as error:
            problems.append(error.problem)
            continue
        policies.append(policy)
    return Library(policies=tuple(_repeals_named(policies)), problems=tuple(problems))


def _repeals_named(policies: list[Policy]) -> list[Policy]:
    """A policy repealed by its doc_id is named by its title, as a reply says it."""
    titles = {policy.doc_id: f"《{policy.meta.title}》" for policy in policies}
    named = []
    for policy in policies:
        repeals = [titles.get(entry, entry) for entry in policy.meta.repeals]
        if repeals != policy.meta.repeals:
            meta = policy.meta.model_copy(update={"repeals": repeals})
            policy = replace(policy, document=policy.document.model_copy(update={"meta": meta}))
        named.append(policy)
    return named


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
    return Policy(document=document, rulebook=rulebook, folder=folder)


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


def _check_unique(policy: Policy, loaded: list[Policy]) -> None:
    taken = {rule.id: other.doc_id for other in loaded for rule in other.rulebook.rules}
    for index, rule in enumerate(policy.rulebook.rules):
        if rule.id in taken:
            rules_path = policy.folder / RULES
            raise DataFileError(Problem(rules_path, line_of(rules_path, ("rules", index, "id")),
                                      f"rule id {rule.id!r} is already used by policy {taken[rule.id]}"))
