"""The Reply every interface returns (see CONTRACT.md). Only optional fields may be added."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Status(StrEnum):
    ANSWERED = "answered"
    CALCULATED = "calculated"
    NEEDS_INFO = "needs_info"
    NOT_ELIGIBLE = "not_eligible"
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    ERROR = "error"


CITED_STATUSES = {Status.ANSWERED, Status.CALCULATED, Status.NOT_ELIGIBLE}


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    doc_id: str
    location: str
    text: str


class CalculationOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str
    title: str
    eligible: bool
    amount_yuan: float | None
    cap_yuan: float | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    formula: str
    clause: str
    notes: list[str] = Field(default_factory=list)
    cap_applied: bool = False
    reason: str | None = None
    # Conditions still to confirm, in the policy's words; the amount holds if they are met.
    open_conditions: list[str] = Field(default_factory=list)


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    session: str
    status: Status
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    calculations: list[CalculationOut] = Field(default_factory=list)
    follow_up: str | None = None
    warnings: list[str] = Field(default_factory=list)
    # With status error: what is wrong, for API clients (empty_message, invalid_amount, ...).
    error_code: str | None = None
    # Several items asked together ("两项一共多少"): the sum of their amounts, in yuan.
    total_yuan: float | None = None

    @model_validator(mode="after")
    def _status_rules(self) -> Reply:
        if self.status in CITED_STATUSES and not self.citations:
            raise ValueError(f"a {self.status} reply needs at least one citation")
        if self.status is Status.NEEDS_INFO and not self.follow_up:
            raise ValueError("a needs_info reply must say what it needs in follow_up")
        if self.status is Status.CALCULATED and not self.calculations:
            raise ValueError("a calculated reply carries at least one calculation")
        if self.status in {Status.NOT_FOUND, Status.REFUSED, Status.ERROR} and any(
            c.amount_yuan for c in self.calculations
        ):
            raise ValueError(f"a {self.status} reply claims no amount")
        return self
