"""A calculator's inputs as the Question states them.

Money from the Question's figures (by their role and part), choices from the levels and
labels the rules declare, yes/no facts from what the enterprise said. Nothing is guessed:
what is not found stays missing."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from assistant.language.vocabulary import Vocabulary
from assistant.understanding.entities import EARLIER_REACH, HELD_REACH, find_choices
from assistant.understanding.question import Figure, FigureRole, Operation, Segment
from calculators import Rule


def bool_inputs(rule: Rule, facts: dict[str, bool]) -> dict[str, bool]:
    """Yes/no inputs settled by facts the enterprise stated (by the input's profile field)."""
    return {spec.name: facts[spec.profile_field] for spec in rule.inputs
            if spec.kind == "bool" and spec.profile_field in facts}


def choice_inputs(rule: Rule, text: str, vocabulary: Vocabulary) -> dict[str, str]:
    """Choices named in the folded text. Two levels of a ladder are the one held before and
    the new one ("原来是市级，现在省级"); one level named as held before ("之前评上市级数字化车间")
    is the level already paid for, and the new one is still to be said."""
    values: dict[str, str] = {}
    for spec in rule.inputs:
        if spec.kind != "choice" or spec.name == rule.previous_tier_input:
            continue
        named = find_choices(spec, text)
        if not named:
            continue
        if spec.name == rule.tier_input and rule.previous_tier_input and len(named) >= 2:
            def before(position: int, reach: int) -> str:
                # The words since the previous clause break: "…，现在又被认定为" belongs to its own level.
                return re.split(r"[，,。；;]", text[max(0, position - reach):position])[-1].rstrip()

            earlier_marked = [value for position, value in named
                              if vocabulary.earlier_level.ends(before(position, EARLIER_REACH))
                              or vocabulary.held_before.ends(before(position, HELD_REACH))]
            now_marked = [value for position, value in named
                          if before(position, HELD_REACH) in vocabulary.tier_change]
            # A level marked as held before ("之前被认定为智能工厂") is the earlier one, or the one not
            # marked as now ("现在又被认定为数字化车间"); with neither, as in "市级升省级", the lower one.
            lowest = min((value for _, value in named), key=rule.tier_rank)
            others = [value for _, value in named if value not in now_marked]
            if len(earlier_marked) == 1:
                earlier = earlier_marked[0]
            elif len(now_marked) == 1 and len(others) == 1:
                earlier = others[0]
            else:
                earlier = lowest
            values[rule.previous_tier_input] = earlier
            values[spec.name] = next(value for _, value in named if value != earlier)
        elif (spec.name == rule.tier_input and rule.previous_tier_input
              and vocabulary.held_before.ends(text[max(0, named[0][0] - HELD_REACH):named[0][0]].rstrip())):
            values[rule.previous_tier_input] = named[0][1]
        else:
            values[spec.name] = named[-1][1]
    return values


def money_assignments(rule: Rule, figures: list[Figure], previous_tier_known: bool,
                      paid_by_government: Callable[[Figure], bool] = lambda figure: False,
                      fill: str | None = None) -> list[tuple[Figure, str]]:
    """Each figure with the money input it fills, by its role and part; a total to the item's
    base; the first other figure to `fill` (by default the main amount).

    Money received goes to what the rule subtracts: money from the province or city to
    "含省市补助" (deduction_input); other money received to the deduction or the consumed cap,
    unless a level already paid for is known, which "进档差额" already subtracts."""
    specs = [spec for spec in rule.inputs if spec.kind == "money"]
    assigned: list[tuple[Figure, str]] = []
    leftovers: list[Figure] = []
    received = next((s for s in specs if s.name in {rule.deduction_input, rule.cap_consumed_by}), None)
    parts = set(rule.base.parts) if rule.base else set()
    main = next((s.name for s in specs if s.required), None)
    base = rule.base.input if rule.base else main
    for figure in figures:
        if figure.role is FigureRole.RECEIVED:
            if paid_by_government(figure):
                if rule.deduction_input:
                    assigned.append((figure, rule.deduction_input))
            elif received and not previous_tier_known:
                assigned.append((figure, received.name))
        elif figure.part and figure.part in parts:
            assigned.append((figure, figure.part))
        elif (figure.total or (figure.part and figure.part == base)) and base:
            assigned.append((figure, base))
        else:
            leftovers.append(figure)
    # An unlabelled amount beside labelled parts is the total ("项目500万，其中软件100万"); several
    # unlabelled amounts are several payments for it ("上半年300万，下半年900万").
    # A share of a figure already placed ("合计1000万，其中400万是外地的") goes where that figure went.
    target = fill or main
    taken = target in {name for _, name in assigned}
    if target and leftovers:
        assigned += [(figure, target) for figure in leftovers
                     if not taken or figure.share or figure.operation is not Operation.SET]
    return assigned


def money_inputs(rule: Rule, figures: list[Figure], previous_tier_known: bool,
                 paid_by_government: Callable[[Figure], bool] = lambda figure: False,
                 fill: str | None = None) -> dict[str, Decimal]:
    """The money inputs the figures state, the last figure for an input winning."""
    return {name: figure.value_yuan
            for figure, name in money_assignments(rule, figures, previous_tier_known, paid_by_government, fill)}


def government_payer(text: str, segments: list[Segment] | None, vocabulary: Vocabulary) -> Callable[[Figure], bool]:
    """Whether the clause a figure stands in names the province or city as its payer."""
    def paid_by_government(figure: Figure) -> bool:
        clause = next((segment.text for segment in segments or [] if figure in segment.figures), text)
        return vocabulary.other_government.search(clause) is not None
    return paid_by_government


def read_inputs(rule: Rule, text: str, figures: list[Figure], facts: dict[str, bool],
                vocabulary: Vocabulary, segments: list[Segment] | None = None,
                previous_tier_known: bool = False, fill: str | None = None) -> dict[str, Any]:
    """Every input of `rule` stated in the folded text, its figures and the facts known.

    `segments` place each figure in its clause, so the payer named there counts for it alone;
    `previous_tier_known` says the conversation already knows the level paid for before."""
    inputs: dict[str, Any] = {**bool_inputs(rule, facts), **choice_inputs(rule, text, vocabulary)}
    after_tier = previous_tier_known or bool(rule.previous_tier_input and rule.previous_tier_input in inputs)

    inputs.update(money_inputs(rule, figures, after_tier, government_payer(text, segments, vocabulary), fill))
    for part in rule.base.parts if rule.base else []:
        # "没有软件投入", "只有设备": the part the caller says there is none of is 0.
        if part not in inputs and part in vocabulary.absent_parts and text in vocabulary.absent_parts[part]:
            inputs[part] = Decimal(0)
    return inputs


def costs_left_out(rule: Rule, figures: list[Figure]) -> list[Figure]:
    """Figures a project's base (设备、软件投入) does not count: spent on what it leaves out ("厂房装修
    150万"), or a further cost said after both parts ("设备90万、软件35万，还有调试费5万"). A whole
    said before its parts is the whole ("投资500万，设备300万，软件100万")."""
    if not (rule.base and rule.base.parts):
        return []
    parts_end = max((f.start for f in figures if f.part in rule.base.parts), default=None)
    both = set(rule.base.parts) <= {f.part for f in figures}
    return [f for f in figures if f.outside_base or (
        both and parts_end is not None and f.start > parts_end and f.role is FigureRole.INPUT
        and not (f.part or f.total or f.share or f.restates) and f.operation is Operation.SET)]
