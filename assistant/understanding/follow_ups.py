"""Whether a message continues the conversation's topic, and what a follow-up's bare words mean
there: "那上限呢", "那500万呢", "那省级的呢", "我们一年里买了三次，能补几次", "那到什么时候截止"."""

from __future__ import annotations

import re

from assistant.dialogue.state import ConversationState
from assistant.language.text import fold
from assistant.language.tokenizer import Tokenizer
from assistant.language.vocabulary import Vocabulary
from assistant.understanding.entities import EARLIER_REACH
from assistant.understanding.question import Asked, Figure, FigureRole, LevelMention
from calculators import RuleBook

# Characters of words (CJK or Latin letters and digits): how long a message is without its punctuation.
WORD_CHARS = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")
# A follow-up of at most this many characters or English words with no topic of its own leans
# on the conversation's topic: "那上限呢" (4), "每年都能拿吗" (6), "如果是小微企业呢" (8). Longer
# messages usually carry their own topic; 12 leaves room for a polite word or two.
FOLLOW_UP_MAX_CHARS = 12
# A question about a figure of the policy that names nothing of the policy is asked of the topic
# when it is at most this long: a caller's account of a sentence or two around it ("我们一年里买了
# 三次，能补几次" is 13); longer messages tell a story of their own and are read on their own.
TOPIC_QUESTION_MAX_CHARS = 30
# Level words a follow-up names alone ("那省级的呢", "and the provincial one?").
_LEVEL_WORDS = re.compile(r"国家级|国家|省级|市级|区级|national|provincial|city")
# What is asked of a figure or a condition of the policy.
_FIGURE_OR_CONDITION = frozenset({Asked.AMOUNT, Asked.RATE, Asked.CAP, Asked.THRESHOLD, Asked.CONDITION, Asked.COUNT})


class FollowUps:
    def __init__(self, vocabulary: Vocabulary, rulebook: RuleBook, tokenizer: Tokenizer) -> None:
        self.vocabulary = vocabulary
        self.rules = {rule.id: rule for rule in rulebook.rules}
        self.tokenizer = tokenizer

    def continues(self, text: str, figures: list[Figure], asked: list[Asked], topic_item: str | None) -> bool:
        """A message naming no item continues the topic: it leans back on it, names a level of the
        topic item's ladder alone, or asks of a figure of the policy without naming the policy."""
        return (self._leans_back(text, figures) or bool(topic_item and self.topic_levels(topic_item, text))
                or self._asks_of_topic(text, asked))

    def topic_levels(self, item: str, text: str) -> list[LevelMention]:
        """A bare level in a follow-up ("那省级的呢") on the topic item's ladder: the levels whose
        name starts with it."""
        rule = self.rules[item]
        if rule.tier_input is None:
            return []
        spec = rule.input(rule.tier_input)
        found = []
        for match in _LEVEL_WORDS.finditer(text):
            word, before = match.group(0), text[max(0, match.start() - EARLIER_REACH):match.start()]
            # "以前拿过省级的": the level held and paid before, not the one reached now.
            earlier = self.vocabulary.earlier_level.ends(before) or self.vocabulary.held_before.ends(before)
            for choice in spec.choices or []:
                if fold(choice.label.zh).startswith(word) or choice.label.en.lower().startswith(word):
                    found.append(LevelMention(item=item, input=spec.name, value=choice.value,
                                              tier=rule.tier_rank(choice.value), position=match.start(),
                                              earlier=earlier))
        return found

    def end_of_document(self, asked: list[Asked], text: str, follow_up: bool,
                        state: ConversationState) -> list[Asked]:
        """"那到什么时候截止" right after a question on the policy's dates asks when the policy ends;
        a deadline for applying is asked with a word for applying ("申报截止是哪天")."""
        about_dates = {Asked.VALIDITY.value, Asked.DATE.value} & set(state.topic.asked)
        if follow_up and about_dates and Asked.DEADLINE in asked and text not in self.vocabulary.applying:
            return [Asked.VALIDITY if kind is Asked.DEADLINE else kind for kind in asked]
        return asked

    def _leans_back(self, text: str, figures: list[Figure]) -> bool:
        """It carries figures for the topic ("那500万呢") or opens or closes like a follow-up
        ("那上限呢", "What about the cap?")."""
        vocabulary = self.vocabulary
        if text in vocabulary.self_reference:
            return False  # "这个政策…" is about the document, not the topic
        opener = vocabulary.follow_up_openers.search(text)
        if opener and opener.start() == 0 and vocabulary.follow_up_adding.search(text[:opener.end() + 2]) \
                and self._own_terms(text):
            opener = None  # "另外首席信息官有什么要求": a question of its own, added
        bare = WORD_CHARS.findall(text)
        return (any(f.role is not FigureRole.SUBSIDY for f in figures)
                or bool(opener and opener.start() == 0)
                or vocabulary.follow_up_closers.ends(text.rstrip("?？.。!！ "))
                or text in vocabulary.follow_up_pointers
                # A short message that names nothing of its own ("每年都能拿吗", "cap?") is about the topic.
                or (len(bare) <= FOLLOW_UP_MAX_CHARS and text not in vocabulary.courtesy))

    def elliptical(self, text: str) -> bool:
        """"数字化车间呢", "And a smart factory?": a short message that opens or closes like a
        follow-up, so it asks the last question again of what it names."""
        vocabulary = self.vocabulary
        opener = vocabulary.follow_up_openers.search(text)
        return len(WORD_CHARS.findall(text)) <= FOLLOW_UP_MAX_CHARS and (
            bool(opener and opener.start() == 0) or vocabulary.follow_up_closers.ends(text.rstrip("?？.。!！ ")))

    def _own_terms(self, text: str) -> bool:
        """The text names a term of the policy more specific than its general words."""
        return any(term in text and term not in self.vocabulary.generic_terms for term in self.tokenizer.domain_terms)

    def _asks_of_topic(self, text: str, asked: list[Asked]) -> bool:
        """"我们一年里买了三次，能补几次": a question about a figure or a condition of the policy that
        names nothing of the policy itself (no item, no term of the policy) asks it of the topic,
        however long the caller's account around it is."""
        return (bool(set(asked) & _FIGURE_OR_CONDITION) and len(WORD_CHARS.findall(text)) <= TOPIC_QUESTION_MAX_CHARS
                and not any(term in text for term in self.tokenizer.domain_terms)
                and text not in self.vocabulary.self_reference)
