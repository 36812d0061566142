"""Sound-alike repair: a policy term typed with a character of the same sound.

Pinyin input methods offer every character of a syllable, so the commonest slip in a typed
Chinese question is the right sound with the wrong character: 机器仁 for 机器人, 数字画车间 for
数字化车间, 智能制照 for 智能制造. Such a span shares no word with the policy, so retrieval and
item matching miss it. `SoundAlikes` finds, in a folded message, the spans that read like one of
the policy's own terms (its user dictionary, the calculator items' keywords, level names, the
glossary) with a character or two different, and rewrites them to the term.

It is cautious by construction: only terms of `MIN_TERM_CHARS` or more, only runs of Chinese
characters (digits and Latin text are never touched), most of a term's characters must be typed
as the term writes them, and a character is never changed when it belongs to a correctly typed
policy term or to an ordinary word the dictionary reads there ("机器任何" keeps its 任何).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin, pinyin

from assistant.language.data_files import read_yaml
from assistant.language.text import fold
from calculators import RuleBook

# Chosen by reading every word of jieba's dictionary (337,443 words of two or more Chinese
# characters) as a message, without the dictionary guards below: with the policy's two-character
# terms indexed, 348 ordinary words held a span read as a term (一上 → 以上, 不妨 → 不含, 上尉 → 上云);
# with terms of three or more characters only, 14 did (国家机关 → 国家级, 服务上门 → 服务商), and
# the guards (the span is a word; a changed character belongs to a word reaching out of the
# span) stop all 14; the confusions below added 2 of them (两性空间 → 新空间). The policy text
# itself is never rewritten (tests/test_spelling.py).
MIN_TERM_CHARS = 3
# Fewer than half of a term's characters may differ, and never more than this: one in a term
# of three or four characters (机器仁, 只能工厂), up to two from five on (数字画车间, 公业互连网平台).
# The dictionary count above was the same for a limit of half or of three, so the limit is set
# by what a slip is: most of what was typed is the term as written.
MAX_CHANGED = 2
# Syllable confusions of Southern and Wu-area Mandarin speakers and of the input methods' own
# fuzzy-pinyin settings (the pairs Sogou and Microsoft Pinyin offer as 模糊音): a typist who
# does not tell n from l or zh from z picks the character of the other sound. Each pair is
# written (from, to): both sides are read as `to`. Initials first, then finals.
INITIAL_CONFUSIONS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("f", "h"))
FINAL_CONFUSIONS = (("ing", "in"), ("eng", "en"), ("ang", "an"))

# Pinyin spelled out for at least this many characters of a term ("jiqi" for 机器): one syllable
# alone ("yun") is as likely an abbreviation or an English word.
MIN_PINYIN_CHARS = 2
# Letters typed as pinyin, syllables run together or apart ("shuzihua chejian", "shi级").
_LETTER_RUN = re.compile(r"(?<![a-z])[a-z]{2,}(?:\s+[a-z]{2,})*(?![a-z])")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_QUOTES = re.compile(r"[“”\"'‘’「」《》〈〉]")

Words = Callable[[str], list[tuple[str, int, int]]]  # text -> (word, start, end), as jieba.tokenize
# The policy's glossary (zh → agreed English), beside the user dictionary; its Chinese terms
# join the vocabulary when the file is there.
GLOSSARY_FILE = "glossary.yaml"


def plain_syllable(syllable: str) -> str:
    """A toneless syllable with the confusable sounds merged: zhang → zan, ning → lin, fu → hu."""
    for written, read in INITIAL_CONFUSIONS:
        if syllable.startswith(written):
            syllable = read + syllable[len(written):]
            break
    for written, read in FINAL_CONFUSIONS:
        if syllable.endswith(written):
            return syllable[: -len(written)] + read
    return syllable


@lru_cache(maxsize=8192)
def readings(char: str) -> frozenset[str]:
    """Every reading of one character, merged as `plain_syllable` does; empty for anything not Chinese."""
    if not _HAN.fullmatch(char):
        return frozenset()
    return frozenset(plain_syllable(s) for s in pinyin(char, style=Style.NORMAL, heteronym=True)[0] if s.isalpha())


def allowed_changes(length: int) -> int:
    """Fewer than half of the term's characters, at most MAX_CHANGED."""
    return min(MAX_CHANGED, (length - 1) // 2)


@dataclass(frozen=True)
class Repaired:
    text: str  # the folded text with every sound-alike span rewritten to its term
    corrections: list[tuple[str, str]] = field(default_factory=list)  # (as typed, the policy's term)


@dataclass(frozen=True)
class _Term:
    text: str
    syllables: tuple[str, ...]  # read as a phrase (行业 → hang ye), merged as plain_syllable does


class SoundAlikes:
    """The policy's terms indexed by the sound of their first two characters.

    `words` splits text into dictionary words (jieba without new-word guessing) and `is_word`
    tells an ordinary word; both guard ordinary text that happens to sound like a term."""

    def __init__(self, terms: Iterable[str], *, words: Words | None = None,
                 is_word: Callable[[str], bool] | None = None) -> None:
        folded = {_QUOTES.sub("", fold(str(term))) for term in terms}
        self.terms = frozenset(t for t in folded if len(t) >= 2 and _HAN_RUN.fullmatch(t))
        self._by_sound: dict[tuple[str, ...], list[_Term]] = {}
        for text in sorted(self.terms, key=lambda t: (-len(t), t)):
            if len(text) < MIN_TERM_CHARS:
                continue
            syllables = tuple(plain_syllable(s) for s in lazy_pinyin(text, style=Style.NORMAL))
            if len(syllables) != len(text):
                continue  # a character pypinyin cannot read
            self._by_sound.setdefault(syllables[:2], []).append(_Term(text, syllables))
        # A term's opening characters by their toneless pinyin typed as letters ("yunduan" → 云端
        # before 工厂): the input method's letters sent before they became characters.
        self._by_letters: dict[str, set[tuple[str, str]]] = {}
        for text in self.terms:
            spelled = lazy_pinyin(text, style=Style.NORMAL)
            if len(spelled) != len(text):
                continue
            # One character spelled is enough when the rest of the term follows in characters ("shi级").
            for k in range(1, len(text) + 1):
                if k >= MIN_PINYIN_CHARS or k < len(text):
                    self._by_letters.setdefault("".join(spelled[:k]), set()).add((text[:k], text[k:]))
        # Every term, two-character ones too: a character of a correctly typed term is never changed.
        ordered = sorted(self.terms, key=len, reverse=True)
        self._exact = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._words = words
        self._is_word = is_word or (lambda _: False)

    def repair(self, folded: str) -> Repaired:
        folded, typed = self._letters(folded)
        repaired = self._characters(folded)
        return Repaired(repaired.text, typed + repaired.corrections) if typed else repaired

    def _letters(self, folded: str) -> tuple[str, list[tuple[str, str]]]:
        """Pinyin letters in a Chinese message that spell a term's opening characters, with the rest
        of the term (or nothing) right after them: "市级yunduan工厂" → 市级云端工厂."""
        if not _HAN.search(folded):
            return folded, []
        corrections = []

        def spelled(match: re.Match) -> str:
            letters, after = re.sub(r"\s+", "", match.group(0)), folded[match.end():]
            options = {head for head, rest in self._by_letters.get(letters, ())
                       if after.startswith(rest) and (rest or len(head) >= MIN_PINYIN_CHARS)}
            if len(options) != 1:
                return match.group(0)
            corrections.append((match.group(0), options.pop()))
            return corrections[-1][1]

        return _LETTER_RUN.sub(spelled, folded), corrections

    def _characters(self, folded: str) -> Repaired:
        candidates = []
        for run in _HAN_RUN.finditer(folded):
            if run.end() - run.start() >= MIN_TERM_CHARS:
                candidates.extend(self._candidates(folded, run.start(), run.end()))
        if not candidates:
            return Repaired(folded)
        protected = self._protected(folded)
        chosen: list[tuple[int, int, str]] = []
        # Longer terms first, then fewer changes, then the earlier span; overlapping spans lose.
        for start, end, term, changed in sorted(candidates, key=lambda c: (c[0] - c[1], len(c[3]), c[0])):
            if any(start < e and s < end for s, e, _ in chosen):
                continue
            if any(p in protected for p in changed) or self._ordinary(folded, start, end, changed):
                continue
            chosen.append((start, end, term))
        if not chosen:
            return Repaired(folded)
        chosen.sort()
        pieces, last = [], 0
        for start, end, term in chosen:
            pieces += [folded[last:start], term]
            last = end
        pieces.append(folded[last:])
        return Repaired("".join(pieces), [(folded[start:end], term) for start, end, term in chosen])

    def _candidates(self, text: str, lo: int, hi: int) -> list[tuple[int, int, str, list[int]]]:
        """(start, end, term, changed positions) for spans of text[lo:hi] that read as a term."""
        found = []
        sounds = [readings(char) for char in text[lo:hi]]
        for start in range(lo, hi - MIN_TERM_CHARS + 1):
            first, second = sounds[start - lo], sounds[start - lo + 1]
            seen: set[str] = set()
            for key in ((a, b) for a in first for b in second):
                for term in self._by_sound.get(key, ()):
                    end = start + len(term.text)
                    if end > hi or term.text in seen:
                        continue
                    seen.add(term.text)
                    changed = _changed(text, start, term, allowed_changes(len(term.text)))
                    if changed:
                        found.append((start, end, term.text, changed))
        # Two terms read alike at one span (no such pair in the policy today): neither is sure.
        spans: dict[tuple[int, int], list] = {}
        for candidate in found:
            spans.setdefault(candidate[:2], []).append(candidate)
        return [options[0] for options in spans.values() if len(options) == 1]

    def _protected(self, text: str) -> set[int]:
        """Positions inside a policy term typed as the policy writes it."""
        if self._exact is None:
            return set()
        return {p for match in self._exact.finditer(text) for p in range(match.start(), match.end())}

    def _ordinary(self, text: str, start: int, end: int, changed: list[int]) -> bool:
        """The span is an ordinary word as typed, or a changed character belongs to a word that
        reaches out of the span ("机器任何补贴": 任 is part of 任何, not a slip for 人)."""
        if self._is_word(text[start:end]):
            return True
        if self._words is None:
            return False
        lo, hi = max(0, start - 3), min(len(text), end + 3)
        for word, a, b in self._words(text[lo:hi]):
            a, b = a + lo, b + lo
            if len(word) >= 2 and (a < start or b > end) and any(a <= p < b for p in changed):
                return True
        return False


def _changed(text: str, start: int, term: _Term, limit: int) -> list[int]:
    """Positions where text differs from the term while sounding the same; [] when the span is
    the term itself, a sound differs, or more than `limit` characters differ."""
    changed: list[int] = []
    for offset, (char, sound) in enumerate(zip(term.text, term.syllables, strict=True)):
        typed = text[start + offset]
        if typed == char:
            continue
        if sound not in readings(typed) or len(changed) == limit:
            return []
        changed.append(start + offset)
    return changed


def policy_terms(domain_terms: Iterable[str], rulebook: RuleBook, vocabulary_dir: Path | None = None) -> set[str]:
    """The policy's own vocabulary: the user dictionary's words, every item keyword, every
    choice label and alias of the calculator rules, and the glossary's terms when there is one."""
    terms = set(domain_terms)
    for rule in rulebook.rules:
        terms.update(rule.keywords.zh)
        for spec in rule.inputs:
            for choice in spec.choices or []:
                terms.update([choice.label.zh, *choice.aliases])
    glossary = vocabulary_dir / GLOSSARY_FILE if vocabulary_dir else None
    if glossary and glossary.exists():
        entries = (read_yaml(glossary) or {}).get("terms") or []
        terms.update(str(entry["zh"]) for entry in entries if isinstance(entry, dict) and entry.get("zh"))
    return terms
