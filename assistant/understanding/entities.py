"""What a message names: subsidy items, enterprise facts, certification levels, years and
other policies. Items and levels come from the calculator rules (keywords, choice labels and
aliases); facts from corpus/vocabulary/facts.yaml."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from assistant.language.text import CLAUSE_BREAK, fold
from assistant.language.vocabulary import Cues, Vocabulary
from assistant.understanding.question import Figure, LevelMention, Question
from calculators import Input, Rule, RuleBook, match_items
from calculators.reading import read_yes_no

# How far before a fact a negation may stand ("不是小微企业", "并非制造业", "no longer a small"):
# the longest negation word plus a space, within the fact's clause.
NEGATION_REACH = 10
# How far before an item's word a negation makes it absent: "没有买机器人" (3), "with no robots" (3).
ITEM_NEGATION_REACH = 4
ENGLISH_NEGATION_WORDS = 2
# How far before a level the words naming it as the earlier one may stand ("原来是市级").
EARLIER_REACH = 6
# How far before a single level the words naming it as held before may stand ("之前已经评上了",
# "previously recognised as a").
HELD_REACH = 30
# Other policies are named by title in 《》 or by document number (富政办〔2019〕20号).
_POLICY_TITLE = re.compile(r"《[^》]{2,60}》")
_DOCUMENT_NUMBER = re.compile(r"[\u4e00-\u9fff]{0,6}[〔\[(（]\s*(?:19|20)\d{2}\s*[〕\])）]\s*\d+\s*号")
# The longest yes/no word (calculators/yes_no.yaml) in Chinese characters ("不符合").
YES_NO_LONGEST = 4
# A short answer's first word ("是的，我们是" → 是的).
_LEADING_WORD = re.compile(r"[^\s，,。.！!？?；;、]+")
_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?=\s*年|\s*[〕\])）]|\s*版)")


def stated_facts(folded: str, vocabulary: Vocabulary, fields: frozenset[str] | None = None) -> dict[str, bool]:
    """Yes/no facts the text states; a negation right before a fact makes it false. Titles of
    policies named (《…制造业…》) state nothing about the enterprise."""
    folded = _POLICY_TITLE.sub("《》", folded)
    facts: dict[str, bool] = {}
    for field, cues in vocabulary.facts.items():
        if fields is not None and field not in fields:
            continue
        match = cues.search(folded)
        if match:
            before = CLAUSE_BREAK.split(folded[max(0, match.start() - NEGATION_REACH):match.start()])[-1]
            facts[field] = not vocabulary.negation.ends(before.rstrip())
    return facts


_ENGLISH_LEVEL = re.compile(r"(?<=[a-z]) level(?= )")


def _names(choice) -> list[str]:
    return sorted({fold(n) for n in (choice.label.zh, choice.value, *choice.aliases)
                   if n and n != "none"}, key=len, reverse=True)


def find_choices(spec: Input, folded: str) -> list[tuple[int, str]]:
    """(position, choice value) for every choice named in the text, longest names first."""
    found: list[tuple[int, str]] = []
    taken: list[range] = []
    for choice in spec.choices or []:
        for name in _names(choice):
            # "a provincial-level Future Factory" names the provincial Future Factory: in English
            # names, "level" after a word may be said or left out.
            words = _ENGLISH_LEVEL.sub("", name).split(" ")
            match = re.search(r"(?: level)? ".join(map(re.escape, words)), folded)
            start = match.start() if match else -1
            if match and not any(start in span for span in taken):
                found.append((start, choice.value))
                taken.append(range(start, match.end()))
                break
    return sorted(found)


def levels_named(rule: Rule, folded: str, vocabulary: Vocabulary) -> list[LevelMention]:
    """The levels of the item's level ladder the text names, each marked when it is named as
    the level held before."""
    if rule.tier_input is None:
        return []
    named = find_choices(rule.input(rule.tier_input), folded)
    return [LevelMention(item=rule.id, input=rule.tier_input, value=value, tier=rule.tier_rank(value),
                         position=position,
                         earlier=vocabulary.earlier_level.ends(folded[max(0, position - EARLIER_REACH):position]))
            for position, value in named]


def owned_levels(levels: list[LevelMention], folded: str, rulebook: RuleBook, items: list[str]) -> list[LevelMention]:
    """With several items named, a level word is the level of the item it qualifies — the one named
    next after it in its clause ("国家级智能制造试点示范和省级上云标杆"), else the one before it ("上云标杆
    是省级的") — and not of the others whose ladder has a level of the same name."""
    if len(items) < 2:
        return levels
    rules = {rule.id: rule for rule in rulebook.rules}
    spans = [(start, item) for item in items for word in (*rules[item].keywords.zh, *rules[item].keywords.en)
             for start in _all_starts(folded, word.lower())]

    def owner(position: int) -> str | None:
        clause_start = position - len(CLAUSE_BREAK.split(folded[:position])[-1])
        clause_end = position + len(CLAUSE_BREAK.split(folded[position:])[0])
        after = sorted((start, item) for start, item in spans if position <= start < clause_end)
        before = sorted((start, item) for start, item in spans if clause_start <= start < position)
        return after[0][1] if after else before[-1][1] if before else None

    return [level for level in levels if owner(level.position) in (level.item, None)]


def _one_policy_per_name(named: list[str], spans: dict[str, list[tuple[int, int]]], rules: dict[str, Rule],
                         prefer: Sequence[str]) -> list[str]:
    """Of items of different policies named by the very same words ("机器人补贴" in two policies'
    robot items), the item of the policy that comes first in `prefer` (library order otherwise)."""
    def rank(item: str) -> int:
        doc_id = rules[item].doc_id
        return prefer.index(doc_id) if doc_id in prefer else len(prefer)

    def shadowed(item: str) -> bool:
        return any(rules[other].doc_id != rules[item].doc_id and (rank(other), named.index(other)) < (
            rank(item), named.index(item)) and set(spans[item]) <= set(spans[other]) for other in named)

    return [item for item in named if not shadowed(item)]


def _all_starts(text: str, word: str) -> list[int]:
    return [match.start() for match in re.finditer(re.escape(word), text)] if word else []


def rank_items(folded: str, figures: list[Figure], rulebook: RuleBook, markers: Cues | None = None,
               negations: Cues | None = None, prefer: Sequence[str] = ()) -> list[str]:
    """Items named, best first: the head of the phrase before an item named in a qualifier
    ("通过服务商购买的云服务": the cloud service), then an item whose keyword labels a figure
    ("规划设计费8000元"), then one that takes money when figures are given, then the longest keyword.
    Words naming items of several policies name the item of the policy first in `prefer`."""
    rules = {rule.id: rule for rule in rulebook.rules}
    # "规划设计的费用" names 规划设计费用: the particle 的 never changes which item is meant.
    plain = folded.replace("的", "")
    spans = {item: _keyword_spans(rules[item], plain) for item in match_items(rulebook, plain)}
    # An item named only inside another's longer name ("技术改造" inside "“1+N”技术改造试点") is not named.
    named = [item for item, own in spans.items()
             if not all(any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0]
                            for other, others in spans.items() if other != item for o in others)
                        for s in own)]
    named = _without_shared(named, spans, rules, plain)
    named = _one_policy_per_name(named, spans, rules, prefer)
    if negations is not None:
        # "with no industrial robots", "没有机器人": an item named only as absent is not the item.
        named = [item for item in named if not all(_negated(plain, start, negations) for start, _ in spans[item])]
    labels = [fold(f.label) for f in figures]

    def labelled(item: str) -> bool:
        words = [fold(w) for w in rules[item].keywords.zh + rules[item].keywords.en]
        return any(word in label for word in words for label in labels)

    def takes_money(item: str) -> bool:
        return bool(figures) and any(spec.kind == "money" for spec in rules[item].inputs)

    def qualifying(item: str) -> bool:
        return markers is not None and all(_in_qualifier(plain, span, spans, item, markers) for span in spans[item])

    return sorted(named, key=lambda item: (qualifying(item), not labelled(item), not takes_money(item)))


