"""The eligibility check ("政策体检") in chat: the user describes the enterprise in their own
words, over as many turns as they like; every turn re-runs `calculators.check_eligibility`
on all facts gathered so far, for every policy of the library: those in force first, then the
expired ones it would have met. Nothing the user did not say is assumed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from assistant.corpus.library import Library
from assistant.corpus.policy import Validity
from assistant.dialogue import slots
from assistant.dialogue.state import ConversationState
from assistant.language.text import Script
from assistant.language.vocabulary import Vocabulary
from assistant.language.wording import wording
from assistant.outcomes import CheckupReport, InputError, PolicyCheck
from assistant.understanding.question import Question
from calculators import (
    CalculatorError,
    EligibilityReport,
    EnterpriseProfile,
    check_eligibility,
    format_yuan,
)

PROFILE_FIELDS = set(EnterpriseProfile.model_fields)


class Checkup:
    def __init__(self, library: Library, vocabulary: Vocabulary) -> None:
        self.library = library
        self.rules = library.rulebook.by_id
        self.vocabulary = vocabulary

    def profile_facts(self, question: Question) -> dict[str, Any]:
        """Profile fields the message states, clause by clause, so each amount stays with its item."""
        facts: dict[str, Any] = {}
        general = self.vocabulary.general_facts
        current: str | None = None
        for segment in question.segments:
            # "上了一条自动化产线，设备180万，软件40万": clauses with figures and no item of their own
            # belong to the item named just before.
            item = segment.items[0] if segment.items else (current if segment.figures else None)
            current = item or current
            if item:
                rule = self.rules[item]
                # A bare number ("…，0") is no amount in a description of the enterprise.
                figures = [f for f in segment.figures if f in question.input_figures and not f.unit_missing]
                for name, value in slots.read_inputs(rule, segment.text, figures, segment.facts,
                                                     self.vocabulary).items():
                    field = rule.input(name).profile_field
                    if field in PROFILE_FIELDS:
                        facts[field] = str(value) if isinstance(value, Decimal) else value
            # Facts about the enterprise as a whole count wherever they are said; the others only
            # beside the item they concern (read above through that item's inputs).
            facts.update({k: v for k, v in segment.facts.items() if k in general})
        return facts

    def nothing_received(self, profile: dict[str, Any]) -> dict[str, Any]:
        """"没有拿过": for the items the profile concerns, nothing received and no level paid before."""
        settled: dict[str, Any] = {}
        for rule in self.rules.values():
            earlier = {rule.deduction_input, rule.cap_consumed_by, rule.previous_tier_input} - {None}
            fields = {spec.name: spec.profile_field for spec in rule.inputs if spec.profile_field}
            concerned = any(field in profile and name not in earlier and field not in self.vocabulary.general_facts
                            for name, field in fields.items())
            if concerned:
                for name in earlier:
                    field = fields.get(str(name))
                    if field in PROFILE_FIELDS and field not in profile:
                        settled[field] = "none" if name == rule.previous_tier_input else "0"
        return settled

    def turn(self, question: Question, state: ConversationState, today: date) -> CheckupReport | InputError:
        """A CHECKUP turn: start the check-up or add to it, then assess everything known."""
        facts = self.profile_facts(question)
        previous = dict(state.checkup.profile)
        if not state.checkup.active:
            state.checkup.active = True
            state.checkup.profile = facts
        else:
            state.checkup.profile.update(facts)
        if question.text in self.vocabulary.nothing_received:
            state.checkup.profile.update(self.nothing_received(state.checkup.profile))
        profile = state.checkup.profile
        try:
            return CheckupReport(self.checks(profile, question.policies, today) if profile else ())
        except CalculatorError as exc:
            # A figure that cannot be right (负数, 0): say so and keep what was known before it.
            state.checkup.profile = previous
            return InputError(exc.code, str(exc))


    def checks(self, profile: dict[str, Any], order: tuple[str, ...], today: date) -> tuple[PolicyCheck, ...]:
        """The profile checked against each policy with rules, in force first (then `order`)."""
        policies = sorted(self.library.policies, key=lambda policy: (
            policy.validity(today) is not Validity.IN_FORCE,
            order.index(policy.doc_id) if policy.doc_id in order else len(order)))
        found = []
        for policy in policies:
            if policy.rulebook.rules:
                report = check_eligibility(policy.rulebook, profile)
                if report.items or report.not_eligible:
                    found.append(PolicyCheck(policy.doc_id, policy.validity(today) is Validity.IN_FORCE, report))
        return tuple(found)


def questionnaire(script: Script) -> str:
    return wording(script)("checkup.questionnaire")


_MARK = {"eligible": "✓", "possible": "?", "not_eligible": "✗"}


def report_text(checks: tuple[PolicyCheck, ...], names: dict[str, str], script: Script) -> str:
    """Each policy's items, with its name when there are several; an expired policy's items as
    what the enterprise would have met."""
    say = wording(script)
    lines: list[str] = []
    for check in checks:
        name = names.get(check.doc_id, check.doc_id)
        lines.append(say("checkup.in_force" if check.in_force or len(checks) == 1 else "checkup.expired", name=name))
        lines += _report_lines(check.report, script)
    lines.append(say("checkup.more"))
    return "\n".join(lines)


def _report_lines(report: EligibilityReport, script: Script) -> list[str]:
    say = wording(script)
    english = script is Script.ENGLISH
    lines = []
    for item in [*report.items, *report.not_eligible]:
        calc = item.calculation
        amount = "" if calc is None or calc.amount_yuan is None else f"：{format_yuan(calc.amount_yuan)}"
        if item.status == "not_eligible":
            reasons = [c.reason for c in item.conditions if c.state == "not_met" and c.reason]
            amount = f"：{'；'.join(reasons) or (calc.reason if calc else '')}"
        lines.append(f"{_MARK[item.status]} {item.title}（{item.clause}）{amount}")
        lines += [say("checkup.to_confirm", ask=condition.to_find_out_en if english else condition.to_find_out)
                  for condition in item.conditions if condition.state == "unknown"]
    lines.append(say("checkup.totals", total=format_yuan(report.total_yuan),
                     upper=format_yuan(report.possible_total_yuan)))
    return lines
