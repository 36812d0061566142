"""Public entry points: find what is missing, compute one item, from the rulebook passed in."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .amounts import assumption_note, fixed_amount, rate_amount, tiered_amount
from .conditions import assess
from .errors import MissingInputsError
from .inputs import missing_required, normalize_inputs, with_defaults
from .models import Input, Rule
from .results import Calculation
from .rulebook import RuleBook


def missing_inputs(rule: Rule, inputs: Mapping[str, Any]) -> list[Input]:
    """Required inputs of `rule` not yet in `inputs`, in the order to ask them.

    Each Input carries `ask.zh` / `ask.en`, the follow-up question. Supplied values are
    validated on the way, so a bad value raises CalculatorError here already.
    """
    return missing_required(rule, normalize_inputs(rule, inputs))


def compute(rule: Rule, inputs: Mapping[str, Any]) -> Calculation:
    """Compute one item (a rule of a policy's RuleBook) from the given inputs.

    Raises CalculatorError for an unknown item or input, a bad value, or inconsistent
    parts, and MissingInputsError (a CalculatorError) when a required input is absent.
    A condition nobody has confirmed (None / not given) does not block the amount: the
    calculation lists it in `open_conditions`; a condition answered "no"
    makes it ineligible with the amount 0 and the reason in words.
    """
    supplied = normalize_inputs(rule, inputs)
    missing = missing_required(rule, supplied)
    if missing:
        raise MissingInputsError(rule.id, missing)
    return calculate(rule, supplied)


def calculate(rule: Rule, supplied: dict[str, Any]) -> Calculation:
    """`compute` for already normalized inputs with nothing required missing."""
    values, defaulted = with_defaults(rule, supplied)
    checks = assess(rule, supplied)
    failed = [check for check in checks if check.state == "not_met"]
    open_conditions = [check.condition for check in checks
                       if check.state == "unknown" and check.input not in {spec.name for spec in defaulted}]
    notes = [assumption_note(rule, spec.name, values[spec.name]) for spec in defaulted]
    notes += list(rule.notes)
    common: dict[str, Any] = {
        "item": rule.id, "doc_id": rule.doc_id, "title": rule.title, "inputs": values,
        "clause": rule.clause, "quote": rule.quote, "notes": notes, "open_conditions": open_conditions,
    }
    reason = "；".join(check.reason or "" for check in failed) or None
    if rule.calculation == "no_figure":
        return Calculation(
            **common, eligible=not failed, amount_yuan=None, cap_yuan=None, cap_applied=False,
            formula=f"政策未规定具体金额：{rule.explanation}", reason=reason,
        )
    if failed:
        return Calculation(
            **common, eligible=False, amount_yuan=Decimal("0.00"), cap_yuan=rule.cap_yuan,
            cap_applied=False, formula=f"不符合条件：{reason} → 0元", reason=reason,
        )
    if rule.calculation == "rate":
        amount = rate_amount(rule, values, supplied)
    elif rule.calculation == "tiered":
        amount = tiered_amount(rule, values)
    else:
        amount = fixed_amount(rule)
    return Calculation(
        **common, eligible=True, amount_yuan=amount.amount_yuan, cap_yuan=amount.cap_yuan,
        cap_applied=amount.cap_applied, formula=amount.formula, reason=None,
    )


def match_items(rulebook: RuleBook, text: str) -> list[str]:
    """Item ids whose keywords occur in `text`, best match (longest keyword) first.

    A plain substring match meant as a cheap first pass for intent routing; ties keep
    clause order.
    """
    lowered = text.lower()
    scored: list[tuple[int, int, str]] = []
    for position, rule in enumerate(rulebook.rules):
        hits = [len(word) for word in (*rule.keywords.zh, *rule.keywords.en)
                if word.lower() in lowered]
        if hits:
            scored.append((-max(hits), position, rule.id))
    return [item for _, _, item in sorted(scored)]
