"""`understand(message, state) -> Question`: the one place a message is read."""

from __future__ import annotations

import re
from decimal import Decimal

from assistant.dialogue.state import ConversationState
from assistant.retrieval.lexical import Tokenizer
from assistant.understanding import entities
from assistant.understanding.examples import ExampleRouter
from assistant.understanding.figures import find_figures
from assistant.understanding.policy_map import PolicyMap
from assistant.understanding.question import (
    Asked,
    Entities,
    Figure,
    FigureRole,
    Intent,
    LevelMention,
    Operation,
    Question,
    Segment,
)
from assistant.understanding.spelling import SoundAlikes, policy_terms
from assistant.understanding.text import detect_script, fold
from assistant.understanding.topic import TopicClauses
from assistant.understanding.vocabulary import Vocabulary
from calculators import RuleBook

# Characters of words (CJK or Latin letters and digits): how long a message is without its punctuation.
_WORD_CHARS = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")
# A follow-up of at most this many characters or English words with no topic of its own leans
# on the conversation's topic: "那上限呢" (4), "每年都能拿吗" (6), "如果是小微企业呢" (8). Longer
# messages usually carry their own topic; 12 leaves room for a polite word or two.
FOLLOW_UP_MAX_CHARS = 12
# Level words a follow-up names alone ("那省级的呢", "and the provincial one?").
_LEVEL_WORDS = re.compile(r"国家级|国家|省级|市级|区级|national|provincial|city")
# Question marks end one question of several asked in a row.
QUESTION_BREAK = re.compile(r"(?<=[？?])")
# Clause breaks: each clause keeps its own amounts and items ("机器人花了300万，软件50万").
CLAUSE_BREAK = re.compile(r"[，。；;,！!？?\n]")
# How far after a figure the part it is for may be named ("48万的设备").
PART_AFTER_REACH = 4
# How far after a figure a word making it a figure of the rule may stand ("200万的门槛").
RULE_WORD_REACH = 4
# Something typed as money that the amount reader could not read as one figure.
UNREAD_FIGURE = re.compile(r"[0-9a-z.,，~～\-]+\s*(万元|万|亿元|亿|元|yuan|rmb)")


