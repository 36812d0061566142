"""The clauses of a message that carry its question.

A caller often introduces themselves before asking ("我是做纸品的，厂里七八十个人，老板让我问问，
买机器人有补贴吗"). Those clauses share no words with the policy, so searched with the rest they
lower every clause's BM25 score alike and pull down the share of the question the corpus knows
(the coverage that decides "not found"). `TopicClauses.keep` drops them from the text searched:
a clause stays when it carries a policy term, an item keyword, a callers' word, an amount of
money, a question word or mark, a cue of what is asked, a reference to the document, or is
mostly words the policy text itself uses. A message of one clause, or one whose clauses all stay, is
returned unchanged; when no clause carries anything, the whole message is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.language.tokenizer import Tokenizer, read_stopwords
from assistant.language.vocabulary import Vocabulary
from assistant.retrieval.lexical import LexicalIndex
from calculators import RuleBook, match_items
from calculators.reading import find_amounts

# corpus/vocabulary/question_words.txt, beside the user dictionary.
QUESTION_WORDS_FILE = "question_words.txt"
# Clause breaks, as understand.py splits a message, with the break kept to see a question mark.
_PIECES = re.compile(r"([，。；;,！!？?\n])")
_QUESTION_MARKS = "？?"
# A clause with none of the marks above stays when most of it is the policy's language: the
# IDF-weighted share of its words of two or more characters that the policy text uses (the
# lexical index's coverage, the measure behind "not found") is at least this. Half: "我们想搞人才
# 培训" (人才, 培训) stays; "我们企业是做纸品的" (企业 stands in half the policy, 纸品 in none of it),
# "在富阳这边干了十几年了" or "听朋友说有这么个政策" (one policy word among others) go. Single
# characters (不, 大, 做, 人) are in the policy and in any sentence alike, so they do not count.
CLAUSE_COVERAGE = 0.5
_ASCII_WORD = re.compile(r"[a-z]+")


class TopicClauses:
    def __init__(self, tokenizer: Tokenizer, vocabulary: Vocabulary, rulebook: RuleBook, terms: Iterable[str],
                 policy: LexicalIndex | None) -> None:
        """`policy` is the library's clauses as the lexical index reads them (the retriever's)."""
        self.tokenizer = tokenizer
        self.rulebook = rulebook
        self.vocabulary = vocabulary
        ordered = sorted({t for t in terms if t}, key=len, reverse=True)
        self._terms = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        words = read_stopwords(tokenizer.vocabulary_dir / QUESTION_WORDS_FILE)
        self._question_words = frozenset(w for w in words if _ASCII_WORD.fullmatch(w))
        chinese = sorted((w for w in words if w not in self._question_words), key=len, reverse=True)
        self._chinese_question = re.compile("|".join(map(re.escape, chinese))) if chinese else None
        self.policy = policy

    def keep(self, folded: str) -> str:
        """The clauses of the folded message that carry its topic or question, in order."""
        pieces = _PIECES.split(folded)
        clauses = [(pieces[i].strip(), pieces[i + 1] if i + 1 < len(pieces) else "")
                   for i in range(0, len(pieces), 2)]
        clauses = [(text, mark) for text, mark in clauses if text]
        if len(clauses) < 2:
            return folded
        kept = [text for text, mark in clauses if (mark and mark in _QUESTION_MARKS) or self.on_topic(text)]
        if not kept or len(kept) == len(clauses):
            return folded
        return "，".join(kept)

    def on_topic(self, clause: str) -> bool:
        """The clause carries something of the policy or of a question (cheapest checks first)."""
        vocabulary = self.vocabulary
        if self._terms and self._terms.search(clause):
            return True
        if self._chinese_question and self._chinese_question.search(clause):
            return True
        if self._question_words & set(_ASCII_WORD.findall(clause)):
            return True
        if any(clause in cues for cues in vocabulary.asked.values()) or clause in vocabulary.self_reference:
            return True
        if self.tokenizer.callers_words(clause) or match_items(self.rulebook, clause) or find_amounts(clause):
            return True
        words = [word for word in self.tokenizer.tokens(clause) if len(word) >= 2]
        return self.policy is not None and self.policy.coverage(words) >= CLAUSE_COVERAGE

