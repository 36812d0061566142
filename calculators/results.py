"""What the calculators hand back. Field names are a JSON contract with the chat layer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ConditionState = Literal["met", "not_met", "unknown"]
ItemStatus = Literal["eligible", "possible", "not_eligible"]


class Calculation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str
    # The policy whose rule computed this (Rule.doc_id).
    doc_id: str = ""
    title: str
    eligible: bool
    # None only for items the policy gives no figure for.
    amount_yuan: Decimal | None
    cap_yuan: Decimal | None
    cap_applied: bool
    inputs: dict[str, Any]
    formula: str
    clause: str
    quote: str
    reason: str | None
    notes: list[str]
    # Conditions nobody has confirmed yet, in the policy's words: the amount holds if they are met.
    open_conditions: list[str] = []


class ConditionCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    condition: str
    condition_en: str
    state: ConditionState
    # Set when state is "unknown": the question to ask or the thing to check.
    to_find_out: str | None = None
    to_find_out_en: str | None = None
    # Set when state is "not_met".
    reason: str | None = None
    # The calculator input that settles this condition, if one does.
    input: str | None = None


class ItemAssessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str
    doc_id: str = ""
    title: str
    clause: str
    status: ItemStatus
    conditions: list[ConditionCheck]
    # None when an amount-deciding input is unknown. For "possible" items the amount is
    # what the policy pays if every unknown condition turns out met.
    calculation: Calculation | None


class EligibilityReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # eligible and possible items, in clause order
    items: list[ItemAssessment]
    not_eligible: list[ItemAssessment]
    # sum over "eligible" items with a figure: every condition confirmed
    total_yuan: Decimal
    # also counts "possible" items at their computed amount: an upper bound, not a promise
    possible_total_yuan: Decimal
    notes: list[str]
