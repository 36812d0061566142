"""Figures given with no item named: which items they could be for, and the question that asks."""

from __future__ import annotations

from decimal import Decimal

from assistant.dialogue.state import PendingInput
from assistant.language.text import Script
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
    english = script is Script.ENGLISH
    titles = [rule.title_en if english else rule.title for rule in rules]
    if projects:
        asked = (f"Which project are these figures for: {' or '.join(titles)}?" if english
                 else f"这些设备、软件投入属于哪类项目：{'还是'.join(titles)}？")
    else:
        asked = (f"Which item is this amount for: {', '.join(titles[:-1])} or {titles[-1]}?" if english
                 else f"这笔金额用于哪一项：{'、'.join(titles[:-1])}还是{titles[-1]}？")
    parts = {f.part: str(f.value_yuan) for f in figures if f.part}
    amount = None if projects else str(sum((f.value_yuan for f in figures), Decimal(0)))
    pending = PendingInput(kind="item", candidates=[rule.id for rule in rules], inputs=parts, amount=amount,
                           question=asked)
    return pending, NeedsInput(tuple(rule.id for rule in rules), asked, choosing_item=True)
