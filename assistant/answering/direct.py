"""The direct answer: one or two sentences that answer what was asked, before the quote.

Built from the structured rules (the policy's rules.yaml), the document metadata (its
policy.yaml) and the clause itself — never from a guess, in the words of the wording catalogues.
Parts of the question the policy does not answer are said plainly instead (`unstated`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from assistant.answering.english import Glossary, date_en
from assistant.answering.extractive import split_sentences
from assistant.answering.rule_facts import RuleFacts
from assistant.corpus.documents import Clause, DocumentMeta
from assistant.language.text import MONEY_FIGURE, Script
from assistant.language.vocabulary import Vocabulary
from assistant.language.wording import wording
from assistant.understanding.question import Asked, Question
from calculators import Rule, RuleBook

FIGURE_KINDS = (Asked.AMOUNT, Asked.RATE, Asked.CAP, Asked.THRESHOLD)
DOCUMENT_KINDS = (Asked.VALIDITY, Asked.DATE, Asked.DEPARTMENT, Asked.REPEAL, Asked.ISSUER)
# Kinds of question about what an item pays or requires: they rest on the item's clause.
ITEM_KINDS = frozenset({*FIGURE_KINDS, Asked.CONDITION})
EVIDENCE_KINDS = (Asked.MATERIALS, Asked.DEADLINE, Asked.CONTACT, Asked.PROCEDURE, Asked.TAX, Asked.PAYMENT,
                  Asked.CLAWBACK)
# At most this many items get a sentence each in one answer ("机器换人和工厂物联网分别补多少").
MAX_ITEMS = 3

# A date a clause states: a year or a month ("2025年", "12月31日").
_DATE_FIGURE = re.compile(r"\d{4}\s*年|\d{1,2}\s*月")


@dataclass
class Direct:
    lines: list[str] = field(default_factory=list)  # sentences that answer a part
    unstated: list[str] = field(default_factory=list)  # parts the policy does not state
    about_document: bool = False  # the answer rests on the document's own dates and department


class DirectAnswers:
    def __init__(self, rulebook: RuleBook, vocabulary: Vocabulary, domain_terms: frozenset[str],
                 glossary: Glossary) -> None:
        self.rules = {rule.id: rule for rule in rulebook.rules}
        self.rulebook_overlaps = rulebook.overlaps
        self.vocabulary = vocabulary
        self.glossary = glossary
        self.subject_terms = domain_terms - vocabulary.generic_terms

    def build(self, question: Question, items: list[str], clause: Clause | None, meta: DocumentMeta,
              today: date) -> Direct:
        """`clause` is the one the answer rests on, None when no clause answers the question."""
        english = question.script is Script.ENGLISH
        say = wording(question.script)
        asked = set(question.asked)
        # Only what the policy does not state is asked ("今年的申报什么时候开始，材料交哪"): the
        # policy's dates are then said beside what is not stated, not as an answer.
        # "哪些" (LIST) is how the question asks, not what: "需要准备哪些材料" asks only for materials.
        only_unstated = asked <= {*EVIDENCE_KINDS, Asked.DATE, Asked.OTHER, Asked.LIST} \
            and bool(asked & set(EVIDENCE_KINDS))
        if any(year > meta.in_force_until.year for year in question.entities.years):
            asked.add(Asked.VALIDITY)  # "2026年还能申请吗": a year after the policy ends asks whether it holds
        if Asked.STACKING in asked:
            asked.discard(Asked.AMOUNT)  # "两边都能拿吗" asks whether both are paid, not how much
        if asked & {Asked.DEADLINE, Asked.CONTACT, Asked.PAYMENT}:
            # "截止日期", "几号窗口", "什么时候拨付" ask for a deadline, a contact or a payment, not the policy's dates
            asked.discard(Asked.DATE)
        direct = Direct()
        if self._other_version(question, meta):
            # What another policy pays is not stated here; this one's figures would mislead.
            direct.unstated.append(self._other_version_text(meta, english))
            return direct
        for kind in EVIDENCE_KINDS:
            if kind in asked and (clause is None or clause.search_text not in self.vocabulary.evidence[kind.value]):
                direct.unstated.append(say("evidence.then_ask", unstated=say(f"evidence.{kind.value}"),
                                           ask=self.who_to_ask(meta, english)))
        if Asked.DATE in asked and items and not asked & (ITEM_KINDS | {*DOCUMENT_KINDS} - {Asked.DATE}) \
                and clause is not None and not _DATE_FIGURE.search(clause.text):
            # "数字化车间评审一般几月份开始": when something about an item happens, which its clause does not say.
            direct.unstated.append(say("evidence.then_ask", unstated=say("evidence.date"),
                                       ask=self.who_to_ask(meta, english)))
            return direct
        if clause is None:
            return direct
        document_kinds = [k for k in DOCUMENT_KINDS if k in asked]
        if document_kinds and (not items or asked & {Asked.VALIDITY, Asked.REPEAL, Asked.ISSUER, Asked.DEPARTMENT}):
            lines = self._document_lines(document_kinds, meta, today, english, self._department_en(meta))
            if only_unstated:
                direct.unstated += lines
            else:
                direct.lines += lines
                direct.about_document = True
        # "那有效期呢" after a robot question asks about the document, and "机器人补贴几月申报" about a
        # deadline the policy does not set: neither wants the robot rule again.
        about_items = bool(asked & ITEM_KINDS) or not asked & {*DOCUMENT_KINDS, *EVIDENCE_KINDS}
        if Asked.STACKING in asked:
            named = question.entities.items
            direct.unstated += self._stacking(named, english) if len(named) >= 2 else []
            about_items = about_items and bool(asked & ITEM_KINDS)
        # Further items named get their own sentence only when the question asks about several
        # ("机器换人和工厂物联网分别补多少"); otherwise a word shared with another item's name
        # ("市级未来工厂" in a question about new projects) would add an unasked answer.
        several = len(question.parts) >= 2 or question.text in self.vocabulary.several
        for item in (items[:MAX_ITEMS] if several else items[:1]) if about_items else []:
            direct.lines += self._item_lines(question, asked, self.rules[item], english)
        if not items and asked & set(FIGURE_KINDS):
            direct.unstated += self._missing_subjects(question, clause, english)
        return direct

    # ── items ──────────────────────────────────────────────────────────────────────────
    def _item_lines(self, question: Question, asked: set[Asked], rule: Rule, english: bool) -> list[str]:
        facts = RuleFacts(rule, english)
        # Every level asked about ("国家级…奖励多少？省级的呢？"), or the whole ladder.
        levels: list[str | None] = list(dict.fromkeys(
            m.value for m in question.entities.levels if m.item == rule.id and not m.earlier)) or [None]
        # The amount's sentence already gives the rate, cap and threshold.
        kinds = [Asked.AMOUNT] if Asked.AMOUNT in asked else [k for k in FIGURE_KINDS if k in asked]
        lines = [facts.asked(kind.value, level) for level in levels for kind in kinds]
        if not lines:
            lines += [facts.asked(Asked.AMOUNT.value, level) for level in levels]
        if question.entities.facts:
            lines += facts.conditions(question.entities.facts)
        elif Asked.CONDITION in asked:
            lines += facts.conditions({})
        return list(dict.fromkeys(line for line in lines if line))

    def _missing_subjects(self, question: Question, clause: Clause, english: bool) -> list[str]:
        """A figure asked for something the answering clause does not name (聚能工厂's amount
        asked, the clause sets amounts for other factory types): the policy does not state it."""
        named = [term for term in self.subject_terms if term in question.search_text]
        sentences = [s for s in split_sentences(clause.search_text) if MONEY_FIGURE.search(s)]
        # "(不含云端工厂)": a term named as left out is not covered by the sentence's figures.
        missing = [term for term in named if not any(term in s and f"不含{term}" not in s for s in sentences)
                   and not any(term in other and term != other for other in named)]
        if not missing:
            return []
        say = wording(Script.ENGLISH if english else Script.SIMPLIFIED)
        terms = "、".join(f"“{term}”" for term in missing)
        return [say("undecided.missing_subjects", terms=terms)]

    def _stacking(self, items: list[str], english: bool) -> list[str]:
        """Whether two items named can both be had: what rules.yaml's overlaps record from the
        text, or plainly that the policy does not say."""
        pair = set(items[:2])
        overlap = next((o for o in self.rulebook_overlaps if pair <= set(o.items)), None)
        if overlap is not None:
            return [overlap.note]
        titles = [self.rules[item].title_en if english else self.rules[item].title for item in items[:2]]
        say = wording(Script.ENGLISH if english else Script.SIMPLIFIED)
        return [say("undecided.stacking", first=titles[0], second=titles[1])]

    # ── the document itself ───────────────────────────────────────────────────────────
    def who_to_ask(self, meta: DocumentMeta, english: bool) -> str:
        """The department that implements the policy, to ask what it does not state."""
        say = wording(Script.ENGLISH if english else Script.SIMPLIFIED)
        return say("evidence.who_to_ask", department=self._department_en(meta) if english else meta.department_named)

    def not_decided(self, question: Question, meta: DocumentMeta) -> list[str]:
        """What no clause decides, said before any is looked for: money the policy never sets
        ("房租补贴"), one enterprise's chances, legal or investment advice."""
        say = wording(question.script)
        ask = self.who_to_ask(meta, question.script is Script.ENGLISH)
        if question.unstated_money:
            named = "、".join(f"“{m}”" for m in question.unstated_money)
            return [say("undecided.money", named=named, ask=ask)]
        if question.outside_policy:
            return [say("undecided.outside", ask=ask)]
        return []

    def _department_en(self, meta: DocumentMeta) -> str:
        return f"{self.glossary.term(meta.department) or meta.department_full or meta.department} ({meta.department})"

    @staticmethod
    def _document_lines(kinds: list[Asked], meta: DocumentMeta, today: date, english: bool,
                        department_en: str) -> list[str]:
        say = wording(Script.ENGLISH if english else Script.SIMPLIFIED)
        day = date_en if english else _zh
        lines = []
        start, end = meta.in_force_from, meta.in_force_until
        if Asked.VALIDITY in kinds or Asked.DATE in kinds:
            state = say("document.expired" if today > end else "document.not_yet" if today < start
                        else "document.in_force")
            lines.append(say("document.validity", start=day(start), end=day(end), today=day(today), state=state))
        if Asked.DEPARTMENT in kinds:
            lines.append(say("document.department", department=department_en if english else meta.department_named))
        if Asked.ISSUER in kinds:
            lines.append(say("document.issuer" if meta.adopted_by else "document.issuer_only",
                             adopted_by=meta.adopted_by, issuer=meta.issuer, issued=day(meta.issued)))
        if Asked.REPEAL in kinds:
            lines.append(say("document.repeal", repealed=meta.repeals_text) if meta.repeals
                         else say("document.repealed_nothing"))
        return lines

    def _other_version(self, question: Question, meta: DocumentMeta) -> bool:
        """The question is about another policy: a year before this one was issued, or a
        document named that is not this one."""
        earlier = any(year < meta.issued.year for year in question.entities.years)
        # "2026年富阳出的数字化政策": a document of a year after this one ended is another document;
        # "这个政策2026年还有效吗" asks about this one.
        later = (any(year > meta.in_force_until.year for year in question.entities.years)
                 and question.text in self.vocabulary.document_nouns
                 and question.text not in self.vocabulary.self_reference)
        others = [p for p in question.entities.other_policies if meta.title not in p and meta.short_title not in p]
        # A successor ("有没有新的政策替代它") is another policy even when the question says "替代".
        other = (earlier or later or bool(others)) and Asked.REPEAL not in question.asked
        return Asked.OTHER_POLICY in question.asked or other

    @staticmethod
    def _other_version_text(meta: DocumentMeta, english: bool) -> str:
        say = wording(Script.ENGLISH if english else Script.SIMPLIFIED)
        day = date_en if english else _zh
        return say("document.other_version" if meta.repeals else "document.other_version_nothing",
                   start=day(meta.in_force_from), end=day(meta.in_force_until), repealed=meta.repeals_text)


def _zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
