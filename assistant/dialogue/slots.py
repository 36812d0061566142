"""A calculator's inputs as the Question states them.

Money from the Question's figures (by their role and part), choices from the levels and
labels the rules declare, yes/no facts from what the enterprise said. Nothing is guessed:
what is not found stays missing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from assistant.understanding.entities import EARLIER_REACH, find_choices
from assistant.understanding.question import Figure, FigureRole
from assistant.understanding.vocabulary import Vocabulary
from calculators import Rule


def bool_inputs(rule: Rule, facts: dict[str, bool]) -> dict[str, bool]:
    """Yes/no inputs settled by facts the enterprise stated (by the input's profile field)."""
    return {spec.name: facts[spec.profile_field] for spec in rule.inputs
            if spec.kind == "bool" and spec.profile_field in facts}


def choice_inputs(rule: Rule, text: str, vocabulary: Vocabulary) -> dict[str, str]:
    """Choices named in the folded text. Two levels of a ladder are the one held before and
    the new one ("原来是市级，现在省级")."""
    values: dict[str, str] = {}
    for spec in rule.inputs:
        if spec.kind != "choice" or spec.name == rule.previous_tier_input:
            continue
        named = find_choices(spec, text)
        if not named:
            continue
        if spec.name == rule.tier_input and rule.previous_tier_input and len(named) >= 2:
            earlier_marked = [value for position, value in named
                              if vocabulary.earlier_level.ends(text[max(0, position - EARLIER_REACH):position])]
            earlier = earlier_marked[0] if earlier_marked else named[0][1]
            values[rule.previous_tier_input] = earlier
            values[spec.name] = next(value for _, value in named if value != earlier)
        else:
            values[spec.name] = named[-1][1]
    return values


def money_inputs(rule: Rule, figures: list[Figure], has_previous_tier: bool) -> dict[str, Decimal]:
    """Each figure to one money input by its role and part; the rest go to the main amount."""
    specs = [spec for spec in rule.inputs if spec.kind == "money"]
    values: dict[str, Decimal] = {}
    leftovers: list[Figure] = []
    received = next((s for s in specs if s.name in {rule.deduction_input, rule.cap_consumed_by}), None)
    parts = set(rule.base.parts) if rule.base else set()
    for figure in figures:
        if figure.part and figure.part in parts:
            values[figure.part] = figure.value_yuan
        elif figure.role is FigureRole.RECEIVED:
            # Money received for a lower tier is what "进档差额" already subtracts; count it once.
            if received and not has_previous_tier:
                values[received.name] = figure.value_yuan
        else:
            leftovers.append(figure)
    # An unlabelled amount beside labelled parts is the total ("项目500万，其中软件100万").
    main = next((s for s in specs if s.required), None)
    if main and leftovers:
        values[main.name] = leftovers[0].value_yuan
    return values


def read_inputs(rule: Rule, text: str, figures: list[Figure], facts: dict[str, bool],
                vocabulary: Vocabulary) -> dict[str, Any]:
    """Every input of `rule` stated in the folded text, its figures and the facts known."""
    inputs: dict[str, Any] = {**bool_inputs(rule, facts), **choice_inputs(rule, text, vocabulary)}
    after_tier = bool(rule.previous_tier_input and rule.previous_tier_input in inputs)
    inputs.update(money_inputs(rule, figures, has_previous_tier=after_tier))
    return inputs
