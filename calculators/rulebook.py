"""A policy's rules as one book: rules.yaml read and validated, or several policies' books merged."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, model_validator

from .errors import CalculatorError
from .models import Rule, StrictModel


class PolicyInfo(StrictModel):
    # The policy folder (its policy.yaml holds the title and dates) these rules belong to.
    doc_id: str = Field(min_length=1)


class Overlap(StrictModel):
    """Items that may concern the same facts; the check explains how they relate."""

    items: list[str] = Field(min_length=2)
    note: str
    # When one of the items concerns the enterprise, assess the others too: the same
    # purchase may qualify for each of them.
    assess_together: bool = False


class RuleBook(StrictModel):
    """The rules of one policy, or of a whole library (`merged`, `policy` None); every rule
    knows its policy (`Rule.doc_id`)."""

    policy: PolicyInfo | None = None
    rules: list[Rule]
    overlaps: list[Overlap] = []

    @model_validator(mode="before")
    @classmethod
    def _rules_know_their_policy(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("policy"), dict) and isinstance(data.get("rules"), list):
            doc_id = data["policy"].get("doc_id", "")
            data = {**data, "rules": [{**rule, "doc_id": doc_id} if isinstance(rule, dict) else rule
                                      for rule in data["rules"]]}
        return data

    @model_validator(mode="after")
    def _unique_and_known(self) -> RuleBook:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({item for item in ids if ids.count(item) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule ids: {duplicates}")
        for overlap in self.overlaps:
            unknown = set(overlap.items) - set(ids)
            if unknown:
                raise ValueError(f"overlap names unknown items: {sorted(unknown)}")
        return self

    @cached_property
    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    def rule(self, item_id: str) -> Rule:
        try:
            return self.by_id[item_id]
        except KeyError:
            raise CalculatorError(f"未知的补助项目：“{item_id}”") from None

    def of_document(self, doc_id: str) -> RuleBook:
        """This book's rules of one policy, with the overlaps among them."""
        rules = [rule for rule in self.rules if rule.doc_id == doc_id]
        ids = {rule.id for rule in rules}
        return RuleBook(rules=rules, overlaps=[o for o in self.overlaps if set(o.items) <= ids])

    @classmethod
    def merged(cls, books: list[RuleBook]) -> RuleBook:
        """One book of every policy's rules; ids must be unique across them."""
        return cls(rules=[rule for book in books for rule in book.rules],
                   overlaps=[overlap for book in books for overlap in book.overlaps])


def read_rulebook(path: Path | str) -> RuleBook:
    """Parse and validate a rules file; a malformed file raises pydantic.ValidationError."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return RuleBook.model_validate(data)
