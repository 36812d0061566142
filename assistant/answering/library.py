"""The library as a subject: which policies it holds, which are in force on `today`, which of
them have an item on what the caller names — from each policy's metadata and rules, never from
a guess. Each policy listed is cited by its closing clause, where its dates stand."""

from __future__ import annotations

from datetime import date

from assistant.answering import extractive
from assistant.answering.extractive import zh_date
from assistant.corpus.library import Library, Policy, Validity
from assistant.corpus.routing import PolicyRouter
from assistant.language.text import Script
from assistant.outcomes import Answered
from assistant.understanding.question import Asked, Question
from calculators import Rule

# Listed in this order: what applies today first.
_ORDER = (Validity.IN_FORCE, Validity.NOT_YET, Validity.EXPIRED)


class LibraryAnswers:
    def __init__(self, library: Library, router: PolicyRouter) -> None:
        self.library = library
        self.router = router

    def answer(self, question: Question, today: date) -> Answered:
        english = question.script is Script.ENGLISH
        # "有哪些支持机器人的政策": the item's word stands before 政策, so only the clause reading has it.
        named = question.entities.items or [item for segment in question.segments for item in segment.items]
        items = [*named, *(rule.id for rule in self.router.namesakes(named, question.text))]
        if items:
            rules = [self.library.rulebook.rule(item) for item in dict.fromkeys(items)]
            policies = [p for p in self._ordered(today) if any(rule.doc_id == p.doc_id for rule in rules)]
            lines = [self._line(policy, today, english, [r for r in rules if r.doc_id == policy.doc_id])
                     for policy in policies]
            lead = ("Policies in the library with this item:" if english else "政策库中规定了该事项的政策：")
        else:
            policies = self._ordered(today)
            if Asked.VALIDITY in question.asked:
                lines = self._by_validity(policies, today, english)
                lead = (f"The library's policies as of {today:%Y-%m-%d}:" if english
                        else f"截至{zh_date(today)}，政策库中的政策：")
            else:
                lines = [self._line(policy, today, english, []) for policy in policies]
                lead = (f"The library holds {len(policies)} "
                        f"{'policy' if len(policies) == 1 else 'policies'}:" if english
                        else f"政策库共有{len(policies)}份政策：")
        closing = [clause for policy in policies for clause in policy.document.clauses if clause.kind == "closing"]
        citations = tuple(extractive.cite(clause, self.library.policy(clause.doc_id).meta.title, question.script)
                          for clause in closing)
        return Answered("\n".join([lead, *lines]), citations)

    def _ordered(self, today: date) -> list[Policy]:
        return self.library.ordered(today)

    def _by_validity(self, policies: list[Policy], today: date, english: bool) -> list[str]:
        lines = []
        for validity in _ORDER:
            group = [policy for policy in policies if policy.validity(today) is validity]
            if english:
                heading = {Validity.IN_FORCE: "In force", Validity.NOT_YET: "Not yet in force",
                           Validity.EXPIRED: "Expired"}[validity]
            else:
                heading = {Validity.IN_FORCE: "现行有效", Validity.NOT_YET: "尚未施行",
                           Validity.EXPIRED: "已失效"}[validity]
            if not group:
                lines.append(f"{heading}: none" if english else f"{heading}：无")
                continue
            lines.append(f"{heading}:" if english else f"{heading}：")
            lines += [f"· {self._line(policy, today, english, [])}" for policy in group]
        return lines

    def _line(self, policy: Policy, today: date, english: bool, rules: list[Rule]) -> str:
        meta = policy.meta
        number = f" ({meta.document_number})" if meta.document_number and english else (
            f"（{meta.document_number}）" if meta.document_number else "")
        validity = policy.validity(today)
        successors = self.library.successors(policy.doc_id)
        if english:
            status = {Validity.IN_FORCE: "in force", Validity.NOT_YET: "not yet in force",
                      Validity.EXPIRED: "expired"}[validity]
            text = (f"{meta.name_in(True)}{number}: {meta.in_force_from:%Y-%m-%d} to "
                    f"{meta.in_force_until:%Y-%m-%d}, {status}")
            if validity is Validity.EXPIRED and successors:
                text += f", replaced by {successors[0].meta.name_in(True)}"
            items = "; ".join(f"“{rule.title_en}” ({rule.clause})" for rule in rules)
            return f"{text}. {items}." if items else f"{text}."
        status = {Validity.IN_FORCE: "现行有效", Validity.NOT_YET: "尚未施行", Validity.EXPIRED: "已失效"}[validity]
        text = f"{meta.name_in(False)}{number}：{zh_date(meta.in_force_from)}至{zh_date(meta.in_force_until)}，{status}"
        if validity is Validity.EXPIRED and successors:
            text += f"，已由{successors[0].meta.name_in(False)}替代"
        items = "；".join(f"“{rule.title}”（{rule.clause}）" for rule in rules)
        return f"{text}。{items}。" if items else f"{text}。"
