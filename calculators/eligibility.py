"""The "政策体检": which items an enterprise may qualify for, and what is still unknown."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .conditions import assess, status_of
from .engine import calculate
from .inputs import missing_required, normalize_inputs
from .models import Rule
from .money import format_yuan
from .profile import GENERAL_FIELDS, EnterpriseProfile, build_profile
from .results import EligibilityReport, ItemAssessment
from .rulebook import RuleBook


def check_eligibility(rulebook: RuleBook, profile: EnterpriseProfile | Mapping[str, Any]) -> EligibilityReport:
    """Assess every item the profile says something specific about.

    An item is assessed when one of its inputs is known from a profile field that is not
    a general fact about the enterprise (size, sector): knowing only that a company is
    small does not mean it bought robots. Items linked by `assess_together` overlaps in
    rules.yaml pull each other in, since one purchase may qualify for both.

    Nothing unknown is guessed. Each condition is met, not_met, or unknown with the
    question that settles it. Items with an unknown condition are "possible": their
    amount is what the policy pays if the unknowns turn out well, counted in
    possible_total_yuan only. total_yuan counts fully confirmed items. Items the policy
    gives no figure for are listed and counted in neither total.

    A mapping is read as an EnterpriseProfile ("三百万", "是", "不确定" as everywhere); a
    value that cannot be read raises CalculatorError.
    """
    profile = build_profile(profile)
    concerned = {rule.id for rule in rulebook.rules if _concerns(rule, profile)}
    for overlap in rulebook.overlaps:
        if overlap.assess_together and concerned & set(overlap.items):
            concerned |= set(overlap.items)

    assessments = [_assess_item(rule, profile) for rule in rulebook.rules if rule.id in concerned]
    open_items = [item for item in assessments if item.status != "not_eligible"]
    ruled_out = [item for item in assessments if item.status == "not_eligible"]
    total = _sum_amounts(item for item in open_items if item.status == "eligible")
    possible_total = _sum_amounts(open_items)

    notes: list[str] = []
    open_ids = {item.item for item in open_items}
    notes += [overlap.note for overlap in rulebook.overlaps if set(overlap.items) <= open_ids]
    pending = [item.title for item in open_items if item.status == "possible"]
    if pending:
        notes.append(
            f"以下项目还有条件待确认，金额只计入可能合计（{format_yuan(possible_total)}），"
            f"不计入确定合计（{format_yuan(total)}）：{'、'.join(pending)}。"
        )
    no_figure = [item.title for item in open_items
                 if item.calculation is not None and item.calculation.amount_yuan is None]
    if no_figure:
        notes.append(f"以下项目政策未规定具体金额，未计入合计：{'、'.join(no_figure)}。")
    if not assessments:
        notes.append("企业情况中没有与专项政策各项直接相关的信息，请补充投资、认定或购买情况。")
    return EligibilityReport(
        items=open_items, not_eligible=ruled_out, total_yuan=total,
        possible_total_yuan=possible_total, notes=notes,
    )


def _concerns(rule: Rule, profile: EnterpriseProfile) -> bool:
    return any(
        spec.profile_field is not None
        and spec.profile_field not in GENERAL_FIELDS
        and getattr(profile, spec.profile_field) is not None
        for spec in rule.inputs
    )


def _assess_item(rule: Rule, profile: EnterpriseProfile) -> ItemAssessment:
    known = {
        spec.name: getattr(profile, spec.profile_field)
        for spec in rule.inputs
        if spec.profile_field is not None
    }
    supplied = normalize_inputs(rule, known)
    checks = assess(rule, supplied)
    computable = not missing_required(rule, supplied)
    return ItemAssessment(
        item=rule.id, doc_id=rule.doc_id, title=rule.title, clause=rule.clause, status=status_of(checks),
        conditions=checks, calculation=calculate(rule, supplied) if computable else None,
    )


def _sum_amounts(items: Any) -> Decimal:
    total = Decimal("0.00")
    for item in items:
        if item.calculation is not None and item.calculation.amount_yuan is not None:
            total += item.calculation.amount_yuan
    return total
