"""What a turn is for, from the Question and the conversation: refuse, a check-up, a calculation,
the answer to a question asked back, how the last calculation was made, or a question for the
policy text."""

from __future__ import annotations

from assistant.dialogue.state import ConversationState, PendingInput
from assistant.language.text import fold
from assistant.language.vocabulary import Vocabulary
from assistant.understanding import entities
from assistant.understanding.entities import HELD_REACH
from assistant.understanding.question import Asked, Intent, Question
from calculators import RuleBook


class IntentReader:
    def __init__(self, vocabulary: Vocabulary, rulebook: RuleBook) -> None:
        self.vocabulary = vocabulary
        self.rules = {rule.id: rule for rule in rulebook.rules}

    def decide(self, question: Question, state: ConversationState) -> Intent:
        if question.refusal:
            return Intent.REFUSE
        text = question.text
        if Asked.STACKING in question.asked and len(question.entities.items) >= 2:
            return Intent.ASK  # "300万的机器人补助跟机器换人补助可以叠加吗" asks whether, not how much
        if state.checkup.active and self._states_profile(question):
            return Intent.CHECKUP
        if not state.checkup.active and text in self.vocabulary.checkup and Asked.LIBRARY not in question.asked:
            return Intent.CHECKUP
        last = state.last_calculation
        # Items given figures in earlier turns ("买机器人花了300万" … "另外物联网投了120万" … "两项一共多少").
        framed = [item for item, frame in state.frames.items() if frame.money]
        if (last.items or len(framed) >= 2) and not question.input_figures and (
                text in self.vocabulary.explain
                or (len({*last.items, *framed}) >= 2 and text in self.vocabulary.total_asked
                    and not question.entities.items)):
            return Intent.EXPLAIN
        pending = state.pending
        # "软件的50万算不算在门槛里": a question about the rule, asked in the middle of a calculation.
        rule_question = text in self.vocabulary.rule_question and Asked.AMOUNT not in question.asked
        if pending and not rule_question and self._answers(pending, question):
            return Intent.ANSWER_PENDING
        if rule_question:
            return Intent.ASK
        if question.item is None:
            # Project figures, or money spent with an amount asked, with no item named: ask which
            # item they are for.
            return Intent.CALCULATE if any(f.part for f in question.input_figures) or self._spent_asking(question) \
                else Intent.ASK
        if self._lists_levels(question):
            return Intent.ASK
        if (question.input_figures or question.unread_figure or text in self.vocabulary.calculate
                # "先后两次买了上云产品，总共能补几块钱": a fixed amount needs no figure to be computed.
                or (self.rules[question.item].calculation == "fixed" and Asked.AMOUNT in question.asked
                    and (question.own_case or text in self.vocabulary.total_asked))
                or self._names_a_tier_change(question, state) or self._asks_own_amount(question)
                or self._sums_levels_named(question) or self._changes_a_count(question, state)
                or self._changes_a_calculation(question, state)
                or (question.follow_up and self._has_figures(question.item, state)
                    and (Asked.AMOUNT in question.asked
                         or (question.asked == [Asked.OTHER] and question.item in state.last_calculation.items)))):
            return Intent.CALCULATE
        return Intent.ASK

    def _spent_asking(self, question: Question) -> bool:
        """"我们投了500万搞改造，能补多少": money said to be spent, and how much it brings asked."""
        return (bool(question.input_figures) and not question.outside_policy and not question.unstated_money
                and any(self.vocabulary.spent.search(fold(f.label)) for f in question.input_figures)
                and (Asked.AMOUNT in question.asked or question.text in self.vocabulary.calculate))

    def _states_profile(self, question: Question) -> bool:
        """In a check-up: a message describing the enterprise, saying it received nothing before,
        or asking for the total again ("总共能拿多少")."""
        return (any(segment.items or segment.facts for segment in question.segments)
                or question.text in self.vocabulary.nothing_received
                or (Asked.AMOUNT in question.asked and not question.entities.items))

    def _answers(self, pending: PendingInput, question: Question) -> bool:
        if pending.kind == "item":
            return any(item in pending.candidates for item in question.entities.items)
        if question.entities.items and pending.item not in question.entities.items:
            return False  # a new topic: the open question is dropped
        rule = self.rules[pending.item or ""]
        return entities.answer_value(rule.input(pending.asking or ""), question) is not None

    def _changes_a_calculation(self, question: Question, state: ConversationState) -> bool:
        """"我们去年已经拿过一次这个补助了", "我们不是制造业企业": something the enterprise says of
        itself that settles a condition of an item just calculated, which is calculated again."""
        item = question.item
        if item is None or item not in state.last_calculation.items or not self._has_figures(item, state):
            return False
        fields = {self.rules[item].input(c.input).profile_field for c in self.rules[item].conditions}
        return question.entities.had_item_before or bool(fields & set(question.entities.facts))

    @staticmethod
    def _has_figures(item: str, state: ConversationState) -> bool:
        """The conversation already holds this enterprise's figures or level for the item: an
        amount asked about it is its own amount ("那这个能补多少？")."""
        frame = state.frames.get(item)
        return bool(frame and (frame.money or frame.values))

    def _lists_levels(self, question: Question) -> bool:
        """"数字化车间和智能工厂分别奖励多少，升档怎么算": several levels of one ladder asked about each,
        of no enterprise's own case — the rule for each level, not a calculation."""
        mentions = [level for level in question.entities.levels if level.item == question.item]
        levels = {level.value for level in mentions}
        # A level said to be held ("去年拿了市级…") makes it the enterprise's own ladder.
        return (len(question.entities.items) <= 1 and len(levels) >= 2 and not question.input_figures
                and not any(level.earlier or self.vocabulary.held_before.ends(
                    question.text[max(0, level.position - HELD_REACH):level.position].rstrip()) for level in mentions)
                and question.text in self.vocabulary.several and not question.own_case)

    @staticmethod
    def _changes_a_count(question: Question, state: ConversationState) -> bool:
        """"不对，是5台" after "4台，每台45万": a new count for units priced before."""
        frame = state.frames.get(question.item or "")
        return question.count_said is not None and frame is not None and any(
            term.count for terms in frame.money.values() for term in terms)

    def _sums_levels_named(self, question: Question) -> bool:
        """"上云标杆是市级的，智能制造试点示范是国家级的，两个加起来多少": several items, each with its
        level or a fixed amount, and their sum asked — an amount of the enterprise's own."""
        items = question.entities.items
        leveled = {level.item for level in question.entities.levels}
        return (len(items) >= 2 and Asked.AMOUNT in question.asked and question.text in self.vocabulary.total_asked
                and all(item in leveled or self.rules[item].calculation == "fixed" for item in items))

    def _asks_own_amount(self, question: Question) -> bool:
        """"我们买了一批工业机器人，能补多少钱？": the enterprise's own case, its amount asked, no
        figure given — the dialogue asks for the figure instead of quoting the rule."""
        return Asked.AMOUNT in question.asked and question.own_case

    def _names_a_tier_change(self, question: Question, state: ConversationState) -> bool:
        """"市级升省级", "那如果又升为省级呢", "原来是数字化车间，现在是智能工厂", or another level than
        the one this conversation knows the enterprise holds ("明年评上省级未来工厂还能补多少"): a
        level reached asks for its amount (the difference to a level held before), even without
        an amount."""
        rule = self.rules[question.item] if question.item else None
        if rule is None or not rule.previous_tier_input:
            return False
        levels = [level for level in question.entities.levels if level.item == rule.id]
        frame = state.frames.get(rule.id)
        held = frame.values.get(rule.tier_input or "") if frame else None
        changed = (question.text in self.vocabulary.tier_change or any(level.earlier for level in levels)
                   or (held is not None and Asked.AMOUNT in question.asked
                       and any(level.value != held for level in levels)))
        return changed and bool(levels)
