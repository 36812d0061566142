"""The library as a subject: which policies it holds, which are in force on `today`, which of
them have an item on what the caller names — from each policy's metadata and rules, never from
a guess. Each policy listed is cited by its closing clause, where its dates stand."""

from __future__ import annotations

from datetime import date

from assistant.answering import extractive
from assistant.answering.extractive import capitalised, day_in
from assistant.corpus.library import Library
from assistant.corpus.policy import Policy, Validity
from assistant.corpus.routing import PolicyRouter
from assistant.language.text import Script
from assistant.language.wording import Wording, wording
from assistant.outcomes import Answered
from assistant.understanding.question import Asked, Question
from calculators import Rule

# Listed in this order: what applies today first.
_ORDER = (Validity.IN_FORCE, Validity.NOT_YET, Validity.EXPIRED)


_STATUS = {Validity.IN_FORCE: "library.status_in_force", Validity.NOT_YET: "library.status_not_yet",
           Validity.EXPIRED: "library.status_expired"}


class LibraryAnswers:
    def __init__(self, library: Library, router: PolicyRouter) -> None:
        self.library = library
        self.router = router

    def about_the_library(self, question: Question) -> bool:
        """Which policies there are; or, when the library holds others, which policy is newer
        ("新政策是哪个文件")."""
        return Asked.LIBRARY in question.asked or (
            Asked.OTHER_POLICY in question.asked and len(self.library.policies) > 1)

    def answer(self, question: Question, today: date) -> Answered:
        say = wording(question.script)
        english = question.script is Script.ENGLISH
        # "有哪些支持机器人的政策": the item's word stands before 政策, so only the clause reading has it.
        named = question.entities.items or [item for segment in question.segments for item in segment.items]
        items = [*named, *(rule.id for rule in self.router.namesakes(named, question.text))]
        if items:
            rules = [self.library.rulebook.rule(item) for item in dict.fromkeys(items)]
            policies = [p for p in self.library.ordered(today) if any(rule.doc_id == p.doc_id for rule in rules)]
            lines = [self._line(say, policy, today, english, [r for r in rules if r.doc_id == policy.doc_id])
                     for policy in policies]
            lead = say("library.with_item")
        else:
            policies = self.library.ordered(today)
            if {Asked.VALIDITY, Asked.OTHER_POLICY} & set(question.asked):
                lines = self._by_validity(say, policies, today, english)
                lead = say("library.as_of", today=day_in(today, english))
            else:
                lines = [self._line(say, policy, today, english, []) for policy in policies]
                lead = say("library.count_one" if len(policies) == 1 else "library.count_many", count=len(policies))
        closing = [clause for policy in policies for clause in policy.document.clauses if clause.kind == "closing"]
        citations = tuple(extractive.cite(clause, self.library.policy(clause.doc_id).meta.title, question.script)
                          for clause in closing)
        return Answered("\n".join([lead, *lines]), citations)

    def _by_validity(self, say: Wording, policies: list[Policy], today: date, english: bool) -> list[str]:
        lines = []
        for validity in _ORDER:
            group = [policy for policy in policies if policy.validity(today) is validity]
            heading = say(_STATUS[validity])
            heading = heading[:1].upper() + heading[1:]
            if not group:
                lines.append(say("library.heading_empty", heading=heading))
                continue
            lines.append(say("library.heading", heading=heading))
            lines += [f"· {self._line(say, policy, today, english, [])}" for policy in group]
        return lines

    def _line(self, say: Wording, policy: Policy, today: date, english: bool, rules: list[Rule]) -> str:
        meta = policy.meta
        validity = policy.validity(today)
        text = say("library.line", name=capitalised(meta.name_in(english)),
                   number=say("library.number", number=meta.document_number) if meta.document_number else "",
                   since=day_in(meta.in_force_from, english), until=day_in(meta.in_force_until, english),
                   status=say(_STATUS[validity]))
        successors = self.library.successors(policy.doc_id)
        if validity is Validity.EXPIRED and successors:
            text += say("library.replaced_by", successor=successors[0].meta.name_in(english))
        if not rules:
            return text + say("library.line_end")
        items = say.join([say("library.item", title=rule.title_en if english else rule.title, clause=rule.clause)
                          for rule in rules], "library.item_separator")
        return say("library.line_with_items", text=text, items=items)
