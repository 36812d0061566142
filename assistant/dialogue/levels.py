"""The level of an item's ladder a message states, read beside what the conversation knows: a
bare level in a follow-up, the level asked about before, the level held before a higher one."""

from __future__ import annotations

from typing import Any

from assistant.dialogue.frame import ItemFrame
from assistant.dialogue.state import Topic
from assistant.understanding.question import Question
from calculators import Rule


def settle(rule: Rule, stated: dict[str, Any], question: Question, frame: ItemFrame, topic: Topic,
           tier_change: bool) -> None:
    """Completes `stated` (the inputs read from the message) with the item's level and the level
    held before; money received for a level this conversation knew is dropped when a higher one
    is reached, as the difference already counts it. `tier_change`: the message speaks of moving
    up ("升", "晋级")."""
    if len(question.entities.items) >= 2 and (rule.previous_tier_input or "") not in stated:
        stated.pop(rule.tier_input or "", None)  # each item's level is the one its own words carry
    if rule.tier_input and rule.tier_input not in stated and (rule.previous_tier_input or "") not in stated:
        # A bare level in a follow-up ("那升到省级呢", "以前拿过省级的") on this item's ladder.
        for level in question.entities.levels:
            if level.item == rule.id:
                held_before = level.earlier and rule.previous_tier_input
                stated[rule.previous_tier_input if held_before and rule.previous_tier_input
                       else rule.tier_input] = level.value
    held = frame.values.get(rule.tier_input or "")
    asked_level = topic.level if topic.item == rule.id else None
    previous = stated.get(rule.previous_tier_input or "")
    if rule.tier_input and rule.tier_input not in stated and held is None and asked_level and previous:
        if rule.tier_rank(asked_level) > rule.tier_rank(previous):
            # "省级上云标杆奖励多少" … "我们之前拿过市级的，晋级后还能拿多少": the level asked
            # about is the one reached.
            stated[rule.tier_input] = asked_level
    elif held is None and tier_change:
        held = asked_level  # "后来又升成智能工厂" after a question about 数字化车间
    now = stated.get(rule.tier_input or "")
    if (rule.previous_tier_input and held and now and rule.previous_tier_input not in stated
            and rule.tier_rank(now) > rule.tier_rank(held)):
        # A higher level than the one this conversation knew: that one is the level paid before
        # ("去年评上市级上云标杆…" … "今年升到省级了"), and money said to be received for it
        # belonged to that recognition, which the difference already counts.
        stated[rule.previous_tier_input] = held
        if rule.deduction_input:
            frame.money.pop(rule.deduction_input, None)
