"""The steering vocabulary in corpus/vocabulary/, checked by its schema (vocabulary_schema.py),
loaded once and compiled into matchers.

Reviewers edit word lists, not regular expressions: a cue is a phrase or a sequence of slots
of alternatives (see cues.yaml), compiled here into one pattern per list."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.language.data_files import read_yaml
from assistant.language.text import fold
from assistant.language.vocabulary_schema import CuesFile, FactsFile, Gap, PlacesFile, Refusal, RefusalsFile


def _alternatives(words: list[str]) -> str:
    options = sorted({fold(str(w)) for w in words if str(w)}, key=len, reverse=True)
    body = "|".join(_word(w) for w in options)
    optional = "" in [str(w) for w in words]
    return f"(?:{body})?" if optional else f"(?:{body})"


def _word(phrase: str) -> str:
    # English phrases match whole words ("plan" is not in "planet"); Chinese has no word
    # breaks, so a Chinese character next to a Latin word counts as a break ("符合gb/t12643").
    escaped = re.escape(phrase)
    if phrase[:1].isascii() and phrase[:1].isalnum():
        escaped = rf"(?<![a-z0-9]){escaped}"
    if phrase[-1:].isascii() and phrase[-1:].isalnum():
        escaped = rf"{escaped}(?![a-z0-9])"
    return escaped


def _cue_pattern(cue: Any) -> str:
    if isinstance(cue, str):
        return _word(fold(cue))
    slots = []
    for slot in cue:
        if isinstance(slot, dict | Gap):
            gap = slot["gap"] if isinstance(slot, dict) else slot.gap
            slots.append(f".{{0,{int(gap)}}}?")
        elif isinstance(slot, str):
            # A bare word in a sequence would be read letter by letter: one group is written [[a, b]].
            raise ValueError(f"cue {cue!r}: a word in a sequence must be in a list of alternatives: {slot!r}")
        else:
            slots.append(_alternatives(slot))
    # Words of a sequence may be typed with spaces between them ("which subsidies").
    return r"\s*".join(slots)


class Cues:
    """Any of a list of cues, found in folded text."""

    def __init__(self, cues: list[Any]) -> None:
        self.cues = cues
        patterns = [_cue_pattern(cue) for cue in cues]
        self._any = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        self._at_end = re.compile(f"(?:{'|'.join(patterns)})$") if patterns else None

    def search(self, folded: str) -> re.Match | None:
        return self._any.search(folded) if self._any else None

    def __contains__(self, folded: str) -> bool:
        return self.search(folded) is not None

    def has_word(self, word: str) -> bool:
        """The word is one of the cues, or inside one ("能算" in "能算吗")."""
        return any(isinstance(cue, str) and word in fold(cue) for cue in self.cues)

    def finditer(self, folded: str) -> list[re.Match]:
        return list(self._any.finditer(folded)) if self._any else []

    def ends(self, folded: str) -> bool:
        return bool(self._at_end and self._at_end.search(folded))


class Vocabulary:
    """Every steering list, by the role it plays."""

    def __init__(self, folder: Path) -> None:
        cues = read_yaml(folder / "cues.yaml", CuesFile)
        facts = read_yaml(folder / "facts.yaml", FactsFile)
        self.calculate = Cues(cues["intents"]["calculate"])
        self.checkup = Cues(cues["intents"]["checkup"])
        self.tier_change = Cues(cues["intents"]["tier_change"])
        self.own_case = Cues(cues["intents"]["own_case"])
        self.asked = {kind: Cues(words) for kind, words in cues["asked"].items()}
        self.follow_up_openers = Cues(cues["follow_up"]["openers"])
        self.follow_up_pointers = Cues(cues["follow_up"]["pointers"])
        self.follow_up_closers = Cues(cues["follow_up"]["closers"])
        self.courtesy = Cues(cues["follow_up"]["courtesy"])
        self.follow_up_adding = Cues(cues["follow_up"]["adding"])
        self.self_reference = Cues(cues["self_reference"])
        self.evidence = {kind: Cues(words) for kind, words in cues["evidence"].items()}
        self.generic_terms = frozenset(cues["generic_terms"])
        self.qualifiers = Cues(cues["qualifiers"])
        self.several = Cues(cues["several"])
        self.operations = {name: Cues(words) for name, words in cues["operations"].items()}
        self.explain = Cues(cues["explain"])
        self.rule_question = Cues(cues["rule_question"])
        self.applying = Cues(cues["applying"])
        self.qualifier_markers = Cues(cues["qualifier_markers"])
        self.number_wanted = Cues(cues["number_wanted"])
        self.total_asked = Cues(cues["total_asked"])
        self.compare = Cues(cues["compare"])
        self.document_nouns = Cues(cues["document_nouns"])
        self.yes_no_question = Cues([*cues["rule_question"], *cues["yes_no_question"]])
        self.enterprise_nouns = frozenset(fold(word) for word in cues["enterprise_nouns"])
        self.money_nouns = {kind: tuple(fold(word) for word in words) for kind, words in cues["money_nouns"].items()}
        self.outside_policy = Cues(cues["outside_policy"])
        self.recognised_as = Cues(cues["recognised_as"])
        self.enumerators = {key: tuple(words) for key, words in cues["enumerators"].items()}
        self.recognition_levels = frozenset(cues["recognition_levels"])
        self.question_words = frozenset(
            word for line in (folder / "question_words.txt").read_text(encoding="utf-8").splitlines()
            if not line.startswith("#") for word in line.split())
        self.facts = {name: Cues(words) for name, words in facts["enterprise_facts"].items()}
        self.general_facts = frozenset(facts["general_facts"])
        self.nothing_received = Cues(facts["nothing_received"])
        self.negation = Cues(facts["negations"])
        labels = facts["figure_labels"]
        self.received = Cues(labels["received"])
        copulas = [""] + list(labels["subsidy_figure_copulas"])
        self.subsidy_figure = Cues([[labels["subsidy_figure"], copulas]])
        self.parts = {name: Cues(words) for name, words in labels["parts"].items()}
        self.absent_parts = {name: Cues(words) for name, words in labels["absent_parts"].items()}
        self.both_parts = Cues(labels["both_parts"])
        self.total = Cues(labels["total"])
        self.including = Cues(labels["including"])
        self.outside_base = Cues(labels["outside_base"])
        self.other_government = Cues(labels["other_government"])
        self.earlier_level = Cues(labels["earlier_level"])
        self.held_before = Cues(labels["held_before"])
        self.rule_figure_after = Cues(labels["rule_figure_after"])
        self.spent = Cues(labels["spent"])
        self.per_unit = Cues(labels["per_unit"])
        self.subset = Cues(labels["subset"])
        self.from_elsewhere = Cues(labels["from_elsewhere"])
        self.unit_words = tuple(labels["unit_words"])
        self.unit_letters = {letter.lower(): unit for letter, unit in labels["unit_letters"].items()}
        self.had_before = Cues(facts["had_before"])
        self.refusals = RefusalsFile.model_validate(read_yaml(folder / "refusals.yaml", RefusalsFile)).root
        self._refusal_cues = [(r, Cues(r.cues), Cues(r.unless)) for r in self.refusals]
        places = read_yaml(folder / "places.yaml", PlacesFile)
        self.home_places = tuple(places["home"])
        self.elsewhere = tuple(places["elsewhere"])
        self.place_endings = tuple(places["place_endings"])
        self.place_before = tuple(places["place_before"])
        self.place_after = tuple(places["place_after"])
        unnamed = places["unnamed_place"]
        self.unnamed_places = frozenset(level + locative for level in unnamed["levels"]
                                        for locative in unnamed["locatives"])

    def refusal_named(self, name: str) -> Refusal | None:
        return next((refusal for refusal in self.refusals if refusal.name == name), None)

    def refusal(self, folded: str) -> Refusal | None:
        return next((refusal for refusal, cues, unless in self._refusal_cues
                     if folded in cues and folded not in unless), None)