# How far after a qualifier's marker an item's keyword may stand and still be inside it: "通过我们合作的服务商"
# (6 characters between), "through a local service provider" (8).
QUALIFIER_REACH = 12


def _in_qualifier(text: str, span: tuple[int, int], spans: dict[str, list[tuple[int, int]]], item: str,
                  markers: Cues) -> bool:
    """The keyword at `span` follows a qualifier's marker in its clause, and another item is named
    in the same clause — after it ("通过服务商购买的云服务") or before the marker ("cloud storage
    through a service provider"): it qualifies that item, it is not the head."""
    before = CLAUSE_BREAK.split(text[max(0, span[0] - QUALIFIER_REACH):span[0]])[-1]
    found_markers = markers.finditer(before)
    if not found_markers:
        return False
    marker = found_markers[-1]  # the marker nearest the keyword
    marker_end = span[0] - len(before) + marker.end()
    if any(marker_end <= start and stop <= span[0] for other, found in spans.items() if other != item
           for start, stop in found):
        return False  # another item stands between the marker and this one: the marker is that item's
    start_of_clause = span[0] - len(CLAUSE_BREAK.split(text[:span[0]])[-1])
    end_of_clause = span[1] + len(CLAUSE_BREAK.split(text[span[1]:])[0])
    return any(start_of_clause <= start and stop <= end_of_clause and (start >= span[1] or stop <= span[0])
               for other, found in spans.items() if other != item for start, stop in found)


