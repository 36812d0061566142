"""The conversation's frame for money: per item, every figure the caller gave in any turn, with
the input it fills, and the operation its turn applied (set, correct, add, remove). The amount is
always recomputed from the frame, so "再加20万软件", "不对，应该是250万" and a part given in a
later turn change the figures already given instead of replacing the calculation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.language.text import Script
from assistant.language.wording import wording
from assistant.outcomes import Calculated
from assistant.understanding.question import Operation
from calculators import Rule, compute, format_yuan
from calculators.models import NO_PREVIOUS_LEVEL


class Term(BaseModel):
    """One figure as it entered the frame, with the turn that gave it."""

    model_config = ConfigDict(extra="forbid")

    value: Decimal
    turn: int
    # Units at one price ("六台，每台45万"): the count, so the formula shows 6 × 45万元.
    count: int | None = None

    def shown(self) -> str:
        if self.count:
            return f"{self.count} × {format_yuan(self.value / self.count)}"
        return format_yuan(self.value)


class ItemFrame(BaseModel):
    """What the caller said for one item: money inputs as lists of terms (summed), other inputs
    (levels, yes/no conditions) as values."""

    model_config = ConfigDict(extra="forbid")

    money: dict[str, list[Term]] = Field(default_factory=dict)
    values: dict[str, Any] = Field(default_factory=dict)
    # Figures set aside because the policy's base counts only the parts (a budget that includes
    # the building, "其中设备320万、软件80万"): shown in the formula, not computed with.
    set_aside: list[Decimal] = Field(default_factory=list)
    # Costs said beside the parts that are neither ("厂房装修40万", "调试费5万"): shown, not computed with.
    left_out: list[Decimal] = Field(default_factory=list)

    def total(self, name: str) -> Decimal:
        return sum((term.value for term in self.money.get(name, [])), Decimal(0))

    def inputs(self) -> dict[str, Any]:
        """Calculator inputs: each money input the sum of its terms, then the other values."""
        return {**{name: str(self.total(name)) for name, terms in self.money.items() if terms}, **self.values}

    def apply(self, rule: Rule, name: str, operation: Operation, term: Term) -> None:
        """One figure for input `name`, by its operation. A part added to a project whose total
        alone is known adds to the total ("总投资190万" … "再加20万软件" → 210万)."""
        base = rule.base.input if rule.base else None
        parts = set(rule.base.parts) if rule.base and rule.base.parts else set()
        if operation is Operation.ADD and name in parts and name not in self.money and base in self.money:
            name = base
        if operation is Operation.ADD and name == base and base not in self.money \
                and any(part in self.money for part in parts):
            # "再加一套15万的传感器": the parts said so far and the new figure make the total.
            self.money[base] = [t for part in sorted(parts) for t in self.money.pop(part, [])]
        if operation is Operation.REMOVE:
            self._remove(name, term, base)
            return
        if operation is Operation.ADD and self.money.get(name):
            self.money[name].append(term)
            return
        self.money[name] = [term]
        given_now = bool(parts) and all(any(t.turn == term.turn for t in self.money.get(p, [])) for p in parts)
        if name == base and not given_now:
            for part in parts:  # a new total stands for the parts said before it
                self.money.pop(part, None)
        elif name in parts and base in self.money and all(p in self.money for p in parts):
            earlier = all(t.turn < term.turn for t in self.money[base])
            if earlier:  # every part given now: they make the total, an older total goes
                self.money.pop(base)

    def recount(self, count: int, operation: Operation, turn: int) -> bool:
        """A new count for the units last priced ("不对，是5台" → 5 × the unit price; "再多买2套" → 2 more
        at that price). False when no figure of this frame was given as a count."""
        counted = [(name, index) for name, terms in self.money.items()
                   for index, term in enumerate(terms) if term.count]
        if not counted:
            return False
        name, index = max(counted, key=lambda found: self.money[found[0]][found[1]].turn)
        last = self.money[name][index]
        unit = last.value / (last.count or 1)
        if operation is Operation.ADD:
            self.money[name].append(Term(value=unit * count, turn=turn, count=count))
        else:
            self.money[name][index] = Term(value=unit * count, turn=turn, count=count)
        return True

    def keep_parts(self, rule: Rule) -> None:
        """Every part given beside a larger whole ("总预算500万，其中设备320万、软件80万，剩下是装修"):
        the policy's base is the parts alone (实际投资额（设备、软件投入）), so the whole is set
        aside. A whole smaller than its parts contradicts them and stays for the calculator to
        report."""
        base = rule.base.input if rule.base else None
        parts = rule.base.parts if rule.base and rule.base.parts else []
        if not base or base not in self.money or not parts or not all(p in self.money for p in parts):
            return
        whole, summed = self.total(base), sum((self.total(p) for p in parts), Decimal(0))
        if whole == summed:
            self.money.pop(base)  # the whole and its parts said together: the same money
        elif whole > summed:
            self.set_aside = [t.value for t in self.money.pop(base)]

    def _remove(self, name: str, term: Term, base: str | None) -> None:
        """Takes out a figure given before: the term of that value, else its amount from the input."""
        for where in [name, *(n for n in self.money if n != name)]:
            terms = self.money.get(where, [])
            match = next((t for t in terms if t.value == term.value), None)
            if match is not None:
                terms.remove(match)
                if not terms:
                    self.money.pop(where)
                return
        target = name if name in self.money else base
        if target and target in self.money:
            self.money[target].append(term.model_copy(update={"value": -term.value}))

    def sums(self, rule: Rule) -> list[str]:
        """"实际投资额 = 190万元 + 20万元 = 210万元", "购置款 = 6 × 45万元 = 270万元": every money input
        made of several figures or of units at one price."""
        lines = []
        for name, terms in self.money.items():
            if len(terms) < 2 and not any(t.count for t in terms):
                continue
            label = rule.input(name).label.zh
            added = " + ".join(t.shown() for t in terms).replace("+ -", "− ")
            lines.append(f"{label} = {added} = {format_yuan(self.total(name))}")
        if self.set_aside and rule.base:
            parts = "、".join(rule.input(part).label.zh for part in rule.base.parts or [])
            aside = "、".join(format_yuan(value) for value in self.set_aside)
            lines.append(f"{aside}含{parts}以外的费用，不计入；按{parts}之和计算")
        if self.left_out and rule.base:
            parts = "、".join(rule.input(part).label.zh for part in rule.base.parts or [])
            left = "、".join(format_yuan(value) for value in self.left_out)
            lines.append(f"另有{left}不属于{parts}，不计入")
        return lines


class LastCalculation(BaseModel):
    """What the last calculation computed, so "怎么算出来的" shows it again."""

    model_config = ConfigDict(extra="forbid")

    items: list[str] = Field(default_factory=list)
    # Several items were asked together: the reply gives their sum.
    total: bool = False
    # The amounts it gave, so "那这个20万是怎么算的" reads 20万 as one of them, not as money spent.
    amounts: list[Decimal] = Field(default_factory=list)


def rule_id(key: str) -> str:
    """The item of a frame key: "factory_iot#2" is the second factory-IoT project of a message."""
    return key.split("#", 1)[0]


def held_text(rule: Rule, frame: ItemFrame | None, before: ItemFrame | None, script: Script) -> str:
    """"已记下（之后计算本项时使用）：此前已享受补助的档次：市级“数字化车间”。": what this turn added
    of the level paid before and the money received, so the caller sees it will be subtracted."""
    if frame is None:
        return ""
    english = script is Script.ENGLISH
    say = wording(script)
    noted = []
    previous = rule.previous_tier_input
    if previous and frame.values.get(previous) is not None and (before is None or before.values.get(previous)
                                                                != frame.values[previous]):
        spec = rule.input(previous)
        label = spec.choice(frame.values[previous]).label
        noted.append(say("noted.choice", label=spec.label.en if english else spec.label.zh,
                         value=label.en if english else label.zh))
    for name in (rule.deduction_input, rule.cap_consumed_by):
        if not name or name not in frame.money or (before is not None and before.money.get(name) == frame.money[name]):
            continue
        spec, value = rule.input(name), frame.total(name)
        noted.append(say("noted.money", label=spec.label.en if english else spec.label.zh,
                         amount=f"{value:,.2f} yuan" if english else format_yuan(value)))
    return say("noted.line", noted=say.join(noted, "noted.separator")) if noted else ""


def with_level_held(outcome: Calculated, rule: Rule, frame: ItemFrame) -> Calculated:
    """"市级…晋级省级还能再拿多少？两次加起来一共多少？": the difference paid on moving up, with the
    amount of the level held before, and their sum."""
    held = frame.values.get(rule.previous_tier_input or "")
    if len(outcome.calculations) != 1 or held in {None, NO_PREVIOUS_LEVEL} or not rule.tier_input:
        return outcome
    earlier = compute(rule, {rule.tier_input: held})
    return Calculated((rule.id, rule.id), (earlier, outcome.calculations[0]), total=True)
