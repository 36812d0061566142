"""The shape of each steering file in corpus/vocabulary/, checked when the vocabulary loads: a
misspelt key, a word where a list belongs or a fact the enterprise profile does not have fails
with the file and line instead of loading silently.

A cue is a phrase, or a sequence of slots: each slot a list of alternatives or {gap: n}."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from calculators import EnterpriseProfile


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Gap(_Strict):
    gap: int = Field(ge=0)


Slot = list[str] | Gap
Cue = str | list[Slot]
CueList = list[Cue]
Words = list[str]


def _profile_fields(names: list[str]) -> list[str]:
    unknown = sorted(set(names) - set(EnterpriseProfile.model_fields))
    if unknown:
        raise ValueError(f"not a field of the enterprise profile: {', '.join(unknown)}")
    return names


class Intents(_Strict):
    calculate: CueList
    checkup: CueList
    own_case: CueList
    tier_change: CueList


class FollowUp(_Strict):
    openers: CueList
    pointers: CueList
    closers: CueList
    adding: CueList
    courtesy: CueList


class Operations(_Strict):
    correct: CueList
    add: CueList
    remove: CueList


class MoneyNouns(_Strict):
    general: Words
    specific: Words
    general_en: Words
    specific_en: Words
    references: Words
    links: Words


class Enumerators(_Strict):
    first: Words
    next: Words


class CuesFile(_Strict):
    """cues.yaml. `asked` and `evidence` are keyed by what is asked; understanding checks the kinds."""

    intents: Intents
    asked: dict[str, CueList]
    several: CueList
    compare: CueList
    evidence: dict[str, CueList]
    qualifiers: CueList
    generic_terms: Words
    follow_up: FollowUp
    self_reference: CueList
    operations: Operations
    explain: CueList
    applying: CueList
    rule_question: CueList
    money_nouns: MoneyNouns
    recognised_as: CueList
    recognition_levels: Words
    outside_policy: CueList
    qualifier_markers: CueList
    number_wanted: CueList
    total_asked: CueList
    yes_no_question: CueList
    enterprise_nouns: Words
    document_nouns: CueList
    enumerators: Enumerators


class FigureLabels(_Strict):
    received: CueList
    other_government: CueList
    subsidy_figure: Words
    subsidy_figure_copulas: Words
    spent: CueList
    rule_figure_after: CueList
    parts: dict[str, CueList]
    absent_parts: dict[str, CueList]
    per_unit: CueList
    unit_words: Words
    unit_letters: dict[str, str]
    outside_base: CueList
    subset: CueList
    from_elsewhere: CueList
    both_parts: CueList
    total: CueList
    including: CueList
    earlier_level: CueList
    held_before: CueList


class FactsFile(_Strict):
    """facts.yaml: the enterprise facts are fields of the calculators' EnterpriseProfile."""

    enterprise_facts: dict[str, CueList]
    nothing_received: CueList
    general_facts: Words
    negations: CueList
    figure_labels: FigureLabels
    had_before: CueList

    @field_validator("enterprise_facts")
    @classmethod
    def _known_facts(cls, facts: dict[str, CueList]) -> dict[str, CueList]:
        _profile_fields(list(facts))
        return facts

    @field_validator("general_facts")
    @classmethod
    def _known_general(cls, names: Words) -> Words:
        return _profile_fields(names)


class UnnamedPlace(_Strict):
    levels: Words
    locatives: Words


class PlacesFile(_Strict):
    home: Words
    elsewhere: Words
    place_endings: Words
    place_before: Words
    place_after: Words
    unnamed_place: UnnamedPlace


class Refusal(_Strict):
    name: str
    why: str
    cues: CueList
    # Cues of a question about the rule itself ("骗取补助会受到什么处罚"), which is answered, not refused.
    unless: CueList = []
    # What the assistant says instead, by language (zh, en); the general refusal when absent.
    reply: dict[str, str] = {}


class RefusalsFile(RootModel[list[Refusal]]):
    pass


class CallersWords(RootModel[dict[str, str]]):
    """callers_words.yaml: a caller's phrase → the policy's terms it means, space-separated."""
