"""The direct answer: one or two sentences that answer what was asked, before the quote.

Built from the structured rules (calculators/rules.yaml), the document metadata
(corpus/documents.yaml) and the clause itself — never from a guess. Parts of the question the
policy does not answer are said plainly instead (`unstated`)."""

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

_UNSTATED_ZH = {
    Asked.MATERIALS: "政策原文没有规定申报需要提交哪些材料",
    Asked.DEADLINE: "政策原文没有规定申报时间或截止日期",
    Asked.CONTACT: "政策原文没有给出联系电话、地址等联系方式",
    Asked.PROCEDURE: "政策原文没有规定具体的申报流程",
    Asked.TAX: "政策原文没有规定补助资金的税务处理",
    Asked.PAYMENT: "政策原文没有规定补助资金何时、以何种方式拨付到企业",
    Asked.DATE: "政策原文没有规定这一事项的具体时间安排（如评审、认定或申报的月份）",
    Asked.CLAWBACK: "政策原文没有规定补助资金在何种情况下需要退回或被追回",
}
_UNSTATED_EN = {
    Asked.MATERIALS: "The policy does not state which materials an application needs",
    Asked.DEADLINE: "The policy does not state an application period or deadline",
    Asked.CONTACT: "The policy gives no phone number, address or other contact",
    Asked.PROCEDURE: "The policy does not state how to apply",
    Asked.TAX: "The policy does not state how the subsidy is taxed",
    Asked.PAYMENT: "The policy does not state when or how the money is paid out to the enterprise",
    Asked.DATE: "The policy sets no timetable for this (when reviews, recognitions or applications take place)",
    Asked.CLAWBACK: "The policy does not state when a subsidy must be paid back or is reclaimed",
}
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
                direct.unstated.append(((_UNSTATED_EN if english else _UNSTATED_ZH)[kind])
                                       + ("; " if english else "，") + self.who_to_ask(meta, english))
        if Asked.DATE in asked and items and not asked & (ITEM_KINDS | {*DOCUMENT_KINDS} - {Asked.DATE}) \
                and clause is not None and not _DATE_FIGURE.search(clause.text):
            # "数字化车间评审一般几月份开始": when something about an item happens, which its clause does not say.
            direct.unstated.append((_UNSTATED_EN if english else _UNSTATED_ZH)[Asked.DATE]
                                   + ("; " if english else "，") + self.who_to_ask(meta, english))
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
        terms = "、".join(f"“{term}”" for term in missing)
        if english:
            return [f"The policy sets no figure for {terms} in what it says about this."]
        return [f"政策原文没有规定{terms}的补助标准。"]

    def _stacking(self, items: list[str], english: bool) -> list[str]:
        """Whether two items named can both be had: what rules.yaml's overlaps record from the
        text, or plainly that the policy does not say."""
        pair = set(items[:2])
        overlap = next((o for o in self.rulebook_overlaps if pair <= set(o.items)), None)
        if overlap is not None:
            return [overlap.note]
        titles = [self.rules[item].title_en if english else self.rules[item].title for item in items[:2]]
        if english:
            return [f"The policy does not say whether “{titles[0]}” and “{titles[1]}” can both be had for the same "
                    "purchase or project."]
        return [f"政策原文没有说明“{titles[0]}”和“{titles[1]}”能否就同一笔投入同时享受。"]

    # ── the document itself ───────────────────────────────────────────────────────────
    def who_to_ask(self, meta: DocumentMeta, english: bool) -> str:
        """The department that implements the policy, to ask what it does not state."""
        if english:
            return f"it is implemented by the {self._department_en(meta)}, who can tell."
        return f"政策由{meta.department_named}组织实施，可向其咨询。"

    def not_decided(self, question: Question, meta: DocumentMeta) -> list[str]:
        """What no clause decides, said before any is looked for: money the policy never sets
        ("房租补贴"), one enterprise's chances, legal or investment advice."""
        english = question.script is Script.ENGLISH
        ask = self.who_to_ask(meta, english)
        if question.unstated_money:
            named = "、".join(f"“{m}”" for m in question.unstated_money)
            return [f"The policy sets no {named}; {ask}" if english
                    else f"政策原文没有规定{named}，也没有相应的标准或金额。{ask}"]
        if question.outside_policy:
            return [("The policy does not decide this: it sets conditions and amounts, not whether a particular "
                     f"enterprise will be recognised or paid, and it gives no legal or investment advice; {ask}")
                    if english else
                    "政策原文不涉及这一点：政策只规定条件和补助标准，不对具体企业能否获得认定或补助作出判断，"
                    f"也不提供法律或投资方面的意见。{ask}"]
        return []

    def _department_en(self, meta: DocumentMeta) -> str:
        return f"{self.glossary.term(meta.department) or meta.department_full or meta.department} ({meta.department})"

    @staticmethod
    def _document_lines(kinds: list[Asked], meta: DocumentMeta, today: date, english: bool,
                        department_en: str) -> list[str]:
        lines = []
        start, end = meta.in_force_from, meta.in_force_until
        if Asked.VALIDITY in kinds or Asked.DATE in kinds:
            if english:
                state = ("has expired" if today > end else "is not yet in force" if today < start else "is in force")
                lines.append(f"The policy took effect on {date_en(start)} and is valid until {date_en(end)}; "
                             f"as of {date_en(today)} it {state}.")
            else:
                state = "已过期（失效）" if today > end else "尚未施行" if today < start else "仍在有效期内"
                lines.append(f"本政策自{_zh(start)}起施行，有效期至{_zh(end)}；截至{_zh(today)}{state}。")
        if Asked.DEPARTMENT in kinds:
            lines.append(f"It is implemented by the {department_en} together with the "
                         "departments concerned." if english else
                         f"本政策由{meta.department_named}会同相关职能部门组织实施。")
        if Asked.ISSUER in kinds:
            lines.append(f"It was issued on {date_en(meta.issued)} by {meta.issuer}, after adoption by "
                         f"{meta.adopted_by}." if english else
                         f"本政策经{meta.adopted_by}审议通过，由{meta.issuer}于{_zh(meta.issued)}印发。")
        if Asked.REPEAL in kinds:
            lines.append(f"When it took effect it repealed {meta.repeals_text}." if english else
                         f"本政策施行时，{meta.repeals_text}同时废止。")
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
        if english:
            return (f"This assistant answers from one policy only, in force from {date_en(meta.in_force_from)} "
                    f"until {date_en(meta.in_force_until)}; it does not state what other, earlier or later "
                    f"policies provide. It repealed {meta.repeals_text}.")
        return (f"政策原文没有规定其他、更早或更新政策的内容：本政策自{_zh(meta.in_force_from)}起施行，"
                f"有效期至{_zh(meta.in_force_until)}，施行时{meta.repeals_text}同时废止。")


def _zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