def answer_value(spec: Input, question: Question) -> Any:
    """The value a short answer gives for the input the assistant asked for, or None."""
    if spec.kind == "money":
        values = {f.value_yuan for f in question.input_figures}
        return values.pop() if len(values) == 1 else None
    if spec.kind == "choice":
        named = find_choices(spec, question.text)
        return named[-1][1] if named else None
    leading = _LEADING_WORD.match(question.text)
    word = leading.group(0) if leading else ""
    # The answer opens with yes or no ("是的我们是", "不确定"): the longest opening word read wins.
    for length in range(min(len(word), YES_NO_LONGEST), 0, -1):
        try:
            return read_yes_no(word[:length])
        except ValueError:
            continue
    return None


def _without_shared(named: list[str], spans: dict[str, list[tuple[int, int]]], rules: dict[str, Rule],
                    text: str) -> list[str]:
    """An item named only by words the policy also uses in another named item's own sentence
    ("按进档差额" is said of both the Future-Factory ladder and the platform's) is not named when
    that other item is named by words of its own ("工业互联网平台…按进档差额算")."""
    quotes = {item: _folded_quote(rules[item].quote or "") for item in named}

    def words(item: str) -> set[str]:
        return {text[start:stop] for start, stop in spans[item]}

    def shared_with(item: str, other: str) -> bool:
        return all(word in quotes[other] for word in words(item)) \
            and any(word not in quotes[item] for word in words(other))

    return [item for item in named if not any(shared_with(item, other) for other in named if other != item)]


@lru_cache(maxsize=256)
def _folded_quote(quote: str) -> str:
    """A rule's quote folded once, not on every message that names its item."""
    return fold(quote)


def _negated(text: str, start: int, negations: Cues) -> bool:
    """A negation right before the word at `start`: the few characters before it in Chinese, the
    two words before it in English ("with no industrial robots")."""
    if start and text[start - 1].isascii():
        return negations.search(" ".join(text[:start].split()[-ENGLISH_NEGATION_WORDS:])) is not None
    return negations.search(text[max(0, start - ITEM_NEGATION_REACH):start]) is not None


def _keyword_spans(rule: Rule, folded: str) -> list[tuple[int, int]]:
    spans = []
    for word in (*rule.keywords.zh, *rule.keywords.en):
        start = folded.find(word.lower())
        if start >= 0:
            spans.append((start, start + len(word)))
    return spans


def years_named(text: str) -> list[int]:
    return sorted({int(year) for year in _YEAR.findall(text)})


def policies_named(text: str) -> list[str]:
    return list(dict.fromkeys(_POLICY_TITLE.findall(text) + _DOCUMENT_NUMBER.findall(text)))
