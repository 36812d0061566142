"""Every condition of an item, each judged met / not_met / unknown from the supplied inputs.

The same list serves `compute` (a failed condition makes the item ineligible, an unknown
one is listed as an open condition) and the eligibility check (shown as is).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .inputs import missing_required
from .models import Condition, Rule, Threshold
from .money import format_yuan
from .results import ConditionCheck, ItemStatus


def threshold_text(threshold: Threshold) -> str:
    amount = format_yuan(threshold.amount_yuan)
    return f"{amount}以上" if threshold.inclusive else f"超过{amount}"


def assess(rule: Rule, supplied: Mapping[str, Any]) -> list[ConditionCheck]:
    """Conditions in the order a person checks them: amount threshold, missing figures,
    the clause's own conditions, then the tier ladder and amounts to deduct."""
    checks: list[ConditionCheck] = []
    missing = missing_required(rule, supplied)
    base_input = rule.base.input if rule.base is not None else None
    base_missing = [spec for spec in missing if spec.name == base_input or
                    (rule.base is not None and spec.name in rule.base.parts)]
    if rule.threshold is not None:
        checks.append(_threshold_check(rule, supplied.get(base_input or ""), base_missing))
    for spec in missing:
        if rule.threshold is not None and spec in base_missing:
            continue
        checks.append(ConditionCheck(
            condition=f"{spec.label.zh}（用于计算金额）",
            condition_en=f"{spec.label.en} (needed for the amount)",
            state="unknown", to_find_out=spec.ask.zh, to_find_out_en=spec.ask.en, input=spec.name,
        ))
    checks.extend(_condition_check(rule, condition, supplied) for condition in rule.conditions)
    if rule.previous_tier_input is not None:
        checks.append(_ladder_check(rule, supplied))
    for name in (rule.deduction_input, rule.cap_consumed_by):
        if name is not None:
            checks.append(_deduction_check(rule, name, supplied))
    return checks


def status_of(checks: list[ConditionCheck]) -> ItemStatus:
    states = {check.state for check in checks}
    if "not_met" in states:
        return "not_eligible"
    return "possible" if "unknown" in states else "eligible"


def _threshold_check(rule: Rule, base: Decimal | None, base_missing: list) -> ConditionCheck:
    assert rule.threshold is not None and rule.base is not None
    wording = threshold_text(rule.threshold)
    label = rule.base.label
    condition = f"{label}在{wording}" + ("（含本数）" if rule.threshold.inclusive else "")
    comparison = "at least" if rule.threshold.inclusive else "more than"
    condition_en = f"{rule.input(rule.base.input).label.en}: {comparison} {rule.threshold.amount_yuan:,f} yuan"
    if base is None:
        return ConditionCheck(
            condition=condition, condition_en=condition_en, state="unknown",
            to_find_out="；".join(spec.ask.zh for spec in base_missing),
            to_find_out_en=" ".join(spec.ask.en for spec in base_missing),
            input=rule.base.input,
        )
    limit = rule.threshold.amount_yuan
    met = base >= limit if rule.threshold.inclusive else base > limit
    return ConditionCheck(
        condition=condition, condition_en=condition_en, state="met" if met else "not_met",
        reason=None if met else f"{label}{format_yuan(base)}，未达到{wording}的门槛",
        input=rule.base.input,
    )


def _condition_check(rule: Rule, condition: Condition, supplied: Mapping[str, Any]) -> ConditionCheck:
    spec = rule.input(condition.input)
    value = supplied.get(condition.input)
    common = {"condition": condition.text.zh, "condition_en": condition.text.en, "input": spec.name}
    if value is None:
        return ConditionCheck(**common, state="unknown", to_find_out=spec.ask.zh,
                              to_find_out_en=spec.ask.en)
    met = value is condition.expect if condition.expect is not None else value not in (condition.expect_not_in or [])
    return ConditionCheck(**common, state="met" if met else "not_met",
                          reason=None if met else condition.reason)


def _ladder_check(rule: Rule, supplied: Mapping[str, Any]) -> ConditionCheck:
    assert rule.previous_tier_input is not None and rule.tier_input is not None
    previous_spec = rule.input(rule.previous_tier_input)
    common = {
        "condition": "本次档次高于此前已享受补助的档次（按进档差额执行）",
        "condition_en": "The new level is above any level already paid for (difference paid)",
        "input": previous_spec.name,
    }
    previous = supplied.get(rule.previous_tier_input)
    level = supplied.get(rule.tier_input)
    if previous is None or level is None:
        ask = previous_spec if previous is None else rule.input(rule.tier_input)
        return ConditionCheck(**common, state="unknown", to_find_out=ask.ask.zh,
                              to_find_out_en=ask.ask.en)
    if rule.tier_rank(previous) < rule.tier_rank(level):
        return ConditionCheck(**common, state="met")
    previous_label = previous_spec.choice(previous).label.zh
    if previous == level:
        reason = f"此前已按{previous_label}享受过本项补助，同一档次不重复补助"
    else:
        reason = f"此前已按更高的{previous_label}享受过本项补助，本次不属于进档"
    return ConditionCheck(**common, state="not_met", reason=reason)


def _deduction_check(rule: Rule, name: str, supplied: Mapping[str, Any]) -> ConditionCheck:
    """Money already paid changes the amount, so it must be known before a total is sure."""
    spec = rule.input(name)
    if name == rule.deduction_input:
        why, why_en = "金额含省市补助，已获部分须扣除", "the amount includes provincial and city money"
    else:
        why, why_en = "上限按累计计算，已获部分占用额度", "the cap counts what was already paid"
    common = {
        "condition": f"已知{spec.label.zh}（{why}）",
        "condition_en": f"{spec.label.en} known ({why_en})",
        "input": name,
    }
    if name in supplied:
        return ConditionCheck(**common, state="met")
    return ConditionCheck(**common, state="unknown", to_find_out=spec.ask.zh,
                          to_find_out_en=spec.ask.en)

