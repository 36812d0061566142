"""Schema of rules.yaml. Loading validates it, so a typo in the data fails loudly at start.

Cross-references (a condition naming an input, a tier ladder naming a choice input, a
profile field) are checked here too: the engine may then trust the data.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .money import parse_rate, parse_yuan
from .profile import EnterpriseProfile

SNAKE = r"^[a-z][a-z0-9_]*$"
NO_PREVIOUS_LEVEL = "none"
# Pinyin annotations in the scraped source look like 數(shù); none may survive in a quote.
_PINYIN_NOTE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)")

# calculation kind → (fields it needs, fields it may have); any other shape field is an error
KIND_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "rate": ({"base", "rate"}, {"threshold", "cap_yuan", "cap_scope", "cap_consumed_by"}),
    "tiered": ({"tiers", "tier_input"}, {"previous_tier_input", "deduction_input", "cap_scope"}),
    "fixed": ({"amount_yuan"}, {"cap_yuan", "cap_scope"}),
    "no_figure": ({"explanation"}, set()),
}
SHAPE_FIELDS = sorted(set().union(*(needed | optional for needed, optional in KIND_FIELDS.values())))

Yuan = Annotated[Decimal, BeforeValidator(parse_yuan)]
Rate = Annotated[Decimal, BeforeValidator(parse_rate)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(StrictModel):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Scope(StrEnum):
    per_project = "per_project"
    per_enterprise = "per_enterprise"
    per_enterprise_per_year = "per_enterprise_per_year"
    once_per_enterprise = "once_per_enterprise"


class Choice(StrictModel):
    value: str = Field(pattern=SNAKE)
    label: Text
    # Other ways people name this choice; matched exactly after trimming.
    aliases: list[str] = []


class Input(StrictModel):
    name: str = Field(pattern=SNAKE)
    unit: Literal["yuan", "none"]
    kind: Literal["money", "bool", "choice"]
    label: Text
    ask: Text
    required: bool
    default: Any = None
    choices: list[Choice] | None = None
    # Parts of a sum and amounts already received may be 0; the amount paid for may not.
    allow_zero: bool = False
    profile_field: str | None = None

    @field_validator("default")
    @classmethod
    def _money_default_is_decimal(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("kind") == "money":
            return parse_yuan(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Input:
        if (self.kind == "money") != (self.unit == "yuan"):
            raise ValueError(f"{self.name}: money inputs and only they have unit yuan")
        if (self.kind == "choice") != bool(self.choices):
            raise ValueError(f"{self.name}: choices are required for and only for kind choice")
        if self.required and self.default is not None:
            raise ValueError(f"{self.name}: a required input has no default")
        if self.default is not None:
            if self.kind == "choice" and self.default not in self.choice_values:
                raise ValueError(f"{self.name}: default {self.default!r} is not a choice")
            if self.kind == "bool" and not isinstance(self.default, bool):
                raise ValueError(f"{self.name}: default must be true or false")
        if self.profile_field is not None and not _is_profile_attribute(self.profile_field):
            raise ValueError(f"{self.name}: EnterpriseProfile has no {self.profile_field!r}")
        return self

    @property
    def choice_values(self) -> list[str]:
        return [choice.value for choice in self.choices or []]

    def choice(self, value: str) -> Choice:
        return next(choice for choice in self.choices or [] if choice.value == value)


def _is_profile_attribute(name: str) -> bool:
    return name in EnterpriseProfile.model_fields or isinstance(
        getattr(EnterpriseProfile, name, None), property
    )


class Condition(StrictModel):
    """A precondition settled by one bool or choice input."""

    input: str
    expect: bool | None = None
    expect_not_in: list[str] | None = None
    text: Text
    # Why not eligible when the condition fails, as a sentence for the user.
    reason: str

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.expect is None) == (self.expect_not_in is None):
            raise ValueError(f"condition on {self.input}: give exactly one of expect, expect_not_in")
        return self


class Base(StrictModel):
    """What the rate multiplies: one money input, or the sum of its parts."""

    input: str
    parts: list[str] = []
    label: str


class Threshold(StrictModel):
    amount_yuan: Yuan
    # 以上 includes the number itself (Civil Code art. 1259).
    inclusive: bool


class Tier(StrictModel):
    level: str
    amount_yuan: Yuan
    # "不超过N万元": the figure is a ceiling, not a promise.
    up_to: bool = False


class Keywords(StrictModel):
    zh: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)


class Rule(StrictModel):
    id: str = Field(pattern=SNAKE)
    # The policy the rule belongs to: its rulebook's `policy.doc_id`, filled in at load.
    doc_id: str = ""
    title: str
    title_en: str
    # The clause's location label in its policy (三、专项政策（二）); the library checks it exists.
    clause: str = Field(min_length=1)
    quote: str
    calculation: Literal["rate", "tiered", "fixed", "no_figure"]
    inputs: list[Input] = []
    conditions: list[Condition] = []
    base: Base | None = None
    rate: Rate | None = None
    threshold: Threshold | None = None
    amount_yuan: Yuan | None = None
    tiers: list[Tier] | None = None
    tier_input: str | None = None
    previous_tier_input: str | None = None
    deduction_input: str | None = None
    cap_yuan: Yuan | None = None
    cap_scope: Scope | None = None
    cap_consumed_by: str | None = None
    # no_figure only: what the clause does promise, shown in place of a formula.
    explanation: str | None = None
    keywords: Keywords
    notes: list[str] = []

    def input(self, name: str) -> Input:
        return next(item for item in self.inputs if item.name == name)

    @property
    def input_names(self) -> list[str]:
        return [item.name for item in self.inputs]

    def tier(self, level: str) -> Tier:
        return next(tier for tier in self.tiers or [] if tier.level == level)

    def tier_rank(self, level: str) -> int:
        """0 for "none", then 1, 2, ... up the ladder in the order tiers are listed."""
        if level == NO_PREVIOUS_LEVEL:
            return 0
        return 1 + [tier.level for tier in self.tiers or []].index(level)

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if _PINYIN_NOTE.search(self.quote):
            raise ValueError(f"{self.id}: quote still carries a pinyin note")
        names = self.input_names
        if len(set(names)) != len(names):
            raise ValueError(f"{self.id}: duplicate input names")
        needed, optional = KIND_FIELDS[self.calculation]
        for field in SHAPE_FIELDS:
            value = getattr(self, field)
            if field in needed and value is None:
                raise ValueError(f"{self.id}: calculation {self.calculation} needs {field}")
            if field not in needed | optional and value is not None:
                raise ValueError(f"{self.id}: {field} makes no sense for {self.calculation}")
        if (self.cap_yuan is None) != (self.cap_scope is None) and self.calculation != "tiered":
            raise ValueError(f"{self.id}: cap_yuan and cap_scope go together")
        self._check_references()
        return self

    def _check_references(self) -> None:
        def need(name: str | None, kind: str, *, optional: bool = False) -> Input | None:
            if name is None:
                return None
            if name not in self.input_names:
                raise ValueError(f"{self.id}: refers to unknown input {name!r}")
            found = self.input(name)
            if found.kind != kind:
                raise ValueError(f"{self.id}: input {name} must be {kind}")
            if optional and found.required:
                raise ValueError(f"{self.id}: input {name} must be optional")
            return found

        for condition in self.conditions:
            found = need(condition.input, "bool" if condition.expect is not None else "choice")
            for value in condition.expect_not_in or []:
                if found is not None and value not in found.choice_values:
                    raise ValueError(f"{self.id}: {value!r} is not a choice of {condition.input}")
        if self.base is not None:
            need(self.base.input, "money")
            for part in self.base.parts:
                part_input = need(part, "money", optional=True)
                if part_input is not None and not part_input.allow_zero:
                    raise ValueError(f"{self.id}: part {part} must allow zero")
        for name in (self.deduction_input, self.cap_consumed_by):
            amount_input = need(name, "money", optional=True)
            if amount_input is not None and not amount_input.allow_zero:
                raise ValueError(f"{self.id}: {name} must allow zero")
        if self.tiers is not None:
            levels = [tier.level for tier in self.tiers]
            if need(self.tier_input, "choice").choice_values != levels:  # type: ignore[union-attr]
                raise ValueError(f"{self.id}: {self.tier_input} choices must be the tier levels")
            previous = need(self.previous_tier_input, "choice", optional=True)
            if previous is not None:
                if not set(previous.choice_values) <= {NO_PREVIOUS_LEVEL, *levels}:
                    raise ValueError(f"{self.id}: previous tier choices must be none or tiers")
                if previous.default != NO_PREVIOUS_LEVEL:
                    raise ValueError(f"{self.id}: previous tier defaults to {NO_PREVIOUS_LEVEL}")
            if any(tier.up_to for tier in self.tiers) and self.cap_scope is None:
                raise ValueError(f"{self.id}: up-to tiers need a cap_scope")
