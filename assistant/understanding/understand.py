"""`understand(message, state) -> Question`: the one place a message is read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from assistant.dialogue.state import ConversationState
from assistant.language.text import CLAUSE_BREAK, detect_script, fold
from assistant.language.tokenizer import Tokenizer
from assistant.language.vocabulary import Vocabulary
from assistant.retrieval.lexical import LexicalIndex
from assistant.understanding import entities
from assistant.understanding.examples import ExampleRouter
from assistant.understanding.figure_roles import FigureReader
from assistant.understanding.follow_ups import WORD_CHARS, FollowUps
from assistant.understanding.intents import IntentReader
from assistant.understanding.policy_map import PolicyMap
from assistant.understanding.question import (
    Asked,
    Entities,
    Figure,
    FigureRole,
    Intent,
    Question,
    Segment,
)
from assistant.understanding.spelling import SoundAlikes, policy_terms
from assistant.understanding.topic import TopicClauses
from calculators import RuleBook

# Where a message's clauses end, for grouping figures with items: the clause breaks, and " and "
# between English clauses.
SEGMENT_BREAK = re.compile(rf"{CLAUSE_BREAK.pattern}|\s+and\s+", re.IGNORECASE)
# Clause breaks for finding the clauses that ask, each keeping its question mark.
_ASKED_PIECES = re.compile(f"({CLAUSE_BREAK.pattern})")
# How far after an item's word a word for a document may follow and make it the document's name
# ("未来工厂”政策": a closing quote between).
DOCUMENT_NOUN_REACH = 8
# A figure's label names an item's money input by a word of two characters or more (收入, 购置款).
LABEL_WORD_MIN_CHARS = 2
# Question marks end one question of several asked in a row.
QUESTION_BREAK = re.compile(r"(?<=[？?])")
# A space between Chinese words, as voice input and hurried typing leave in place of a comma
# ("第一批700万 第二批600万"); not before a unit ("300 万").
_SPOKEN_BREAK = re.compile(r"(?<=[\u4e00-\u9fff])[ \t\u3000]+(?=[\u4e00-\u9fff])(?![万亿元千百十])")
# The first English word of a clause.
_FIRST_WORD = re.compile(r"\W*(?:and\s+|but\s+|also\s+)?([a-z]+)")
# Something typed as money that the amount reader could not read as one figure.
UNREAD_FIGURE = re.compile(r"[0-9a-z.,，~～\-]+\s*(万元|万|亿元|亿|元|yuan|rmb)")


class Understanding:
    """Holds what reading a message needs: the steering vocabulary, the calculator rules
    (items, inputs, levels), the policy's word list and its typo corrections."""

    def __init__(self, vocabulary: Vocabulary, rulebook: RuleBook, tokenizer: Tokenizer,
                 corrections: dict[str, str] | None = None, policy_map: PolicyMap | None = None,
                 examples: ExampleRouter | None = None, policy_index: LexicalIndex | None = None) -> None:
        """`policy_index`: the library's clauses in the retriever's lexical index, which tells a
        clause of the message in the policy's own words from small talk."""
        unknown = sorted({*vocabulary.asked, *vocabulary.evidence} - {kind.value for kind in Asked})
        if unknown:
            raise ValueError(f"cues.yaml names kinds of question no reader knows: {', '.join(unknown)}")
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
        self.topic = TopicClauses(tokenizer, vocabulary, rulebook,
                                  tokenizer.domain_terms | {t for t in terms if len(t) >= 3}, policy_index)
        self.figure_reader = FigureReader(vocabulary, rulebook, tokenizer)
        self.intents = IntentReader(vocabulary, rulebook)
        self.follow_ups = FollowUps(vocabulary, rulebook, tokenizer)

    def understand(self, message: str, state: ConversationState, prefer: Sequence[str] = ()) -> Question:
        """`Question.text` is the folded message with sound-alike slips repaired ("机器仁" read as
        机器人), and `corrections` lists each repair: every later step (items, facts, levels, what
        is asked, intent cues, a pending answer's level, the dense query) then reads the policy's
        word, and the reply can say how a word was read. Figures and other policies' titles
        still read the raw message; repairs never touch digits or Latin text. `prefer` orders the
        library's policies (corpus/routing.py) for words that name items of several."""
        message = _SPOKEN_BREAK.sub("，", message)
        repaired = self.sound_alikes.repair(fold(message))
        text = repaired.text
        figures = self.figure_reader.read(message, self._amounts_in_view(state))
        unread = None if figures else UNREAD_FIGURE.search(text)
        items = self._items(self.policy_map.without_unpaid(text) if self.policy_map else text, figures, prefer)
        asking = self._asking_clauses(text)
        asked = [Asked(kind) for kind, cues in self.vocabulary.asked.items() if asking in cues] or [Asked.OTHER]
        if Asked.OTHER_POLICY not in asked and text in self.vocabulary.asked[Asked.OTHER_POLICY.value]:
            # "Under the latest policy document, what is…": which document is meant may be said
            # before the clause that asks.
            asked = [*(kind for kind in asked if kind is not Asked.OTHER), Asked.OTHER_POLICY]
        # "聚能工厂到2025年要培育多少家？" then "数字化车间呢？": the question asked before, of what is named now.
        carried = asked == [Asked.OTHER] and bool(set(state.topic.asked) - {Asked.OTHER.value}) \
            and self.follow_ups.elliptical(text)
        if carried:
            asked = [Asked(kind) for kind in state.topic.asked]
        follow_up = not items and bool(state.topic.item or state.topic.clause) and self.follow_ups.continues(
            text, figures, asked, state.topic.item)
        facts = entities.stated_facts(text, self.vocabulary)
        # "营收过了2个亿，应该不算小微了" in a conversation on an item tells what the enterprise is,
        # not a provider's revenue: a figure's label picks an item only when it tells no such fact.
        labelled = None if items or (facts and state.topic.item) else self._item_by_label(figures)
        item = items[0] if items else (labelled or (state.topic.item if follow_up else None))
        item = self._item_for_parts(item, items, figures)
        levels = entities.owned_levels([level for rule in self.rulebook.rules
                                        for level in entities.levels_named(rule, text, self.vocabulary)],
                                       text, self.rulebook, items)
        if item and (follow_up or (item in items and not any(level.item == item for level in levels))):
            # A bare level word for the item asked about ("省级上云标杆", "那省级的呢"): its ladder's level.
            levels += self.follow_ups.topic_levels(item, text)
        found = Entities(
            items=items, facts=facts, levels=levels,
            places=list(dict.fromkeys([*(p for p in self.tokenizer.places(text) if self._reads_as_place(p, text)),
                                       *(p for p in self.vocabulary.elsewhere if p in text)])),
            years=entities.years_named(text),
            other_policies=entities.policies_named(message),
            had_item_before=text in self.vocabulary.had_before
            and not any(f.role is FigureRole.RECEIVED for f in figures),
        )
        refusal = self.vocabulary.refusal(text)
        refusal_name = refusal.name if refusal else None
        outside = text in self.vocabulary.outside_policy
        # Anything the message says of the enterprise or names of the policy keeps it a policy matter.
        count_said = None if figures else self.figure_reader.count_said(message)
        # A count of units ("不对，是4台") speaks of the enterprise's purchase as a figure does.
        of_policy = bool(items or figures or count_said or found.facts or found.levels
                         or any(term in text for term in self.tokenizer.domain_terms))
        routed = self._routed(text, asked, refusal_name, outside, of_policy)
        if routed and routed.startswith("asked."):
            asked = [Asked(routed.removeprefix("asked."))]
        elif routed and routed.startswith("refuse."):
            refusal_name = routed.removeprefix("refuse.")
        elif routed == "outside":
            outside = True
        asked = self._about_repealed(asked, found.years, items)
        asked = self.follow_ups.end_of_document(asked, text, follow_up, state)
        question = Question(
            script=detect_script(message), text=text, search_text=self._search_text(text),
            corrections=repaired.corrections, figures=figures,
            unread_figure=unread.group(0) if unread else None, segments=self._segments(message, figures, prefer),
            entities=found, asked=asked, intent=Intent.ASK, refusal=refusal_name,
            follow_up=follow_up, item=item, parts=self._parts(text), questions=self._questions(text), carried=carried,
            count_said=count_said, policies=tuple(prefer),
            unstated_money=(self.policy_map.unstated_money(text) + self.policy_map.unstated_money_en(text))
            if self.policy_map else [],
            unpaid_levels={**self.policy_map.unpaid_named(text), **self.policy_map.unpaid_ladder_levels(text, items)}
            if self.policy_map else {},
            outside_policy=outside, outside_asked=outside and asking in self.vocabulary.outside_policy,
            own_case=text in self.vocabulary.own_case,
            unmentioned=(self.policy_map.unmentioned(text, self.vocabulary.rule_question)
                         if text in self.vocabulary.rule_question and not figures else [])
            + self.policy_map.unrecognised(text, self.vocabulary.recognised_as, self.vocabulary.recognition_levels)
            if self.policy_map else [],
        )
        return question.model_copy(update={"intent": self.intents.decide(question, state)})

    def _reads_as_place(self, word: str, text: str) -> bool:
        """A word jieba tags as a place, taken for one when it has a place's ending or words around
        it that speak of a place ("北京的企业", "在上海"), not "专家上门帮企业", "上礼拜去"."""
        vocabulary = self.vocabulary
        if word in vocabulary.unnamed_places:
            return False  # "镇里的同志": the caller's own town
        if word.endswith(vocabulary.place_endings):
            return True
        at = text.find(word)
        before, after = text[:at].rstrip(), text[at + len(word):].lstrip()
        return before.endswith(vocabulary.place_before) or after.startswith(vocabulary.place_after)

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

    def _items(self, text: str, figures: list[Figure], prefer: Sequence[str]) -> list[str]:
        """Items named by the policy's words, else by the callers' words for them ("机器代人")."""
        markers = self.vocabulary.qualifier_markers
        for reading in (text, self.tokenizer.in_policy_words(text)):
            items = [item for item in entities.rank_items(reading, figures, self.rulebook, markers,
                                                          self.vocabulary.negation, prefer)
                     if not self._names_document(item, reading)]
            if items:
                return items
        return []

    def _parts(self, text: str) -> list[str]:
        """The search texts of the questions a message asks one after another ("…多少个？…几家？")."""
        return [self._search_text(piece) for piece in self._questions(text)]

    def _questions(self, text: str) -> list[str]:
        pieces = [piece for piece in QUESTION_BREAK.split(text) if WORD_CHARS.search(piece)]
        if len(pieces) < 2 and any(marker in text for marker in self.vocabulary.enumerators["first"]):
            # "一是…二是…": each later marker opens the next question.
            later = "|".join(map(re.escape, self.vocabulary.enumerators["next"]))
            pieces = [piece for piece in re.split(rf"(?=(?:{later}))", text) if WORD_CHARS.search(piece)]
        return pieces if len(pieces) >= 2 else []

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

    def _segments(self, message: str, figures: list[Figure], prefer: Sequence[str]) -> list[Segment]:
        """The message's clauses, each with its figures, items and facts. English clauses joined by
        "and" are clauses of their own ("robots for 2 million yuan and 800,000 yuan on IoT")."""
        segments, start = [], 0
        for match in [*SEGMENT_BREAK.finditer(message), None]:
            end = match.start() if match else len(message)
            folded = self.sound_alikes.repair(fold(message[start:end])).text
            if folded:
                inside = [f for f in figures if start <= f.start < end]
                items = entities.rank_items(folded, inside, self.rulebook, self.vocabulary.qualifier_markers,
                                            prefer=prefer)
                segments.append(Segment(text=folded, items=items,
                                        figures=inside, facts=entities.stated_facts(folded, self.vocabulary)))
            start = match.end() if match else end
        return segments

    # ── topic ──────────────────────────────────────────────────────────────────────────
    def _asking_clauses(self, text: str) -> str:
        """The clauses of a message that ask (a question mark or a question word): what is asked is
        read there, not in the caller's account around it ("领导让我写材料……亩均产出要求是多少？"
        asks about output per mu, not about materials). The whole text when no clause asks."""
        pieces = _ASKED_PIECES.split(text)
        clauses = ["".join(pieces[i:i + 2]) for i in range(0, len(pieces), 2)]
        asking = [clause for clause in clauses if clause.strip() and (
            any(mark in clause for mark in "？?") or any(word in clause for word in self.vocabulary.question_words
                                                        if not word.isascii())
            or self._opens_english_question(clause))]
        return "，".join(asking) if asking and len(clauses) > 1 else text

    def _opens_english_question(self, clause: str) -> bool:
        """An English clause asks when it opens with an interrogative ("which documents…, and what…?")."""
        first = _FIRST_WORD.match(clause)
        return first is not None and first.group(1) in self.vocabulary.question_words

    def _names_document(self, item: str, text: str) -> bool:
        """Every keyword of the item in the text stands right before a word for a document
        ("未来工厂政策什么时候到期", "this future factory policy"): it names the policy, not the item."""
        words = [fold(w) for w in (*self.rules[item].keywords.zh, *self.rules[item].keywords.en)]
        spans = [(m.start(), m.end()) for w in words for m in re.finditer(re.escape(w), text)]
        return bool(spans) and all(
            (after := self.vocabulary.document_nouns.search(text[end:end + DOCUMENT_NOUN_REACH])) is not None
            and after.start() <= 2 for _, end in spans)

    def _item_by_label(self, figures: list[Figure]) -> str | None:
        """"收入1400万" with no item named: the one item whose money inputs are named by the figure's
        label (服务本区企业数字化改造的收入); None when no item or several are (投资额)."""
        found: dict[str, int] = {}
        for figure in figures:
            # Words of what is asked (金额, 标准) name no input of their own, nor do words of the
            # policy's whole subject (改造 of 数字化改造). Callers' words read as the policy's (营收 → 收入).
            label = self.tokenizer.in_policy_words(fold(figure.label))
            words = [w for w in self.tokenizer.tokens(label) if len(w) >= LABEL_WORD_MIN_CHARS
                     and not any(w in cues for cues in self.vocabulary.asked.values())
                     and not any(w in term for term in self.vocabulary.generic_terms)]
            for rule in self.rulebook.rules:
                shared = max((sum(w in spec.label.zh for w in words) for spec in rule.inputs
                              if spec.kind == "money" and spec.required), default=0)
                if shared:
                    found[rule.id] = max(found.get(rule.id, 0), shared)
        best = max(found.values(), default=0)
        # The one item whose input the label names with most words ("服务 收入" → the providers' 收入).
        leaders = [item for item, shared in found.items() if shared == best]
        return leaders[0] if len(leaders) == 1 else None

    def _item_for_parts(self, item: str | None, named: list[str], figures: list[Figure]) -> str | None:
        """Equipment and software figures belong to a project item with those parts: a topic
        item without parts does not take them ("设备200万软件130万" after a robot question), an
        item named in a policy that has no such project does ("智能仓储改造设备投资300万")."""
        if not any(f.part for f in figures) or item is None:
            return item
        if self._has_parts(item):
            return item
        with_parts = [other for other in named if self._has_parts(other)]
        doc_id = self.rules[item].doc_id
        if not with_parts and item in named and not any(self._has_parts(rule.id) for rule in self.rules.values()
                                                          if rule.doc_id == doc_id):
            return item  # its policy has no project of parts: the figure is the named item's one amount
        return with_parts[0] if with_parts else None

    def _has_parts(self, item: str) -> bool:
        base = self.rules[item].base
        return bool(base and base.parts)

    def _search_text(self, text: str) -> str:
        """The clauses that carry the question (not the caller's introduction), with the policy's
        typo corrections and callers' words."""
        text = self.topic.keep(text)
        for wrong, right in self.corrections.items():
            text = text.replace(wrong, right)
        return self.tokenizer.expand(text)
