"""What a conversation remembers between turns, typed. Stored per session (storage/sessions.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.dialogue.frame import ItemFrame, LastCalculation
from assistant.language.text import Script

# Bumped whenever the stored state changes shape; a state of another version does not
# validate, so storage/sessions.py starts that conversation afresh.
STATE_VERSION = 5


class Topic(BaseModel):
    """What the conversation is about: the item, clause and document last talked about."""

    model_config = ConfigDict(extra="forbid")

    item: str | None = None
    clause: str | None = None  # location, e.g. 三、专项政策（二）
    doc_id: str | None = None
    # What the last answered question asked (Asked values): "那到什么时候截止" after the policy's
    # start date asks for its end, not for an application deadline.
    asked: list[str] = Field(default_factory=list)
    # The one level the last answered question was about ("市级数字化车间能拿多少"): "后来又升成
    # 智能工厂，还能再拿多少" moves up from it, and the difference is paid.
    level: str | None = None


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
    # kind "item": one amount with no part named ("投了500万"), for the chosen item's money input.
    amount: str | None = None
    question: str


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
    # Per item, every figure, level and condition the caller gave in any turn (dialogue/frame.py):
    # what it spent or earned, the level it is recognised at now and was paid for before, money
    # already received.
    frames: dict[str, ItemFrame] = Field(default_factory=dict)
    # What the last calculation computed, for "怎么算出来的".
    last_calculation: LastCalculation = Field(default_factory=LastCalculation)
    # Yes/no facts the enterprise stated about itself in this conversation.
    facts: dict[str, bool] = Field(default_factory=dict)
    checkup: CheckupState = Field(default_factory=CheckupState)
    language: Script = Script.SIMPLIFIED
    # The library policy the caller last named (corpus/routing.py): later turns stay on it.
    policy: str | None = None
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
