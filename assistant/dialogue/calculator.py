"""Calculator turns: pick the item, read its inputs from the Question, ask for what is
missing, compute.

The conversation state keeps the question asked back (`pending`) until it is answered, and
the topic, so "那如果是500万呢" continues where the user was."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from assistant.dialogue import slots
from assistant.dialogue.state import ConversationState, Held, PendingInput
from assistant.outcomes import Calculated, CalculatorOutcome, InputError, NeedsInput
from assistant.understanding.entities import answer_value
from assistant.understanding.question import Figure, Intent, Question
from assistant.understanding.text import Script
from assistant.understanding.vocabulary import Vocabulary
from calculators import CalculatorError, Rule, RuleBook, compute, format_yuan, missing_inputs
from calculators.inputs import normalize_value
from calculators.models import NO_PREVIOUS_LEVEL
from calculators.reading import AmountError, validate_amount


class CalculatorDialogue:
    def __init__(self, rulebook: RuleBook, vocabulary: Vocabulary) -> None:
        self.rulebook = rulebook
        self.rules = {rule.id: rule for rule in rulebook.rules}
        self.vocabulary = vocabulary

    def turn(self, question: Question, state: ConversationState) -> CalculatorOutcome:
        """A CALCULATE or ANSWER_PENDING turn. When it asks back, it first says what it noted
        the enterprise already holds or received, so the caller sees it will be subtracted."""
        held_before = {item: held.model_copy(deep=True) for item, held in state.held.items()}
        outcome = self._turn(question, state)
        if isinstance(outcome, NeedsInput) and not outcome.choosing_item:
            held = state.held.get(outcome.items[0])
            if held is not None and held != held_before.get(outcome.items[0]):
                note = _held_text(self.rules[outcome.items[0]], held, question.script)
                outcome = replace(outcome, preface=" ".join(p for p in (outcome.preface, note) if p))
        return outcome

    def _turn(self, question: Question, state: ConversationState) -> CalculatorOutcome:
        facts = {**state.facts, **question.entities.facts}
        if question.intent is Intent.ANSWER_PENDING and state.pending is not None:
            return self._continue(question, state, state.pending, facts)
        state.pending = None
        if question.item is None:
            return self._ask_which_project(question, state)
        each = self._each_item_its_figures(question, facts)
        if each is not None:
            return each
        outcome = self._start(question, state, question.item, facts)
        if question.unread_figure and isinstance(outcome, NeedsInput):
            # A figure was typed but could not be read ("abc万", "300万-500万"): say so, then ask.
            english = question.script is Script.ENGLISH
            preface = (f"I could not read “{question.unread_figure}” as one amount." if english
                       else f"没能把“{question.unread_figure}”读成一个确定的金额。")
            outcome = NeedsInput(outcome.items, outcome.follow_up, preface=preface)
        return outcome

    def overlapping(self, item: str) -> list[str]:
        for overlap in self.rulebook.overlaps:
            if item in overlap.items and overlap.assess_together:
                return list(overlap.items)
        return [item]

    def _read(self, item: str, question: Question, facts: dict[str, bool], state: ConversationState,
              fill: str | None = None) -> dict[str, Any]:
        """The inputs of `item` this message states; what it says the enterprise already holds
        or received is remembered for the item's later calculations."""
        rule = self.rules[item]
        held = state.held.get(item)
        stated = slots.read_inputs(
            rule, question.text, question.input_figures, facts, self.vocabulary, segments=question.segments,
            previous_tier_known=bool(held and held.previous_tier not in {None, NO_PREVIOUS_LEVEL}), fill=fill)
        self._remember_held(state, rule, stated)
        return stated

    @staticmethod
    def _remember_held(state: ConversationState, rule: Rule, stated: dict[str, Any]) -> None:
        """Keeps the level paid for before and the money received that this message states;
        a value the calculator would refuse (a negative amount) is reported, never kept."""
        tier = rule.input(rule.previous_tier_input) if rule.previous_tier_input else None
        try:
            previous = normalize_value(tier, stated.get(tier.name)) if tier else None
            received = {name: normalize_value(rule.input(name), stated[name])
                        for name in (rule.deduction_input, rule.cap_consumed_by) if name and name in stated}
        except CalculatorError:
            return
        received = {name: value for name, value in received.items() if value is not None}
        if previous is None and not received:
            return
        held = state.held.setdefault(rule.id, Held())
        if previous is not None:
            held.previous_tier = previous
        held.received_yuan.update(received)

    @staticmethod
    def _held_inputs(state: ConversationState, rule: Rule) -> dict[str, Any]:
        """What the enterprise said earlier that it holds or received for this item, as inputs."""
        held = state.held.get(rule.id)
        if held is None:
            return {}
        inputs: dict[str, Any] = {name: str(value) for name, value in held.received_yuan.items()}
        if rule.previous_tier_input and held.previous_tier is not None:
            inputs[rule.previous_tier_input] = held.previous_tier
        return inputs

    def _start(self, question: Question, state: ConversationState, item: str,
               facts: dict[str, bool]) -> CalculatorOutcome:
        problem = self._invalid_amount(question.input_figures, question.script, item)
        if problem:
            return problem
        group = self.overlapping(item)
        inputs = {other: self._read(other, question, facts, state) for other in group}
        for other in group:
            # A level stated in an earlier turn still holds ("刚被认定为市级智能工厂" … "之前拿过80万了").
            tier = self.rules[other].tier_input
            if tier and tier not in inputs[other] and other in state.levels:
                inputs[other][tier] = state.levels[other]
            elif tier and tier in inputs[other]:
                state.levels[other] = inputs[other][tier]
        # Of items assessed together, lead with one the message gives every input for.
        complete = [other for other in group if _complete(self.rules[other], inputs[other])]
        lead = item if item in complete or not complete else complete[0]
        state.topic.item = lead
        return self._compute_or_ask(state, lead, inputs[lead], question.script, others=inputs)

    def _continue(self, question: Question, state: ConversationState, pending: PendingInput,
                  facts: dict[str, bool]) -> CalculatorOutcome:
        if pending.kind == "item":
            item = next(i for i in question.entities.items if i in pending.candidates)
            inputs = {**pending.inputs, **self._read(item, question, facts, state)}
            state.topic.item = item
            return self._compute_or_ask(state, item, inputs, question.script)
        assert pending.item and pending.asking
        rule = self.rules[pending.item]
        asked = rule.input(pending.asking)
        if asked.kind == "money":
            problem = self._invalid_amount(question.input_figures, question.script, rule.id, pending.question)
            if problem:
                return problem
            if not (rule.base and rule.base.parts) and any(f.part for f in question.input_figures):
                # "设备和软件一共350万" answers no robot question: it belongs to a project item.
                return self._ask_which_project(question, state)
            # An unlabelled amount answers the question; a labelled one goes where its label says
            # ("设备300万，软件100万", "合计400万" when one part was asked).
            stated = self._read(rule.id, question, facts, state, fill=asked.name)
        else:
            stated = self._read(rule.id, question, facts, state)
            # The one level named as held before ("之前是数字化车间") does not answer "which level now".
            moved = asked.name == rule.tier_input and (rule.previous_tier_input or "") in stated
            if asked.kind == "bool" or (asked.name not in stated and not moved):
                stated[asked.name] = answer_value(asked, question)
        inputs = {**pending.inputs, **{k: v for k, v in stated.items() if v is not None}}
        return self._compute_or_ask(state, rule.id, inputs, question.script)

    def _each_item_its_figures(self, question: Question, facts: dict[str, bool]) -> Calculated | None:
        """"买机器人花了260万，另外工厂物联网项目投了80万，两项分别能补多少": several items, each named
        with its own figures in its own clause, each computed from those figures alone."""
        groups: dict[str, list] = {}
        for segment in question.segments:
            figures = [f for f in segment.figures if f in question.input_figures]
            if segment.items and figures:
                groups.setdefault(segment.items[0], []).extend(figures)
        if len(groups) < 2:
            return None
        calculations = []
        for item, figures in groups.items():
            inputs = slots.read_inputs(self.rules[item], question.text, figures, facts, self.vocabulary)
            try:
                if not missing_inputs(item, inputs):
                    calculations.append(compute(item, inputs))
            except CalculatorError:
                return None
        if len(calculations) < 2:
            return None
        return Calculated(tuple(c.item for c in calculations), tuple(calculations))

    def _ask_which_project(self, question: Question, state: ConversationState) -> CalculatorOutcome:
        """Equipment and software figures with no project named: they belong to one of the
        project items, whose rates differ, so ask which."""
        candidates = [rule for rule in self.rulebook.rules if rule.base and rule.base.parts]
        problem = self._invalid_amount(question.input_figures, question.script, candidates[0].id)
        if problem:
            return problem
        parts = {f.part: str(f.value_yuan) for f in question.input_figures if f.part}
        english = question.script is Script.ENGLISH
        titles = [rule.title_en if english else rule.title for rule in candidates]
        asked = (f"Which project are these figures for: {' or '.join(titles)}?" if english
                 else f"这些设备、软件投入属于哪类项目：{'还是'.join(titles)}？")
        state.pending = PendingInput(kind="item", candidates=[rule.id for rule in candidates],
                                     inputs=parts, question=asked)
        return NeedsInput(tuple(rule.id for rule in candidates), asked, choosing_item=True)

    def _compute_or_ask(self, state: ConversationState, item: str, inputs: dict[str, Any], script: Script,
                        others: dict[str, dict[str, Any]] | None = None) -> CalculatorOutcome:
        state.pending = None
        inputs = {**self._held_inputs(state, self.rules[item]), **inputs}
        others = {other: {**self._held_inputs(state, self.rules[other]), **given}
                  for other, given in (others or {}).items()}
        try:
            missing = missing_inputs(item, inputs)
        except CalculatorError as exc:
            return InputError(exc.code, str(exc), (item,))
        if missing:
            question = missing[0].ask.en if script is Script.ENGLISH else missing[0].ask.zh
            kept = {k: str(v) if isinstance(v, Decimal) else v for k, v in inputs.items()}
            state.pending = PendingInput(item=item, asking=missing[0].name, question=question, inputs=kept)
            return NeedsInput((item,), question)
        calculations = []
        for other in self.overlapping(item):
            given = inputs if other == item else others.get(other, {})
            try:
                if other == item or not missing_inputs(other, given):
                    calculations.append(compute(other, given))
            except CalculatorError as exc:
                if other == item:
                    return InputError(exc.code, str(exc), (item,))
        return Calculated(tuple(c.item for c in calculations), tuple(calculations))

    @staticmethod
    def _invalid_amount(figures: list[Figure], script: Script, item: str,
                        follow_up: str | None = None) -> InputError | None:
        for figure in figures:
            if figure.value_yuan == 0:
                continue  # zero is the calculators' call, input by input ("软件0元" is allowed)
            try:
                validate_amount(figure.value_yuan)
            except AmountError as exc:
                message = exc.message_en if script is Script.ENGLISH else str(exc)
                return InputError("invalid_amount", message, (item,), follow_up=follow_up)
        return None


def _held_text(rule: Rule, held: Held, script: Script) -> str:
    """"已记下（之后计算本项时使用）：此前已享受补助的档次：市级“数字化车间”。"""
    english = script is Script.ENGLISH
    noted = []
    if rule.previous_tier_input and held.previous_tier is not None:
        spec = rule.input(rule.previous_tier_input)
        label = spec.choice(held.previous_tier).label
        noted.append(f"{spec.label.en}: {label.en}" if english else f"{spec.label.zh}：{label.zh}")
    for name, value in held.received_yuan.items():
        spec = rule.input(name)
        noted.append(f"{spec.label.en}: {value:,.2f} yuan" if english else f"{spec.label.zh}：{format_yuan(value)}")
    if english:
        return f"Noted for this item's calculations — {'; '.join(noted)}."
    return f"已记下（之后计算本项时使用）：{'；'.join(noted)}。"


def _complete(rule: Rule, inputs: dict[str, Any]) -> bool:
    """Every required input given (inconsistent inputs are reported when the item is computed)."""
    try:
        return not missing_inputs(rule.id, inputs)
    except CalculatorError:
        return True
