"""Reading a calculator's inputs out of what the user typed.

Money comes from `amounts.find_amounts`, choices from the labels and aliases the rules
declare, yes/no answers from a short list. Nothing is guessed: what is not found stays missing."""

from __future__ import annotations

import re
from typing import Any

from calculators import Input, Rule

from assistant.amounts import Amount
from assistant.text import fold

# An amount labelled like this is money the enterprise already received, not what it spent.
RECEIVED = re.compile(r"拿了|拿到|已获|获得了|已经获得|收到|领了|领到|已享受|享受了|补了|received|got")
# Which of two levels is the one held before and which is the new recognition.
BEFORE = re.compile(r"(已经是|原来是|原先是|之前是|以前是|曾经是|曾是|从)$")
PART_CUES = {"equipment_yuan": ("设备", "equipment", "hardware"), "software_yuan": ("软件", "software")}
YES = re.compile(r"^(是|是的|对|有|符合|已经|yes|yeah|yep|correct)\b|^(是|对|有)")
NO = re.compile(r"^(否|不是|没有|不|无|未|no|nope|not)\b|^(不|没|无|否)")


def _money_inputs(rule: Rule) -> list[Input]:
    return [spec for spec in rule.inputs if spec.kind == "money"]


def _names(choice) -> list[str]:
    return sorted({fold(n) for n in (choice.label.zh, choice.value, *choice.aliases)
                   if n and n != "none"}, key=len, reverse=True)


def find_choices(spec: Input, text: str) -> list[tuple[int, str]]:
    """(position, choice value) for every choice named in the text, longest names first."""
    folded = fold(text)
    found: list[tuple[int, str]] = []
    taken: list[range] = []
    for choice in spec.choices or []:
        for name in _names(choice):
            start = folded.find(name)
            if start >= 0 and not any(start in span for span in taken):
                found.append((start, choice.value))
                taken.append(range(start, start + len(name)))
                break
    return sorted(found)


def choice_inputs(rule: Rule, text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    tier = rule.tier_input
    previous = rule.previous_tier_input
    for spec in rule.inputs:
        if spec.kind != "choice" or spec.name == previous:
            continue
        named = find_choices(spec, text)
        if not named:
            continue
        if spec.name == tier and previous and len(named) >= 2:
            folded = fold(text)
            before = [value for position, value in named if BEFORE.search(folded[max(0, position - 6):position])]
            earlier = before[0] if before else named[0][1]
            values[previous] = earlier
            values[spec.name] = next(value for _, value in named if value != earlier)
        else:
            values[spec.name] = named[-1][1]
    return values


def money_inputs(rule: Rule, amounts: list[Amount], has_previous_tier: bool) -> dict[str, Any]:
    """Assign each amount to one money input by its label; the rest go to the main amount."""
    specs = _money_inputs(rule)
    values: dict[str, Any] = {}
    leftovers: list[Amount] = []
    received_spec = next((s for s in specs if s.name == rule.deduction_input or s.name == rule.cap_consumed_by), None)
    for amount in amounts:
        label = amount.label.lower()
        part = next((name for name, cues in PART_CUES.items()
                     if rule.base and name in rule.base.parts and any(cue in label for cue in cues)), None)
        if part:
            values[part] = amount.value_yuan
        elif RECEIVED.search(label):
            # Money received for a lower tier is what "进档差额" already subtracts; count it once.
            if received_spec and not has_previous_tier:
                values[received_spec.name] = amount.value_yuan
        else:
            leftovers.append(amount)
    main = next((s for s in specs if s.required), None)
    if rule.base and rule.base.parts and any(p in values for p in rule.base.parts):
        main = None
    if main and leftovers:
        values[main.name] = leftovers[0].value_yuan
    return values


def fill_answer(spec: Input, text: str, amounts: list[Amount]) -> Any:
    """The value a short follow-up answer gives for the input that was asked, or None."""
    if spec.kind == "money":
        return amounts[0].value_yuan if len({a.value_yuan for a in amounts}) == 1 else None
    if spec.kind == "choice":
        named = find_choices(spec, text)
        return named[-1][1] if named else None
    folded = fold(text)
    if NO.search(folded):
        return False
    if YES.search(folded):
        return True
    return None
