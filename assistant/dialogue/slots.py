"""Reading a calculator's inputs out of what the user typed.

Money comes from `amounts.find_amounts`, choices from the labels and aliases the rules
declare, yes/no answers from a short list. Nothing is guessed: what is not found stays missing."""

from __future__ import annotations

import re
from typing import Any

from calculators import Input, Rule

from assistant.understanding.amounts import Amount
from assistant.understanding.text import fold

# An amount labelled like this is money the enterprise already received, not what it spent.
RECEIVED = re.compile(r"拿了|拿到|已获|获得了|已经获得|收到|领了|领到|已享受|享受了|补了|received|got")
# An amount labelled like this is a figure of the subsidy (its cap, its amount), not an input.
# Only a label that ends in the cue counts: "subsidy for 5 million" names the purchase, not the subsidy.
SUBSIDY_FIGURE = re.compile(r"(补贴|补助|资助|奖励|奖金|上限|最高|封顶)(是|为|有|能有)?$|"
                            r"(cap|capped at|cap of|maximum|maximum of|up to|(subsidy|grant) of)$")


def describes_subsidy(amount: Amount) -> bool:
    label = amount.label.lower().strip()
    return bool(SUBSIDY_FIGURE.search(label)) and not RECEIVED.search(label)


# Which of two levels is the one held before and which is the new recognition.
BEFORE = re.compile(r"(已经是|原来是|原先是|之前是|以前是|曾经是|曾是|从)$")
PART_CUES = {"equipment_yuan": ("设备", "equipment", "hardware"), "software_yuan": ("软件", "software")}
# Yes/no facts people state in passing ("我们是小微企业", "不符合国标"), by the profile field
# the rules give each yes/no input. A negation right before the cue makes the fact false.
FACT_CUES = {
    "is_small_micro": re.compile(r"小微|小型企业|微型企业|small|micro"),
    "is_sme": re.compile(r"中小企业|\bsmes?\b"),
    "is_manufacturing": re.compile(r"制造业|制造企业|工业企业|manufactur"),
    "in_project_library": re.compile(r"项目库"),
    "in_block_economy": re.compile(r"块状经济|产业集群"),
    "first_cloud_purchase": re.compile(r"首次|第一次|头一回|first time"),
    "has_third_party_plan": re.compile(r"第三方|third[- ]party"),
    "follows_plan": re.compile(r"按(照)?(该|这个)?方案"),
    "robots_meet_gb_t_12643": re.compile(r"符合(gb/t ?12643|国标|国家标准|标准)"),
    "one_click_cloud_purchase_this_year": re.compile(r"(通过|用|在)“?一键上云”?|one[- ]click"),
    "digital_engineering_recognised": re.compile(r"经认定|已认定|认定为|被认定|recogni[sz]ed"),
    "is_new_industrial_project": re.compile(r"新建(的)?(工业)?项目|new (industrial )?project"),
}
NEGATED = re.compile(r"(不是|不属于|不|非|没有|没|未|并非|尚未|not|no|isn't|aren't)\s*$")


def stated_facts(text: str, fields: set[str] | frozenset[str] | None = None) -> dict[str, bool]:
    folded = fold(text)
    facts: dict[str, bool] = {}
    for field, cue in FACT_CUES.items():
        if fields is not None and field not in fields:
            continue
        match = cue.search(folded)
        if match:
            facts[field] = not NEGATED.search(folded[max(0, match.start() - 5):match.start()])
    return facts


def bool_inputs(rule: Rule, text: str) -> dict[str, bool]:
    by_field = {spec.profile_field: spec.name for spec in rule.inputs
                if spec.kind == "bool" and spec.profile_field}
    return {by_field[field]: value for field, value in stated_facts(text, set(by_field)).items()}


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
    # An unlabelled amount beside labelled parts is the total ("项目500万，其中软件100万").
    main = next((s for s in specs if s.required), None)
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
