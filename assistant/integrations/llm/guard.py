"""The grounding guard: deterministic checks of a model's answer against what the tools returned.

An answer passes when
- every amount, percentage, date and count it states is stated by a retrieved clause, a
  calculator result or the document's metadata (compared as values: figures.py);
- every quotation of some length exists verbatim in the policy (spaces, script and full-width
  forms aside; an English quotation must be a term of the reviewed glossary);
- it holds neither the canary of the instructions nor a long stretch of them (prompts.py).
Anything else about the answer (which clauses to cite, which calculations to show) is taken from
the tool results by the answerer, never from the model's text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from assistant.corpus.documents import ClauseRef, Document, DocumentMeta
from assistant.integrations.llm.figures import Figures, figures_in
from assistant.integrations.llm.prompts import EchoDetector
from assistant.language.text import to_simplified
from calculators import Calculation

# A quotation of this many characters or more must be found in the policy; shorter quoted words
# are terms (“未来工厂” has 4, “链主工厂” 4), not quotations of its text.
QUOTE_MIN_CHARS = 6
_QUOTATIONS = [re.compile(pattern) for pattern in (r"「([^「」]+)」", r"『([^『』]+)』", r"“([^“”]+)”",
                                                     r"\"([^\"\n]+)\"")]
_ELLIPSIS = re.compile(r"…+|\.{3,}|⋯+")
_QUOTE_MARKS = str.maketrans({mark: '"' for mark in "“”「」『』‘’\"'"})
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# How an answer says the policy is silent on something: the extractive answer's own phrases
# (answering/direct.py, rule_facts.py: 政策原文没有规定…, 没有规定上限, The policy does not state…)
# and the usual variants a model writes.
NOT_STATED = re.compile(r"没有[^。；，]{0,4}(?:规定|明确|写明|提及)|未(?:作)?(?:规定|明确|写明|提及|设定)"
                        r"|does not (?:state|say|set|specify|mention)|doesn't (?:state|say|set|specify)"
                        r"|not stated|sets no|no (?:rate|cap|figure|amount) is (?:set|given|stated)", re.I)
# Metadata fields that are facts of the document an answer may state (not file names or hashes).
META_FIELDS = ("title", "short_title", "issuer", "document_type", "adopted_by", "issued", "published",
               "in_force_from", "in_force_until", "repeals", "department", "department_full")


def comparable(text: str) -> str:
    """The form quotations are compared in: Simplified, NFKC, one kind of quote mark, no spaces."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", to_simplified(text)).translate(_QUOTE_MARKS))


def metadata_text(meta: DocumentMeta) -> str:
    return "\n".join(str(getattr(meta, name)) for name in META_FIELDS)


@dataclass
class Evidence:
    """What the tools returned in one turn: their text, the money in their results, the
    locations of the clauses retrieved or calculated with, in the order found, and the calculations."""

    texts: list[str] = field(default_factory=list)
    money: set[Decimal] = field(default_factory=set)
    clauses: list[ClauseRef] = field(default_factory=list)
    calculations: list[Calculation] = field(default_factory=list)

    def add_calculation(self, calculation: Calculation) -> None:
        self.calculations.append(calculation)
        self.texts += [calculation.formula, calculation.quote, calculation.reason or "", *calculation.notes,
                       *calculation.open_conditions]
        self.money |= {value for value in (calculation.amount_yuan, calculation.cap_yuan) if value is not None}
        self.money |= {value for value in calculation.inputs.values() if isinstance(value, Decimal)}


def quotations(text: str) -> list[str]:
    return [match.group(1) for pattern in _QUOTATIONS for match in pattern.finditer(text)]


class GroundingGuard:
    def __init__(self, documents: tuple[Document, ...], english_terms: Iterable[str], echo: EchoDetector) -> None:
        self.echo = echo
        self.metadata = Figures()
        for document in documents:
            self.metadata.update(figures_in(metadata_text(document.meta), source=True))
        self.corpus = "\n".join(comparable(text) for document in documents
                                for text in [metadata_text(document.meta), *(c.text for c in document.clauses)])
        self.english_terms = {comparable(term).lower() for term in english_terms}

    def problems(self, answer: str, evidence: Evidence, plain: str = "") -> list[str]:
        """Why the answer may not be shown; empty when it passes. `plain` is the extractive answer
        to the same question: when it says the policy does not state something, so must the model."""
        found = self.echo.problems(answer)
        if NOT_STATED.search(to_simplified(plain)) and not NOT_STATED.search(to_simplified(answer)):
            found.append("the plain answer says the policy does not state part of it; the answer does not")
        known = Figures(money=set(evidence.money))
        known.update(self.metadata)
        for text in evidence.texts:
            known.update(figures_in(text, source=True))
        said = figures_in(answer)
        found += [f"the amount {value} yuan is in no tool result" for value in sorted(said.money - known.money)]
        found += [f"the percentage {value}% is in no tool result" for value in sorted(said.percents - known.percents)]
        found += [f"the number {value} is in no tool result" for value in sorted(said.numbers - known.every_value)]
        found += [f"the quotation “{quote}” is not in the policy" for quote in quotations(answer)
                  if not self._quoted_rightly(quote)]
        return found

    def _quoted_rightly(self, quote: str) -> bool:
        pieces = [comparable(piece) for piece in _ELLIPSIS.split(quote)]
        if sum(len(piece) for piece in pieces) < QUOTE_MIN_CHARS:
            return True
        if not _CJK.search(quote):
            return comparable(quote).lower() in self.english_terms or comparable(quote) in self.corpus
        return all(piece in self.corpus for piece in pieces if piece)
