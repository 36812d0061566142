"""Calculator turns: pick the item, read its inputs from the Question, ask for what is
missing, compute.

The conversation state keeps the question asked back (`pending`) until it is answered, and
the topic, so "那如果是500万呢" continues where the user was."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from assistant.dialogue import levels, slots, which_item
from assistant.dialogue.frame import ItemFrame, LastCalculation, Term, held_text, rule_id, with_level_held
from assistant.dialogue.state import ConversationState, PendingInput
from assistant.language.text import Script
from assistant.language.vocabulary import Vocabulary
from assistant.language.wording import wording
from assistant.outcomes import Calculated, CalculatorOutcome, InputError, NeedsInput
from assistant.understanding.entities import answer_value
from assistant.understanding.question import Figure, Intent, Operation, Question
from calculators import CalculatorError, Rule, RuleBook, compute, missing_inputs
from calculators.models import NO_PREVIOUS_LEVEL, Scope
from calculators.reading import AmountError, validate_amount

# At most this many items are weighed against each other for one figure.
MAX_COMPARED = 3


class CalculatorDialogue:
    def __init__(self, rulebook: RuleBook, vocabulary: Vocabulary) -> None:
        self.rulebook = rulebook
        self.rules = {rule.id: rule for rule in rulebook.rules}
        self.vocabulary = vocabulary

    def takes(self, question: Question, state: ConversationState) -> bool:
        """Figures that name no item go to the library's calculators paid on such money; a library
        with none of them (policies without rules) leaves the message to be answered from the text."""
        return (question.item is not None or question.intent is not Intent.CALCULATE or bool(state.frames)
                or bool(which_item.candidates(self.rulebook, question.input_figures)))

    def turn(self, question: Question, state: ConversationState) -> CalculatorOutcome:
        """A CALCULATE, ANSWER_PENDING or EXPLAIN turn. The figures it gives change the item's
        frame; a turn whose figures the calculator refuses leaves the frames as they were."""
        frames_before = {item: frame.model_copy(deep=True) for item, frame in state.frames.items()}
        outcome = self._turn(question, state)
        if isinstance(outcome, InputError):
            state.frames = frames_before
        elif isinstance(outcome, NeedsInput) and not outcome.choosing_item:
            item = outcome.items[0]
            noted = held_text(self.rules[item], state.frames.get(item), frames_before.get(item), question.script)
            if noted:
                outcome = replace(outcome, preface=" ".join(p for p in (outcome.preface, noted) if p))
        return outcome

    def _turn(self, question: Question, state: ConversationState) -> CalculatorOutcome:
        facts = {**state.facts, **question.entities.facts}
        last = state.last_calculation
        if question.intent is Intent.EXPLAIN:
            # A total asked after items were given figures in turns of their own: every complete one.
            framed = [item for item, frame in state.frames.items() if frame.money
                      and _complete(self.rules[rule_id(item)], frame.inputs())]
            if question.text in self.vocabulary.total_asked and len(framed) >= 2:
                return self.recompute(state, framed, total=True)
            if last.items:
                return self.recompute(state, last.items, total=last.total or len(last.items) >= 2)
        if question.intent is Intent.ANSWER_PENDING and state.pending is not None:
            return self._continue(question, state, state.pending, facts)
        state.pending = None
        if question.item is None:
            return self._ask_which_project(question, state)
        each = self._each_item_its_figures(question, facts, state)
        if each is not None:
            return each
        outcome = self._start(question, state, question.item, facts)
        if isinstance(outcome, Calculated) and question.text in self.vocabulary.total_asked:
            outcome = with_level_held(outcome, self.rules[outcome.items[0]], state.frames[outcome.items[0]])
        if question.unread_figure and isinstance(outcome, NeedsInput):
            # A figure was typed but could not be read ("abc万", "300万-500万"): say so, then ask.
            preface = wording(question.script)("input.unread_figure", figure=question.unread_figure)
            outcome = NeedsInput(outcome.items, outcome.follow_up, preface=preface)
        return outcome

    def note(self, question: Question, state: ConversationState) -> None:
        """What the enterprise says of itself in a question ("我们去年评上了市级数字化车间") enters the
        item's frame, so a later calculation knows it; nothing is computed."""
        if question.item is not None:
            self._apply(question.item, question, [], {**state.facts, **question.entities.facts}, state)

    def overlapping(self, item: str) -> list[str]:
        for overlap in self.rulebook.overlaps:
            if item in overlap.items and overlap.assess_together:
                return list(overlap.items)
        return [item]

    def _apply(self, item: str, question: Question, figures: list[Figure], facts: dict[str, bool],
               state: ConversationState, fill: str | None = None) -> ItemFrame:
        """What this message says for `item` enters its frame: levels and yes/no conditions as
        values, each figure by its operation, a once-only subsidy said to be had already."""
        rule = self.rules[rule_id(item)]
        frame = state.frames.setdefault(item, ItemFrame())
        stated = slots.read_inputs(rule, question.text, [], facts, self.vocabulary, segments=question.segments)
        levels.settle(rule, stated, question, frame, state.topic, question.text in self.vocabulary.tier_change)
        for name, value in stated.items():
            if value is None:
                continue
            if rule.input(name).kind == "money":  # a part said to be absent ("没有软件投入") is 0
                frame.apply(rule, name, Operation.SET, Term(value=value, turn=state.turns))
            else:
                frame.values[name] = value
        if question.count_said and not figures:
            frame.recount(*question.count_said, turn=state.turns)
        tier_known = frame.values.get(rule.previous_tier_input or "") not in {None, NO_PREVIOUS_LEVEL}
        payer = slots.government_payer(question.text, question.segments, self.vocabulary)
        left_out = slots.costs_left_out(rule, figures)
        frame.left_out += [f.value_yuan for f in left_out]
        figures = [f for f in figures if f not in left_out]
        assigned = slots.money_assignments(rule, figures, tier_known, payer, fill)
        said: set[str] = set()
        said_values: set[tuple[str, Decimal]] = set()
        for figure, name in sorted(assigned, key=lambda pair: pair[0].start):  # in the order said
            if figure.operation is Operation.SET and (name, figure.value_yuan) in said_values:
                continue  # "财务说按260万报…260万能补多少": the same figure said again, not a second payment
            said_values.add((name, figure.value_yuan))
            # A second figure for the same input in one message is another payment for it; a share of a
            # project's figure that is neither part ("其中厂房改造30万") is not equipment or software.
            operation = Operation.ADD if name in said and figure.operation is Operation.SET else figure.operation
            if figure.share and figure.operation is Operation.SET and rule.base and rule.base.parts:
                operation = Operation.REMOVE
            elif rule.base and figure.part == rule.base.input and figure.operation is Operation.SET:
                operation = Operation.CORRECT  # "设备和软件只有180万": the base itself, whatever total came before
            frame.apply(rule, name, operation, Term(value=figure.value_yuan, turn=state.turns, count=figure.count))
            said.add(name)
        frame.keep_parts(rule)
        if question.entities.had_item_before and question.entities.items[:1] == [rule.id]:
            # "我们之前已经拿过一次了": the condition that the subsidy was not had before is not met.
            for condition in rule.conditions:
                if condition.expect is False and rule.input(condition.input).kind == "bool":
                    frame.values[condition.input] = True
        return frame

    def _start(self, question: Question, state: ConversationState, item: str,
               facts: dict[str, bool]) -> CalculatorOutcome:
        problem = self._invalid_amount(question.input_figures, question.script, item)
        if problem:
            return problem
        group = self.overlapping(item)
        for other in group:
            self._apply(other, question, question.input_figures, facts, state)
        # Of items assessed together, lead with one the message gives every input for.
        last = state.last_calculation.model_copy()
        complete = [other for other in group if _complete(self.rules[other], state.frames[other].inputs())]
        lead = item if item in complete or not complete else complete[0]
        state.topic.item = lead
        outcome = self._compute_or_ask(state, lead, question.script, group=group)
        if isinstance(outcome, Calculated) and last.total and lead in last.items:
            # One item of several asked together changed ("机器人那个改成300万"): all again, with the sum.
            return self.recompute(state, last.items, total=True)
        return outcome

    def _continue(self, question: Question, state: ConversationState, pending: PendingInput,
                  facts: dict[str, bool]) -> CalculatorOutcome:
        if pending.kind == "item":
            item = next(i for i in question.entities.items if i in pending.candidates)
            frame = self._apply(item, question, question.input_figures, facts, state)
            rule = self.rules[item]
            for name, value in pending.inputs.items():
                frame.apply(rule, name, Operation.SET, Term(value=Decimal(str(value)), turn=state.turns))
            main = which_item.main_money_input(rule)
            if pending.amount is not None and main:
                frame.apply(rule, main, Operation.SET, Term(value=Decimal(pending.amount), turn=state.turns))
            state.topic.item = item
            return self._compute_or_ask(state, item, question.script)
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
            self._apply(rule.id, question, question.input_figures, facts, state, fill=asked.name)
        else:
            frame = self._apply(rule.id, question, question.input_figures, facts, state)
            # The one level named as held before ("之前是数字化车间") does not answer "which level now".
            moved = asked.name == rule.tier_input and (rule.previous_tier_input or "") in frame.values
            if asked.kind == "bool" or (asked.name not in frame.values and not moved):
                value = answer_value(asked, question)
                if value is not None:
                    frame.values[asked.name] = value
        return self._compute_or_ask(state, rule.id, question.script)

    def _each_item_its_figures(self, question: Question, facts: dict[str, bool],
                               state: ConversationState) -> Calculated | None:
        """"买机器人花了260万，另外工厂物联网项目投了80万，两项一共多少": several items, each named
        with its own figures, each computed from those figures alone, and the sum given. A clause
        naming no item speaks of the one named before it ("我们是服务商，收入600万"); plain figures
        in several clauses for a per-project item the caller says there are several of ("两个物联网
        项目，一个40万，一个100万") are several projects."""
        per_item: dict[str, list[list[Figure]]] = {}
        current = None
        for segment in question.segments:
            current = segment.items[0] if segment.items else current
            figures = [f for f in segment.figures if f in question.input_figures]
            if current and figures:
                per_item.setdefault(current, []).append(figures)
            else:
                # "评上了数字化车间", "买了一次上云产品": a level or a fixed amount needs no figure
                for item in segment.items:
                    if self._level_named(item, question) or self.rules[item].calculation == "fixed":
                        per_item.setdefault(item, [])
        compared = question.text in self.vocabulary.compare and len(question.entities.items) >= 2
        if compared and len(per_item) <= 1 and question.input_figures:
            # "300万的项目，按机器换人还是物联网划算": the same figures under each item named.
            per_item = {item: [list(question.input_figures)] for item in question.entities.items[:MAX_COMPARED]}
        several = question.text in self.vocabulary.several
        groups: dict[str, list[Figure]] = {}
        for item, clauses in per_item.items():
            plain = all(not f.part and not f.total for figures in clauses for f in figures)
            if several and plain and len(clauses) >= 2 and self.rules[item].cap_scope is Scope.per_project:
                groups.update({item if n == 0 else f"{item}#{n + 1}": figures for n, figures in enumerate(clauses)})
            else:
                groups[item] = [f for figures in clauses for f in figures]
        if len(groups) < 2:
            return None
        snapshot = {item: frame.model_copy(deep=True) for item, frame in state.frames.items()}
        for key, figures in groups.items():
            if "#" in key:  # a further project of this message starts afresh
                state.frames.pop(key, None)
            self._apply(key, question, figures, facts, state)
        try:
            if any(missing_inputs(self.rules[rule_id(key)], state.frames[key].inputs()) for key in groups):
                state.frames = snapshot
                return None
        except CalculatorError:
            state.frames = snapshot
            return None
        state.topic.item = rule_id(next(iter(groups)))
        outcome = self.recompute(state, list(groups), total=not compared)
        return outcome if isinstance(outcome, Calculated) else None

    def _level_named(self, item: str, question: Question) -> bool:
        rule = self.rules[item]
        return rule.tier_input is not None and any(level.item == item and not level.earlier
                                                   for level in question.entities.levels)

    def recompute(self, state: ConversationState, items: list[str], total: bool = False) -> CalculatorOutcome:
        """Each item computed from its frame, the formula showing every figure used."""
        calculations = []
        for item in items:
            frame = state.frames.get(item, ItemFrame())
            try:
                calculation = compute(self.rules[rule_id(item)], frame.inputs())
            except CalculatorError as exc:
                return InputError(exc.code, str(exc), (rule_id(item),))
            sums = frame.sums(self.rules[rule_id(item)])
            if sums:
                calculation = calculation.model_copy(update={"formula": "；".join([*sums, calculation.formula])})
            calculations.append(calculation)
        state.last_calculation = LastCalculation(
            items=list(items), total=total,
            amounts=[c.amount_yuan for c in calculations if c.amount_yuan is not None])
        return Calculated(tuple(c.item for c in calculations), tuple(calculations), total=total)

    def _ask_which_project(self, question: Question, state: ConversationState) -> CalculatorOutcome:
        """Figures with no item named: ask which item they are for."""
        rules = which_item.candidates(self.rulebook, question.input_figures)
        problem = self._invalid_amount(question.input_figures, question.script, rules[0].id)
        if problem:
            return problem
        state.pending, asking = which_item.ask_which(rules, question.input_figures, question.script)
        return asking

    def _compute_or_ask(self, state: ConversationState, item: str, script: Script,
                        group: list[str] | None = None) -> CalculatorOutcome:
        state.pending = None
        inputs = state.frames.setdefault(item, ItemFrame()).inputs()
        try:
            missing = missing_inputs(self.rules[item], inputs)
        except CalculatorError as exc:
            return InputError(exc.code, str(exc), (item,))
        if missing:
            question = missing[0].ask.en if script is Script.ENGLISH else missing[0].ask.zh
            state.pending = PendingInput(item=item, asking=missing[0].name, question=question)
            return NeedsInput((item,), question)
        computed = [item]
        for other in group or self.overlapping(item):
            try:
                if other != item and other in state.frames \
                        and not missing_inputs(self.rules[other], state.frames[other].inputs()):
                    computed.append(other)
            except CalculatorError:
                continue
        order = self.overlapping(item)
        return self.recompute(state, sorted(computed, key=lambda i: order.index(i) if i in order else 0))

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
        return not missing_inputs(rule, inputs)
    except CalculatorError:
        return True

