"""The arithmetic of each calculation kind, with a formula a person can check by hand.

Amounts stay exact Decimals throughout; only the final figure is rounded to the fen.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from .inputs import describe_value
from .models import NO_PREVIOUS_LEVEL, Rule, Scope
from .money import format_rate, format_yuan, to_fen

CAP_WORDING = {
    Scope.per_project: "单个项目最高",
    Scope.per_enterprise: "单个企业最高",
    Scope.per_enterprise_per_year: "单个企业每年最高",
    Scope.once_per_enterprise: "单个企业只享受1次，最高",
}
FREQUENCY_WORDING = {
    Scope.per_enterprise_per_year: "单个企业每年只享受1次",
    Scope.once_per_enterprise: "单个企业只享受1次",
}


class Amount(NamedTuple):
    amount_yuan: Decimal
    cap_yuan: Decimal | None
    cap_applied: bool
    formula: str


def rate_amount(rule: Rule, values: dict[str, Any], supplied: dict[str, Any]) -> Amount:
    """Base × rate, bounded by the cap less what the same cap has already paid out.

    "最高不超过" / "最高补助" bound the amount; cap_applied says the bound was reached.
    """
    assert rule.base is not None and rule.rate is not None
    base = values[rule.base.input]
    raw = base * rule.rate
    product = f"{format_yuan(base)} × {format_rate(rule.rate)} = {format_yuan(to_fen(raw))}"
    prefix = _parts_prefix(rule, supplied, base)
    if rule.cap_yuan is None or rule.cap_scope is None:
        return Amount(to_fen(raw), None, False, prefix + product)
    cap = rule.cap_yuan
    cap_text = f"{CAP_WORDING[rule.cap_scope]}{format_yuan(cap)}"
    consumed = values.get(rule.cap_consumed_by or "", Decimal(0))
    if consumed > 0:
        room = max(cap - consumed, Decimal(0))
        room_text = f"{cap_text}，已获{format_yuan(consumed)}，剩余额度{format_yuan(room)}"
        if raw > room:
            formula = f"{product}，超过剩余额度（{room_text}），按{format_yuan(room)}计 = {format_yuan(room)}"
            return Amount(to_fen(room), cap, True, prefix + formula)
        return Amount(to_fen(raw), cap, False, f"{prefix}{product}（{room_text}）")
    if raw > cap:
        formula = f"{product}，超过上限，按{cap_text}计 = {format_yuan(cap)}"
        return Amount(to_fen(cap), cap, True, prefix + formula)
    return Amount(to_fen(raw), cap, False, f"{prefix}{product}（{cap_text}）")


def _parts_prefix(rule: Rule, supplied: dict[str, Any], base: Decimal) -> str:
    """'设备投入150万元 + 软件投入80万元 = 230万元；' when the base was given in parts."""
    parts = rule.base.parts if rule.base is not None else []
    if not parts or not all(part in supplied for part in parts):
        return ""
    terms = " + ".join(
        f"{rule.input(part).label.zh}{format_yuan(supplied[part])}" for part in parts
    )
    return f"{terms} = {format_yuan(base)}；"


def tiered_amount(rule: Rule, values: dict[str, Any]) -> Amount:
    """The recognised level's amount, less the level already paid for (按进档差额执行),
    less what other levels of government already paid (含省市补助); never below 0.

    A tier worded "不超过" is computed at its ceiling and reported as cap_yuan, since the
    authority may grant less.
    """
    assert rule.tier_input is not None
    level_spec = rule.input(rule.tier_input)
    tier = rule.tier(values[rule.tier_input])
    level_label = level_spec.choice(tier.level).label.zh
    terms = [f"{level_label}{format_yuan(tier.amount_yuan)}"]
    amount = tier.amount_yuan
    previous = values.get(rule.previous_tier_input or "", NO_PREVIOUS_LEVEL)
    if previous != NO_PREVIOUS_LEVEL:
        previous_tier = rule.tier(previous)
        label = level_spec.choice(previous).label.zh
        terms.append(f"原{label}档{format_yuan(previous_tier.amount_yuan)}")
        amount -= previous_tier.amount_yuan
    deduction = values.get(rule.deduction_input or "", Decimal(0))
    if deduction > 0:
        label = rule.input(rule.deduction_input).label.zh  # type: ignore[arg-type]
        terms.append(f"{label}{format_yuan(deduction)}")
        amount -= deduction
    if len(terms) == 1:
        formula = f"{level_label} = {format_yuan(amount)}"
    elif amount < 0:
        formula = f"{' − '.join(terms)} = {format_yuan(amount)}，不低于0，按0元计 = 0元"
        amount = Decimal(0)
    else:
        formula = f"{' − '.join(terms)} = {format_yuan(amount)}"
    if tier.up_to:
        formula += f"（本档“不超过{format_yuan(tier.amount_yuan)}”，按上限计算）"
    cap = tier.amount_yuan if tier.up_to else None
    return Amount(to_fen(amount), cap, False, formula)


def fixed_amount(rule: Rule) -> Amount:
    assert rule.amount_yuan is not None
    amount = format_yuan(rule.amount_yuan)
    frequency = FREQUENCY_WORDING.get(rule.cap_scope) if rule.cap_scope else None
    formula = f"每次补助{amount}" + (f"（{frequency}）" if frequency else "") + f" = {amount}"
    return Amount(to_fen(rule.amount_yuan), rule.cap_yuan, False, formula)


def assumption_note(rule: Rule, name: str, value: Any) -> str:
    spec = rule.input(name)
    shown = describe_value(spec, value)
    if spec.kind != "money":
        shown = f"“{shown}”"
    return f"未提供“{spec.label.zh}”，按{shown}计算；如不符请告知。"
