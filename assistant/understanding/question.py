"""The Question: everything later steps need to know about one message, built once per turn.

Nothing downstream of `understand` reads the raw message again; it reads these fields."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from assistant.language.text import Script


class Asked(StrEnum):
    """The kind of information a question wants (corpus/vocabulary/cues.yaml, `asked`)."""

    AMOUNT = "amount"
    RATE = "rate"
    CAP = "cap"
    THRESHOLD = "threshold"
    CONDITION = "condition"
    DATE = "date"
    VALIDITY = "validity"
    DEPARTMENT = "department"
    PROCEDURE = "procedure"
    MATERIALS = "materials"
    DEADLINE = "deadline"
    CONTACT = "contact"
    TAX = "tax"
    PAYMENT = "payment"  # when or how the money is paid out
    CLAWBACK = "clawback"  # when money received must be paid back
    COUNT = "count"  # how many (the goals count enterprises, factories, platforms)
    STACKING = "stacking"  # whether two items can both be had
    OTHER_POLICY = "other_policy"  # a successor or new round of the policy
    REPEAL = "repeal"  # the document it replaces
    ISSUER = "issuer"  # who issued and adopted it
    LIBRARY = "library"  # which policies the library holds: all, in force, on a subject
    LIST = "list"
    OTHER = "other"


class Intent(StrEnum):
    REFUSE = "refuse"  # an instruction the assistant will not follow
    CHECKUP = "checkup"  # which items the enterprise qualifies for (政策体检)
    CALCULATE = "calculate"  # work out an item's amount
    ANSWER_PENDING = "answer_pending"  # the answer to the question the assistant asked back
    EXPLAIN = "explain"  # how the last calculation was made ("怎么算出来的")
    ASK = "ask"  # a question for the policy text


class FigureRole(StrEnum):
    INPUT = "input"  # money the enterprise spent or earned: a calculator input
    RECEIVED = "received"  # money already received ("已获100万")
    SUBSIDY = "subsidy"  # a figure of the subsidy itself ("补贴最高100万吗")


class Operation(StrEnum):
    """What a figure does to the figures given before for its input (dialogue/frame.py)."""

    SET = "set"  # a figure for an input: replaces what the input held
    CORRECT = "correct"  # "不对，应该是…", "说错了": replaces it, said as a correction
    ADD = "add"  # "再加…", "还有一笔…没算进去": adds to it
    REMOVE = "remove"  # "去掉…", "…不算": takes a figure out again


class Figure(BaseModel):
    """One amount of money in the message, with the words before it."""

    model_config = ConfigDict(frozen=True)

    value_yuan: Decimal
    raw: str
    start: int
    end: int
    label: str
    unit_missing: bool = False
    role: FigureRole = FigureRole.INPUT
    # Which part of a project's investment the label names (equipment_yuan, software_yuan), or
    # the projects' investment itself (investment_yuan) when the words name both parts.
    part: str | None = None
    # The words call it a total (合计, 总投资, in total): the item's whole base, not a part.
    total: bool = False
    operation: Operation = Operation.SET
    # A price per unit times a count ("六台…每台45万"): the count; value_yuan is the product.
    count: int | None = None
    # Said as part of a figure given before ("其中厂房改造30万").
    share: bool = False
    # Spent on what a project's base leaves out ("厂房装修又花了150万"): shown, never computed with.
    outside_base: bool = False
    # A total of the figures just before it, said again ("设备120万、软件80万，合计200万").
    restates: bool = False


class LevelMention(BaseModel):
    """A certification level named, as a choice of an item's level input."""

    model_config = ConfigDict(frozen=True)

    item: str
    input: str
    value: str
    # Place on the item's ladder: 1 for the lowest level (calculators Rule.tier_rank).
    tier: int
    position: int
    # Named as the level held before ("原来是市级"), not the new one.
    earlier: bool = False


class Segment(BaseModel):
    """One clause of the message (split at ，。；!?), so each amount stays with its item."""

    model_config = ConfigDict(frozen=True)

    text: str  # folded
    items: list[str]
    figures: list[Figure]
    facts: dict[str, bool]


class Entities(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[str] = Field(default_factory=list)  # subsidy items named, best first
    facts: dict[str, bool] = Field(default_factory=dict)  # enterprise facts stated (profile field)
    levels: list[LevelMention] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)  # every place named
    foreign_places: list[str] = Field(default_factory=list)  # places outside the policy's area
    years: list[int] = Field(default_factory=list)
    other_policies: list[str] = Field(default_factory=list)  # 《…》 titles and 〔year〕N号 numbers
    # The caller says the item named was already paid to the enterprise ("之前已经拿过一次了").
    had_item_before: bool = False


class Question(BaseModel):
    model_config = ConfigDict(frozen=True)

    script: Script
    text: str  # Simplified, half-width, lower case, single spaces
    search_text: str  # text with the policy's typo corrections and callers' words added
    # Sound-alike slips repaired in `text`: (as typed, the policy's term), e.g. ("机器仁", "机器人").
    corrections: list[tuple[str, str]] = Field(default_factory=list)
    figures: list[Figure]
    # Something typed as money that could not be read as one amount ("300万-500万").
    unread_figure: str | None = None
    segments: list[Segment]
    entities: Entities
    asked: list[Asked]
    intent: Intent
    refusal: str | None = None  # the refusal rule that matched
    # The message names no topic of its own and continues the conversation's topic.
    follow_up: bool = False
    # The item the turn is about: named, or carried over from the topic for a follow-up.
    item: str | None = None
    # Money the question names that the policy never sets ("房租补贴", "贴息"): policy_map.py.
    unstated_money: list[str] = Field(default_factory=list)
    # A yes/no rule question ("二手设备算不算"): the words it turns on that the policy never uses.
    unmentioned: list[str] = Field(default_factory=list)
    # Kinds the policy names beside a paid ladder but pays nothing for ("聚能工厂"), with that
    # ladder's clause.
    unpaid_levels: dict[str, str] = Field(default_factory=dict)
    # The enterprise speaks of its own purchase, project or recognition ("我们去年评上了…").
    own_case: bool = False
    # The question asks what no provision decides (one enterprise's chances, legal or investment advice).
    outside_policy: bool = False
    # The clause that asks is itself such a question ("…投了三千万…你说我们评上的概率有多大"): the
    # figures around it are the caller's account, not inputs to compute.
    outside_asked: bool = False
    # Search texts of the questions asked one after another in the message, when there are several.
    parts: list[str] = Field(default_factory=list)
    # A count of units said with no money ("不对，是5台"), with what it does to the count before.
    count_said: tuple[int, Operation] | None = None
    # What is asked was carried from the turn before ("数字化车间呢？" after "…培育多少家？").
    carried: bool = False
    # The same questions as the caller put them (folded), each to be read on its own.
    questions: list[str] = Field(default_factory=list)
    # The library's policies, the one the message is about first (corpus/routing.py).
    policies: tuple[str, ...] = ()

    @property
    def input_figures(self) -> list[Figure]:
        """Figures that can be calculator inputs: not a figure of the subsidy, not a bare
        number among others."""
        usable = [f for f in self.figures if f.role is not FigureRole.SUBSIDY and not f.restates]
        # A bare 0 for a part ("软件是0") needs no unit: zero yuan is zero of anything.
        return [f for f in usable if not f.unit_missing or len(self.figures) == 1 or (f.part and f.value_yuan == 0)]
