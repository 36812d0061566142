"""Figures given with no item named: which items they could be for, and the question that asks."""

from __future__ import annotations

from decimal import Decimal

from assistant.dialogue.state import PendingInput
from assistant.language.text import Script
from assistant.language.wording import wording
from assistant.outcomes import NeedsInput
from assistant.understanding.question import Figure
from calculators import Rule, RuleBook


def main_money_input(rule: Rule) -> str | None:
    """The money an item is paid on (its base, else its first required money input), None for an
    item paid a fixed amount."""
    if rule.base:
        return rule.base.input
    return next((spec.name for spec in rule.inputs if spec.kind == "money" and spec.required), None)


def candidates(rulebook: RuleBook, figures: list[Figure]) -> list[Rule]:
    """Equipment and software figures belong to one of the project items, whose rates differ;
    money spent with no part named ("投了500万搞改造") to any item paid on money spent or earned."""
    if any(f.part for f in figures):
        return [rule for rule in rulebook.rules if rule.base and rule.base.parts]
    return [rule for rule in rulebook.rules if main_money_input(rule)]


def ask_which(rules: list[Rule], figures: list[Figure], script: Script) -> tuple[PendingInput, NeedsInput]:
    """The open question and the reply that asks it; the figures wait in the question for the item."""
    projects = any(f.part for f in figures)
    say = wording(script)
    titles = [rule.title_en if script is Script.ENGLISH else rule.title for rule in rules]
    if projects:
        asked = say("which_item.projects", titles=say.join(titles, "which_item.projects_separator"))
    else:
        asked = say("which_item.amount", titles=say.join(titles[:-1]), last=titles[-1])
    parts = {f.part: str(f.value_yuan) for f in figures if f.part}
    amount = None if projects else str(sum((f.value_yuan for f in figures), Decimal(0)))
    pending = PendingInput(kind="item", candidates=[rule.id for rule in rules], inputs=parts, amount=amount,
                           question=asked)
    return pending, NeedsInput(tuple(rule.id for rule in rules), asked, choosing_item=True)
