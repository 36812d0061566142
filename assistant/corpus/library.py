"""The policy library: one folder per policy under corpus/policies/ (corpus/policy.py), read and checked.

A folder that cannot be read — bad YAML, a field missing or malformed, a rule quoting text the
policy does not contain, an id another policy already uses — is left out and reported with its
file, line and reason; every other policy keeps serving.

Given a snapshot file (corpus/snapshot.py), a folder unchanged since it was parsed is not parsed
again: its metadata and rules come from the snapshot and its text when first needed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, lru_cache, partial
from pathlib import Path

import calculators
from assistant.corpus import documents as documents_module
from assistant.corpus import policy as policy_module
from assistant.corpus.documents import Clause, ClauseRef, Document, DocumentMeta
from assistant.corpus.policy import RULES, USER_DICTIONARY, Policy, Validity, read_policy
from assistant.corpus.snapshot import LibrarySnapshot, Row, folder_signature, parser_version
from assistant.language import data_files, text
from assistant.language.data_files import DataFileError, Problem, line_of, read_yaml
from calculators import RuleBook

log = logging.getLogger(__name__)

POLICIES = "policies"


@dataclass(frozen=True)
class Library:
    """The policies that loaded, in folder order, and the problems of those that did not."""

    policies: tuple[Policy, ...]
    problems: tuple[Problem, ...] = field(default=())

    @cached_property
    def documents(self) -> tuple[Document, ...]:
        """Every policy's text and clauses: reads them all (a snapshot's too)."""
        return tuple(policy.document for policy in self.policies)

    @cached_property
    def digest(self) -> str:
        """Changes whenever any clause's key or searched text does: names the library as indexed."""
        return hashlib.sha256("\x00".join(policy.digest for policy in self.policies).encode()).hexdigest()

    @cached_property
    def search_text(self) -> str:
        """Every clause's searched text, one line each, without reading the documents."""
        return "\n".join(policy.search_text for policy in self.policies if policy.search_text)

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
        return self.policies_by_id[doc_id]

    def clause_at(self, ref: ClauseRef) -> Clause | None:
        """A clause by policy and location, reading only that policy's text."""
        policy = self.policies_by_id.get(ref.doc_id)
        return policy.clause_at(ref.location) if policy else None

    def first_clause_at(self, location: str) -> Clause | None:
        """The clause at `location` in the first policy that has one, in folder order."""
        return next((found for policy in self.policies if (found := policy.clause_at(location))), None)

    @cached_property
    def policies_by_id(self) -> dict[str, Policy]:
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


def load_library(corpus_dir: Path, snapshot: Path | None = None) -> Library:
    """Every policy folder under `corpus_dir/policies`, read once per process and folder; with a
    `snapshot` file, unchanged folders come from it and changed ones are saved to it."""
    return _load_library(corpus_dir.resolve(), snapshot.resolve() if snapshot else None)


@lru_cache(maxsize=4)
def _load_library(corpus_dir: Path, snapshot_path: Path | None) -> Library:
    policies: list[Policy] = []
    problems: list[Problem] = []
    root = corpus_dir / POLICIES
    folders = sorted(path for path in root.iterdir() if path.is_dir()) if root.is_dir() else []
    snapshot = LibrarySnapshot(snapshot_path) if snapshot_path else None
    saved = snapshot.rows() if snapshot else {}
    parser = parser_version(_parser_modules()) if snapshot else ""
    fresh: dict[str, tuple[Row, str]] = {}
    rule_ids: dict[str, str] = {}
    signatures: dict[str, str] = {}
    for folder in folders:
        try:
            signature = signatures[folder.name] = folder_signature(folder, parser) if snapshot else ""
            row = saved.get(folder.name)
            if snapshot and row and row.signature == signature:
                policy = _from_row(folder, row, snapshot)
            else:
                policy = read_policy(folder)
                if snapshot:
                    fresh[folder.name] = (_row_of(policy, signature), policy.document.model_dump_json())
            _check_unique(policy, rule_ids)
        except DataFileError as error:
            problems.append(error.problem)
            fresh.pop(folder.name, None)
            continue
        policies.append(policy)
    current = {(policy.folder.name, signatures[policy.folder.name]) for policy in policies}
    if snapshot and (fresh or {(folder, row.signature) for folder, row in saved.items()} - current):
        snapshot.save(fresh, keep=current)
    return Library(policies=tuple(_repeals_named(policies)), problems=tuple(problems))


def _parser_modules() -> list[Path]:
    """The code a policy folder goes through on its way to a Policy."""
    calculator_files = sorted(Path(calculators.__file__).parent.glob("*.py"))
    return [Path(__file__), Path(policy_module.__file__), Path(documents_module.__file__), Path(text.__file__),
            Path(data_files.__file__), *calculator_files]


def _row_of(policy: Policy, signature: str) -> Row:
    return Row(signature=signature, meta=policy.meta.model_dump_json(), digest=policy.digest,
               search_text=policy.search_text)


def _from_row(folder: Path, row: Row, snapshot: LibrarySnapshot) -> Policy:
    """Rules are read from their file again (few policies have them, and they are checked against
    the text when the row was written)."""
    rules_path = folder / RULES
    rulebook = RuleBook.model_validate(read_yaml(rules_path, RuleBook)) if rules_path.exists() else RuleBook(rules=[])
    return Policy(meta=DocumentMeta.model_validate_json(row.meta), rulebook=rulebook, folder=folder,
                  digest=row.digest, search_text=row.search_text,
                  read_document=partial(_saved_document, snapshot, folder, row.signature))


def _saved_document(snapshot: LibrarySnapshot, folder: Path, signature: str) -> Document:
    saved = snapshot.document(folder.name, signature)
    if saved is None:
        log.warning("policy %s: the version this process started with is no longer saved; its text is read "
                    "from the folder as it is now (restart to serve the changed library whole)", folder.name)
        return read_policy(folder).document
    return Document.model_validate_json(saved)


def _repeals_named(policies: list[Policy]) -> list[Policy]:
    """A policy repealed by its doc_id is named by its title, as a reply says it."""
    titles = {policy.doc_id: f"《{policy.meta.title}》" for policy in policies}
    named = []
    for policy in policies:
        repeals = [titles.get(entry, entry) for entry in policy.meta.repeals]
        if repeals != policy.meta.repeals:
            meta = policy.meta.model_copy(update={"repeals": repeals})
            policy = replace(policy, meta=meta)
        named.append(policy)
    return named


def _check_unique(policy: Policy, taken: dict[str, str]) -> None:
    """`taken`: rule id → doc_id of the policies loaded so far; gains this policy's rules."""
    for index, rule in enumerate(policy.rulebook.rules):
        if rule.id in taken:
            rules_path = policy.folder / RULES
            raise DataFileError(Problem(rules_path, line_of(rules_path, ("rules", index, "id")),
                                      f"rule id {rule.id!r} is already used by policy {taken[rule.id]}"))
    taken.update((rule.id, policy.doc_id) for rule in policy.rulebook.rules)
