"""Calculator turns: pick the item, read its inputs from the Question, ask for what is
missing, compute.

The conversation state keeps the question asked back (`pending`) until it is answered, and
the topic, so "那如果是500万呢" continues where the user was."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from assistant.dialogue import slots
from assistant.dialogue.state import ConversationState, PendingInput
from assistant.outcomes import Calculated, CalculatorOutcome, InputError, NeedsInput
from assistant.understanding.entities import answer_value
from assistant.understanding.question import Figure, Intent, Question
from assistant.understanding.text import Script
from assistant.understanding.vocabulary import Vocabulary
from calculators import CalculatorError, Rule, RuleBook, compute, missing_inputs
from calculators.reading import AmountError, validate_amount


class CalculatorDialogue:
    def __init__(self, rulebook: RuleBook, vocabulary: Vocabulary) -> None:
        self.rulebook = rulebook
        self.rules = {rule.id: rule for rule in rulebook.rules}
        self.vocabulary = vocabulary

    def turn(self, question: Question, state: ConversationState) -> CalculatorOutcome:
        """A CALCULATE or ANSWER_PENDING turn."""
        facts = {**state.facts, **question.entities.facts}
        if question.intent is Intent.ANSWER_PENDING and state.pending is not None:
            return self._continue(question, state, state.pending, facts)
        state.pending = None
        if question.item is None:
            return self._ask_which_project(question, state)
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

    def _read(self, item: str, question: Question, facts: dict[str, bool]) -> dict[str, Any]:
        return slots.read_inputs(self.rules[item], question.text, question.input_figures, facts, self.vocabulary)

    def _start(self, question: Question, state: ConversationState, item: str,
               facts: dict[str, bool]) -> CalculatorOutcome:
        problem = self._invalid_amount(question.input_figures, question.script, item)
        if problem:
            return problem
        group = self.overlapping(item)
        inputs = {other: self._read(other, question, facts) for other in group}
        # Of items assessed together, lead with one the message gives every input for.
        complete = [other for other in group if _complete(self.rules[other], inputs[other])]
        lead = item if item in complete or not complete else complete[0]
        state.topic.item = lead
        return self._compute_or_ask(state, lead, inputs[lead], question.script, others=inputs)

    def _continue(self, question: Question, state: ConversationState, pending: PendingInput,
                  facts: dict[str, bool]) -> CalculatorOutcome:
        if pending.kind == "item":
            item = next(i for i in question.entities.items if i in pending.candidates)
            inputs = {**pending.inputs, **self._read(item, question, facts)}
            state.topic.item = item
            return self._compute_or_ask(state, item, inputs, question.script)
        assert pending.item and pending.asking
        rule = self.rules[pending.item]
        asked = rule.input(pending.asking)
        if asked.kind == "money":
            problem = self._invalid_amount(question.input_figures, question.script, rule.id, pending.question)
            if problem:
                return problem
        inputs = {**pending.inputs, asked.name: answer_value(asked, question)}
        stated = slots.choice_inputs(rule, question.text, self.vocabulary)
        inputs.update({k: v for k, v in stated.items() if k not in inputs})
        return self._compute_or_ask(state, rule.id, inputs, question.script)

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
            given = inputs if other == item else (others or {}).get(other, {})
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


def _complete(rule: Rule, inputs: dict[str, Any]) -> bool:
    """Every required input given (inconsistent inputs are reported when the item is computed)."""
    try:
        return not missing_inputs(rule.id, inputs)
    except CalculatorError:
        return True
