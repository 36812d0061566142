"""Calculator outcomes in words and in the contract's calculation shape."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from assistant.answering.english import yuan_en
from assistant.contract import CalculationOut
from assistant.language.text import Script
from assistant.language.wording import wording
from assistant.outcomes import Calculated, InputError, NeedsInput
from calculators import Calculation, RuleBook, format_yuan


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def to_contract(calc: Calculation) -> CalculationOut:
    return CalculationOut(
        item=calc.item, title=calc.title, eligible=calc.eligible,
        amount_yuan=_plain(calc.amount_yuan), cap_yuan=_plain(calc.cap_yuan),
        inputs={name: _plain(value) for name, value in calc.inputs.items()},
        formula=calc.formula, clause=calc.clause, notes=list(calc.notes),
        cap_applied=calc.cap_applied, reason=calc.reason, open_conditions=list(calc.open_conditions),
    )


def _line(calc: Calculation, script: Script, rulebook: RuleBook) -> str:
    english = script is Script.ENGLISH
    say = wording(script)
    title = rulebook.rule(calc.item).title_en if english else calc.title
    if calc.amount_yuan is None:
        # The formula already says "政策未规定具体金额：…" with what the clause does promise.
        return say("calculation.no_amount", title=title, formula=calc.formula)
    if not calc.eligible:
        return say("calculation.not_eligible", title=title, reason=calc.reason)
    # A level paid "不超过N万元" is a ceiling the department decides within, not a promise.
    return say("calculation.amount", title=title, formula=calc.formula,
               up_to=say("calculation.up_to") if _up_to(calc, rulebook) else "",
               amount=yuan_en(calc.amount_yuan) if english else format_yuan(calc.amount_yuan),
               capped=say("calculation.capped") if calc.cap_applied else "")


def _up_to(calc: Calculation, rulebook: RuleBook) -> bool:
    rule = rulebook.rule(calc.item)
    level = calc.inputs.get(rule.tier_input or "")
    return bool(rule.tiers and level and any(t.level == level and t.up_to for t in rule.tiers))


def needs_input_text(outcome: NeedsInput, script: Script, rulebook: RuleBook) -> str:
    preface = f"{outcome.preface} " if outcome.preface else ""
    if outcome.choosing_item:
        return f"{preface}{outcome.follow_up}"
    rule = rulebook.rule(outcome.items[0])
    title = rule.title_en if script is Script.ENGLISH else rule.title
    return wording(script)("calculation.needs_input", preface=preface, title=title, follow_up=outcome.follow_up)


def error_text(outcome: InputError) -> str:
    again = f" {outcome.follow_up}" if outcome.follow_up else ""
    return f"{outcome.message}{again}"


def calculated_text(outcome: Calculated, script: Script, rulebook: RuleBook, names: Mapping[str, str]) -> str:
    """`names`: how to name each policy (doc_id → name in the reply's language)."""
    english = script is Script.ENGLISH
    say = wording(script)
    money = yuan_en if english else format_yuan
    policies = list(dict.fromkeys(names.get(calc.doc_id, "") for calc in outcome.calculations))
    lines = [say("calculation.lead", policies=say.join(policies, "policy_separator"))]
    lines += [_line(calc, script, rulebook) for calc in outcome.calculations]
    if outcome.total and len(outcome.calculations) >= 2:
        # Every item with a figure, one not eligible at 0, so the sum reads as the items above it.
        amounts = [(calc.amount_yuan or Decimal(0)) if calc.eligible else Decimal(0)
                   for calc in outcome.calculations if calc.amount_yuan is not None]
        lines.append(say("calculation.together", parts=" + ".join(money(a) for a in amounts) or "0",
                         whole=money(outcome.total_yuan)))
    open_conditions = [condition for calc in outcome.calculations if calc.eligible
                       for condition in calc.open_conditions]
    if open_conditions:
        lines.append(say("calculation.open_conditions"))
        lines.extend(f"· {condition}" for condition in open_conditions)
    return "\n".join(lines)
