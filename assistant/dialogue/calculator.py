"""Calculator turns: pick the item, read its inputs, ask for what is missing, compute.

The session keeps one pending item while a follow-up question is open, and the last item
talked about, so "那如果是500万呢" continues where the user was."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from calculators import (Calculation, CalculatorError, compute, get_rule, load_rulebook, match_items,
                         missing_inputs)

from assistant.understanding.amounts import Amount, AmountError, find_amounts, validate_amount
from assistant.dialogue.slots import bool_inputs, describes_subsidy, choice_inputs, fill_answer, money_inputs
from assistant.understanding.text import Script, fold

# Asking to calculate, as opposed to asking what the rule is ("机器人补贴多少" is answered from the clause).
CALCULATE = re.compile(r"怎么算|如何算|如何计算|算一下|算算|帮我算|计算|测算|calculate|compute|work out")

# Asking what an item pays, as opposed to what the policy aims at ("多少家").
AMOUNT_QUESTION = re.compile(r"补多少|补助多少|补贴多少|资助多少|奖励多少|奖多少|给多少|多少钱|能补|能拿|可以拿|能领|"
                             r"补助标准|补贴标准|资助标准|比例|上限|最高|how much|what rate|the rate|cap\b")
# Something typed as money that the amount parser could not read as one figure.
UNREAD_FIGURE = re.compile(r"[0-9a-z.,，~～\-]+\s*(万元|万|亿元|亿|元|yuan|rmb)")
# Words that say a recognition moved up ("市级升为省级"); listing two tiers alone is not a change.
TIER_CHANGE = re.compile(r"升|晋级|进档|变成|变为|现在|如今|新评|又评|又被|upgrade|promot|move[sd]? up|now")


@dataclass
class Outcome:
    """What the calculator side decided for one turn."""

    kind: str  # calculated | not_eligible | needs_info | error
    items: list[str]
    calculations: list[Calculation] = field(default_factory=list)
    follow_up: str | None = None
    message: str | None = None


def _overlapping(item: str) -> list[str]:
    for overlap in load_rulebook().overlaps:
        if item in overlap.items and overlap.assess_together:
            return list(overlap.items)
    return [item]


def read_inputs(item: str, message: str, amounts: list[Amount]) -> dict[str, Any]:
    rule = get_rule(item)
    inputs: dict[str, Any] = {**bool_inputs(rule, message), **choice_inputs(rule, message)}
    after_tier = bool(rule.previous_tier_input and rule.previous_tier_input in inputs)
    inputs.update(money_inputs(rule, amounts, has_previous_tier=after_tier))
    return inputs


def _complete(item: str, inputs: dict[str, Any]) -> bool:
    """Every required input given (inconsistent inputs are reported when the item is computed)."""
    try:
        return not missing_inputs(item, inputs)
    except CalculatorError:
        return True


def _names_a_tier_change(item: str, message: str) -> bool:
    """"市级升省级" asks for the tier difference: a calculation even without an amount."""
    rule = get_rule(item)
    return (bool(rule.previous_tier_input) and bool(TIER_CHANGE.search(fold(message)))
            and rule.previous_tier_input in choice_inputs(rule, message))


def usable_amounts(amounts: list[Amount]) -> list[Amount]:
    """Amounts that can be calculator inputs: not a bare number among others, and not a figure
    of the subsidy itself ("补贴最高100万吗" asks about the cap, it is no purchase price)."""
    return [a for a in amounts if (not a.unit_missing or len(amounts) == 1) and not describes_subsidy(a)]


class Dialogue:
    @staticmethod
    def item_amount_asked(message: str) -> str | None:
        """The subsidy item a question asks the amount or rate of ("上云标杆奖励多少"), if any."""
        folded = fold(message)
        items = match_items(folded)
        return items[0] if items and AMOUNT_QUESTION.search(folded) else None

    def turn(self, state: dict[str, Any], message: str, script: Script) -> Outcome | None:
        """None when this is not a calculator turn: the question goes to retrieval."""
        items = match_items(fold(message))
        found = find_amounts(message)
        amounts = usable_amounts(found)
        pending = state.get("pending")
        if pending and (not items or pending["item"] in items):
            outcome = self._continue(state, pending, message, amounts, script)
            if outcome:
                return outcome
        state.pop("pending", None)
        if not items and amounts and state.get("last_item"):
            items = [state["last_item"]]  # a bare "那500万呢" follows up on the item last talked about
        if not items:
            return None
        unread = None if found else UNREAD_FIGURE.search(fold(message))
        if (not amounts and not unread and not CALCULATE.search(fold(message))
                and not _names_a_tier_change(items[0], message)):
            state["last_item"] = items[0]
            return None
        outcome = self._start(state, items[0], message, amounts, script)
        if unread and outcome.kind == "needs_info":
            # A figure was typed but could not be read ("abc万", "300万-500万"): say so, then ask.
            outcome.message = (f"I could not read “{unread.group(0)}” as one amount." if script is Script.ENGLISH
                               else f"没能把“{unread.group(0)}”读成一个确定的金额。")
        return outcome

    def _start(self, state: dict, item: str, message: str, amounts: list[Amount], script: Script) -> Outcome:
        problem = self._invalid_amount(amounts, script)
        if problem:
            return Outcome("error", [item], message=problem)
        group = _overlapping(item)
        inputs = {other: read_inputs(other, message, amounts) for other in group}
        # Of items assessed together, lead with one the message gives every input for.
        complete = [other for other in group if _complete(other, inputs[other])]
        lead = item if item in complete or not complete else complete[0]
        state["last_item"] = lead
        return self._compute_or_ask(state, lead, inputs[lead], script, others=inputs)

    def _continue(self, state: dict, pending: dict, message: str, amounts: list[Amount],
                  script: Script) -> Outcome | None:
        rule = get_rule(pending["item"])
        asked = rule.input(pending["asking"])
        problem = self._invalid_amount(amounts, script) if asked.kind == "money" else None
        if problem:
            return Outcome("error", [rule.id], message=problem, follow_up=pending.get("question"))
        value = fill_answer(asked, message, amounts)
        if value is None:
            return None  # not an answer to the open question: the user changed the topic
        inputs = {**pending["inputs"], asked.name: value}
        inputs.update({k: v for k, v in choice_inputs(rule, message).items() if k not in inputs})
        return self._compute_or_ask(state, rule.id, inputs, script)

    def _compute_or_ask(self, state: dict, item: str, inputs: dict[str, Any], script: Script,
                        others: dict[str, dict[str, Any]] | None = None) -> Outcome:
        state.pop("pending", None)
        try:
            missing = missing_inputs(item, inputs)
        except CalculatorError as exc:
            return Outcome("error", [item], message=str(exc))
        if missing:
            question = missing[0].ask.en if script is Script.ENGLISH else missing[0].ask.zh
            state["pending"] = {"item": item, "asking": missing[0].name, "question": question,
                                "inputs": {k: str(v) if isinstance(v, Decimal) else v for k, v in inputs.items()}}
            return Outcome("needs_info", [item], follow_up=question)
        calculations = []
        for other in _overlapping(item):
            given = inputs if other == item else (others or {}).get(other, {})
            try:
                if other == item or not missing_inputs(other, given):
                    calculations.append(compute(other, given))
            except CalculatorError as exc:
                if other == item:
                    return Outcome("error", [item], message=str(exc))
        eligible = any(c.eligible for c in calculations)
        return Outcome("calculated" if eligible else "not_eligible", [c.item for c in calculations],
                       calculations=calculations)

    @staticmethod
    def _invalid_amount(amounts: list[Amount], script: Script) -> str | None:
        for amount in amounts:
            try:
                validate_amount(amount.value_yuan)
            except AmountError as exc:
                return exc.message_en if script is Script.ENGLISH else str(exc)
        return None
