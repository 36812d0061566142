"""What a conversation remembers between turns, typed. Stored per session (storage/sessions.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.understanding.text import Script

# Bumped whenever the stored state changes shape; a state of another version does not
# validate, so storage/sessions.py starts that conversation afresh.
STATE_VERSION = 3


class Topic(BaseModel):
    """What the conversation is about: the item, clause and document last talked about."""

    model_config = ConfigDict(extra="forbid")

    item: str | None = None
    clause: str | None = None  # location, e.g. 三、专项政策（二）
    doc_id: str | None = None


class PendingInput(BaseModel):
    """A question the assistant asked back and is waiting for."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["input", "item"] = "input"
    # kind "input": the item and the input asked for, with the inputs known so far.
    item: str | None = None
    asking: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    # kind "item": the figures were given but the item is unclear; these could be meant.
    candidates: list[str] = Field(default_factory=list)
    question: str


class Held(BaseModel):
    """What the enterprise said it already holds or received for one item, used by later
    calculations of that item only. A new statement replaces the old one, field by field."""

    model_config = ConfigDict(extra="forbid")

    # The level already paid for (the rule's previous_tier_input: 按进档差额执行), "none" when
    # the enterprise said it had none.
    previous_tier: str | None = None
    # Money already received, by the rule's input for it: the province's and city's money for
    # this recognition (deduction_input, 含省市补助) or what the cap already paid (cap_consumed_by).
    received_yuan: dict[str, Decimal] = Field(default_factory=dict)


class CheckupState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool = False
    # EnterpriseProfile fields stated so far; money as text of exact Decimals.
    profile: dict[str, Any] = Field(default_factory=dict)


class ConversationState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = STATE_VERSION
    topic: Topic = Field(default_factory=Topic)
    pending: PendingInput | None = None
    # What the enterprise already holds or received, by item id.
    held: dict[str, Held] = Field(default_factory=dict)
    # The level the enterprise says it is now recognised at, by item id ("刚被认定为市级智能工厂").
    levels: dict[str, str] = Field(default_factory=dict)
    # Yes/no facts the enterprise stated about itself in this conversation.
    facts: dict[str, bool] = Field(default_factory=dict)
    checkup: CheckupState = Field(default_factory=CheckupState)
    language: Script = Script.SIMPLIFIED
    turns: int = 0
    # The last few questions asked (Question.text), kept only when a language model answers:
    # it rewrites a follow-up into a standalone question from them (integrations/llm).
    recent_questions: list[str] = Field(default_factory=list, max_length=8)

    @field_validator("version")
    @classmethod
    def _this_version(cls, version: int) -> int:
        if version != STATE_VERSION:
            raise ValueError(f"a version {version} state; this code keeps version {STATE_VERSION}")
        return version