class Understanding:
    """Holds what reading a message needs: the steering vocabulary, the calculator rules
    (items, inputs, levels), the policy's word list and its typo corrections."""

    def __init__(self, vocabulary: Vocabulary, rulebook: RuleBook, tokenizer: Tokenizer,
                 corrections: dict[str, str] | None = None, policy_map: PolicyMap | None = None,
                 examples: ExampleRouter | None = None) -> None:
        self.vocabulary = vocabulary
        self.policy_map = policy_map
        self.examples = examples
        self.rulebook = rulebook
        self.rules = {rule.id: rule for rule in rulebook.rules}
        self.tokenizer = tokenizer
        self.corrections = {fold(wrong): fold(right) for wrong, right in (corrections or {}).items()}
        # Sound-alike repair (机器仁 → 机器人) and the clauses that carry the question, both from
        # the policy's own words: user dictionary, item keywords, level names, glossary.
        terms = policy_terms(tokenizer.domain_terms, rulebook, tokenizer.vocabulary_dir)
        self.sound_alikes = SoundAlikes(terms, words=tokenizer.dictionary_words, is_word=tokenizer.is_word)
        self.topic = TopicClauses(tokenizer, vocabulary, tokenizer.domain_terms | {t for t in terms if len(t) >= 3})

    def understand(self, message: str, state: ConversationState) -> Question:
        """`Question.text` is the folded message with sound-alike slips repaired ("机器仁" read as
        机器人), and `corrections` lists each repair: every later step (items, facts, levels, what
        is asked, intent cues, a pending answer's level, the dense query) then reads the policy's
        word, and the reply can say how a word was read. Figures and other policies' titles
        still read the raw message; repairs never touch digits or Latin text."""
        repaired = self.sound_alikes.repair(fold(message))
        text = repaired.text
        figures = self._figures(message, self._amounts_in_view(state))
        unread = None if figures else UNREAD_FIGURE.search(text)
        items = entities.rank_items(text, figures, self.rulebook, self.vocabulary.qualifier_markers)
        asked = [Asked(kind) for kind, cues in self.vocabulary.asked.items() if text in cues] or [Asked.OTHER]
        follow_up = not items and bool(state.topic.item or state.topic.clause) and (
            self._leans_back(text, figures) or self._names_topic_level(state.topic.item, text))
        item = items[0] if items else (state.topic.item if follow_up else None)
        item = self._item_for_parts(item, items, figures)
        found = Entities(
            items=items, facts=entities.stated_facts(text, self.vocabulary),
            levels=[level for rule in self.rulebook.rules
                    for level in entities.levels_named(rule, text, self.vocabulary)]
            + (self._topic_levels(item, text) if follow_up and item else []),
            places=self.tokenizer.places(text), years=entities.years_named(text),
            other_policies=entities.policies_named(message),
            had_item_before=text in self.vocabulary.had_before
            and not any(f.role is FigureRole.RECEIVED for f in figures),
        )
        refusal = self.vocabulary.refusal(text)
        refusal_name = refusal.name if refusal else None
        outside = text in self.vocabulary.outside_policy
        # Anything the message says of the enterprise or names of the policy keeps it a policy matter.
        of_policy = bool(items or figures or found.facts or found.levels
                         or any(term in text for term in self.tokenizer.domain_terms))
        routed = self._routed(text, asked, refusal_name, outside, of_policy)
        if routed and routed.startswith("asked."):
            asked = [Asked(routed.removeprefix("asked."))]
        elif routed and routed.startswith("refuse."):
            refusal_name = routed.removeprefix("refuse.")
        elif routed == "outside":
            outside = True
        asked = self._about_repealed(asked, found.years, items)
        question = Question(
            script=detect_script(message), text=text, search_text=self._search_text(text),
            corrections=repaired.corrections, figures=figures,
            unread_figure=unread.group(0) if unread else None, segments=self._segments(message, figures),
            entities=found, asked=asked, intent=Intent.ASK, refusal=refusal_name,
            follow_up=follow_up, item=item, parts=self._parts(text),
            unstated_money=self.policy_map.unstated_money(text) if self.policy_map else [],
            outside_policy=outside, own_case=text in self.vocabulary.own_case,
        )
        return question.model_copy(update={"intent": self._intent(question, state)})

    def _routed(self, text: str, asked: list[Asked], refusal: str | None, outside: bool,
                of_policy: bool) -> str | None:
        """What the example bank reads in a message no cue read: what is asked when no cue of
        `asked` matched; a request to refuse or a question outside the policy when the message
        says nothing of the policy or the enterprise. None when the cues decided or the examples
        are unsure."""
        if self.examples is None or refusal or outside or (asked != [Asked.OTHER] and of_policy):
            return None
        routed = self.examples.route(text)
        if routed is None:
            return None
        if routed.startswith("asked."):
            return routed if asked == [Asked.OTHER] else None
        return None if of_policy else routed

    def _about_repealed(self, asked: list[Asked], years: list[int], items: list[str]) -> list[Asked]:
        """"2019年那个实施意见还作数吗": an earlier document this policy names as repealed is asked
        about through what this policy says of it — not what it paid ("2019年那版里机器换人按几个点"),
        which this policy does not state."""
        about_figures = bool(items) or bool(set(asked) & {Asked.AMOUNT, Asked.RATE, Asked.CAP, Asked.THRESHOLD})
        if self.policy_map and any(year in self.policy_map.repealed_years for year in years) \
                and Asked.REPEAL not in asked and not about_figures:
            kept: list[Asked] = [kind for kind in asked if kind is not Asked.OTHER]
            return [*kept, Asked.REPEAL]
        return asked

    def _parts(self, text: str) -> list[str]:
        """The search texts of the questions a message asks one after another ("…多少个？…几家？")."""
        pieces = [piece for piece in QUESTION_BREAK.split(text) if _WORD_CHARS.search(piece)]
        return [self._search_text(piece) for piece in pieces] if len(pieces) >= 2 else []

    # ── figures ────────────────────────────────────────────────────────────────────────
    def _figures(self, message: str, results: list[Decimal] | None = None) -> list[Figure]:
        """Each amount with its role and, for a project, its part. The words since the clause or
        the previous figure began can make it the whole: both parts named ("设备和软件合计300万",
        "软硬件一共300万") make it the projects' investment; a total word ("总投资500万", "一共",
        "3 million yuan in total") makes it the item's whole base unless its label names one
        part ("设备合计200万")."""
        vocabulary = self.vocabulary
        # The input every project item sums its parts into (investment_yuan), if they share one.
        wholes = {rule.base.input for rule in self.rulebook.rules if rule.base and rule.base.parts}
        whole = wholes.pop() if len(wholes) == 1 else None
        found_all = find_figures(message, self.tokenizer.words)
        figures = []
        parts_after = self._parts_after(message, found_all)
        for index, found in enumerate(found_all):
            label = fold(found.label)
            lead = fold(CLAUSE_BREAK.split(message[found_all[index - 1].end if index else 0:found.start])[-1])
            following = found_all[index + 1].start if index + 1 < len(found_all) else len(message)
            trail = fold(CLAUSE_BREAK.split(message[found.end:following])[0])
            if vocabulary.rule_figure_after.search(trail[:RULE_WORD_REACH]) and not vocabulary.received.search(label):
                role = FigureRole.SUBSIDY  # "200万的门槛": a figure of the rule, not money spent
            elif found.value_yuan in (results or []) and not vocabulary.spent.search(f"{lead}{trail}") \
                    and not vocabulary.received.search(label):
                role = FigureRole.SUBSIDY  # "那这个20万是怎么算的": an amount just calculated
            elif vocabulary.received.search(label):
                role = FigureRole.RECEIVED
            elif vocabulary.subsidy_figure.ends(label):
                # "已经拿了本项资助60万": a subsidy the enterprise says it received is money received.
                role = FigureRole.RECEIVED if vocabulary.received.search(lead) else FigureRole.SUBSIDY
            else:
                role = FigureRole.INPUT
            # English labels are cut to a few characters ("uipment cost"): read the last words too.
            named = " ".join([label, *lead.split()[-3:]]) if " " in lead else label
            part = parts_after[index] if parts_after else next(
                (name for name, cues in vocabulary.parts.items() if cues.search(named)), None)
            if part is None and not parts_after:
                # The label is the last word or two ("设备花了120万" → 花了): the part may stand before it
                # in the same clause, when only one part is named there.
                in_lead = [name for name, cues in vocabulary.parts.items() if cues.search(lead)]
                part = in_lead[0] if len(in_lead) == 1 else None
            both = vocabulary.both_parts.search(lead)
            # "设备和软件投入中设备200万": a part named after both parts is that part.
            if both and not any(cues.search(lead[both.end():]) for cues in vocabulary.parts.values()):
                part, total = whole, True
            else:
                after = vocabulary.total.search(trail)
                said_total = bool(vocabulary.total.search(lead) or (after and after.start() == 0))
                total = said_total and part is None
            operation = self._operation(f"{lead} {trail}", fold(message))
            figures.append(found.model_copy(update={"role": role, "part": part, "total": total,
                                                    "operation": operation}))
        return figures

    def _amounts_in_view(self, state: ConversationState) -> list[Decimal]:
        """The amounts the last calculation gave and its items' own figures (caps, levels, fixed
        amounts): a figure equal to one, not labelled as money spent, speaks of the subsidy."""
        amounts = list(state.last_calculation.amounts)
        for item in state.last_calculation.items:
            rule = self.rules.get(item.split("#")[0])
            if rule is not None:
                amounts += [a for a in (rule.cap_yuan, rule.amount_yuan) if a is not None]
                amounts += [tier.amount_yuan for tier in rule.tiers or []]
        return amounts

    def _parts_after(self, message: str, found_all: list[Figure]) -> list[str | None]:
        """"48万设备加12万软件": parts named right after their figures. Chosen for the whole message
        when the first figure with a part has none before it and one right after it; empty when
        parts stand before their figures, as usual ("设备48万，软件12万")."""
        before, after = [], []
        for index, found in enumerate(found_all):
            start = found_all[index - 1].end if index else 0
            lead = fold(CLAUSE_BREAK.split(message[start:found.start])[-1])
            end = found_all[index + 1].start if index + 1 < len(found_all) else len(message)
            trail = fold(message[found.end:end])[:PART_AFTER_REACH].lstrip("的 ")
            before.append(next((n for n, cues in self.vocabulary.parts.items() if cues.search(lead)), None))
            after.append(next((n for n, cues in self.vocabulary.parts.items()
                               if (m := cues.search(trail)) and m.start() == 0), None))
        first = next((i for i in range(len(found_all)) if before[i] or after[i]), None)
        if first is None or before[first] or not after[first]:
            return []
        return after

    def _operation(self, clause: str, message: str) -> Operation:
        """What the figure does to the figures given before: the operation named in its own
        clause, else in the message ("不对，应该是250万"), else it sets its input."""
        for where in (clause, message):
            found = [(match.start(), Operation(name)) for name, cues in self.vocabulary.operations.items()
                     if (match := cues.search(where))]
            if found:
                # A correction wins over the words it corrects ("不对，不是再加20万，是30万").
                named = {operation for _, operation in found}
                return Operation.CORRECT if Operation.CORRECT in named else min(found)[1]
        return Operation.SET

    def _segments(self, message: str, figures: list[Figure]) -> list[Segment]:
        segments, start = [], 0
        for piece in [*CLAUSE_BREAK.split(message)]:
            end = start + len(piece)
            folded = self.sound_alikes.repair(fold(piece)).text
            if folded:
                inside = [f for f in figures if start <= f.start < end]
                segments.append(Segment(text=folded, items=entities.rank_items(folded, inside, self.rulebook,
                                                                                self.vocabulary.qualifier_markers),
                                        figures=inside, facts=entities.stated_facts(folded, self.vocabulary)))
            start = end + 1
        return segments

    # ── topic ──────────────────────────────────────────────────────────────────────────
    def _leans_back(self, text: str, figures: list[Figure]) -> bool:
        """A message naming no item continues the topic when it carries figures for it ("那500万呢")
        or opens or closes like a follow-up ("那上限呢", "What about the cap?")."""
        vocabulary = self.vocabulary
        if text in vocabulary.self_reference:
            return False  # "这个政策…" is about the document, not the topic
        opener = vocabulary.follow_up_openers.search(text)
        bare = _WORD_CHARS.findall(text)
        return (any(f.role is not FigureRole.SUBSIDY for f in figures)
                or bool(opener and opener.start() == 0)
                or vocabulary.follow_up_closers.ends(text.rstrip("?？.。!！ "))
                or text in vocabulary.follow_up_pointers
                # A short message that names nothing of its own ("每年都能拿吗", "cap?") is about the topic.
                or (len(bare) <= FOLLOW_UP_MAX_CHARS and text not in vocabulary.courtesy))

    def _names_topic_level(self, item: str | None, text: str) -> bool:
        """"今年又升到省级了": a level of the topic item's ladder, named alone, continues it."""
        return bool(item) and bool(self._topic_levels(item or "", text))

    def _topic_levels(self, item: str, text: str) -> list[LevelMention]:
        """A bare level in a follow-up ("那省级的呢") on the topic item's ladder: the levels whose
        name starts with it."""
        rule = self.rules[item]
        if rule.tier_input is None:
            return []
        spec = rule.input(rule.tier_input)
        found = []
        for word in _LEVEL_WORDS.findall(text):
            for choice in spec.choices or []:
                if fold(choice.label.zh).startswith(word) or choice.label.en.lower().startswith(word):
                    found.append(LevelMention(item=item, input=spec.name, value=choice.value,
                                              tier=rule.tier_rank(choice.value), position=text.find(word)))
        return found

    def _item_for_parts(self, item: str | None, named: list[str], figures: list[Figure]) -> str | None:
        """Equipment and software figures belong to a project item with those parts: a topic
        item without parts does not take them ("设备200万软件130万" after a robot question)."""
        if not any(f.part for f in figures) or item is None:
            return item
        if self._has_parts(item):
            return item
        with_parts = [other for other in named if self._has_parts(other)]
        return with_parts[0] if with_parts else None

    def _has_parts(self, item: str) -> bool:
        base = self.rules[item].base
        return bool(base and base.parts)

    # ── intent ─────────────────────────────────────────────────────────────────────────
    def _intent(self, question: Question, state: ConversationState) -> Intent:
        if question.refusal:
            return Intent.REFUSE
        text = question.text
        if Asked.STACKING in question.asked and len(question.entities.items) >= 2:
            return Intent.ASK  # "300万的机器人补助跟机器换人补助可以叠加吗" asks whether, not how much
        if state.checkup.active and self._states_profile(question):
            return Intent.CHECKUP
        if not state.checkup.active and text in self.vocabulary.checkup:
            return Intent.CHECKUP
        last = state.last_calculation
        if last.items and not question.input_figures and (
                text in self.vocabulary.explain
                or (len(last.items) >= 2 and text in self.vocabulary.total_asked and not question.entities.items)):
            return Intent.EXPLAIN
        pending = state.pending
        # "软件的50万算不算在门槛里": a question about the rule, asked in the middle of a calculation.
        rule_question = text in self.vocabulary.rule_question and Asked.AMOUNT not in question.asked
        if pending and not rule_question and self._answers(pending, question):
            return Intent.ANSWER_PENDING
        if rule_question:
            return Intent.ASK
        if question.item is None:
            # Project figures with no project named: ask which project they are for.
            return Intent.CALCULATE if any(f.part for f in question.input_figures) else Intent.ASK
        if (question.input_figures or question.unread_figure or text in self.vocabulary.calculate
                or self._names_a_tier_change(question, state) or self._asks_own_amount(question)
                or self._changes_a_calculation(question, state)
                or (question.follow_up and self._has_figures(question.item, state)
                    and (Asked.AMOUNT in question.asked
                         or (question.asked == [Asked.OTHER] and question.item in state.last_calculation.items)))):
            return Intent.CALCULATE
        return Intent.ASK

    def _states_profile(self, question: Question) -> bool:
        """In a check-up: a message describing the enterprise, saying it received nothing before,
        or asking for the total again ("总共能拿多少")."""
        return (any(segment.items or segment.facts for segment in question.segments)
                or question.text in self.vocabulary.nothing_received
                or (Asked.AMOUNT in question.asked and not question.entities.items))

    def _answers(self, pending, question: Question) -> bool:
        if pending.kind == "item":
            return any(item in pending.candidates for item in question.entities.items)
        if question.entities.items and pending.item not in question.entities.items:
            return False  # a new topic: the open question is dropped
        rule = self.rules[pending.item]
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

    def _search_text(self, text: str) -> str:
        """The clauses that carry the question (not the caller's introduction), with the policy's
        typo corrections and callers' words."""
        text = self.topic.keep(text)
        for wrong, right in self.corrections.items():
            text = text.replace(wrong, right)
        return self.tokenizer.expand(text)
