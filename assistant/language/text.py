"""Script detection and folding: the policy is matched on Simplified, replies go back in the user's script."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

import opencc


class Script(StrEnum):
    SIMPLIFIED = "zh-Hans"
    TRADITIONAL = "zh-Hant"
    ENGLISH = "en"


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
_SPACES = re.compile(r"\s+")

# Where a clause of a message ends, for every reader that keeps a figure, an item or a fact with
# its own clause. A comma before three digits groups thousands ("800,000 yuan"): it ends nothing.
CLAUSE_BREAK = re.compile(r"[，。；;！!？?\n]|,(?!\d{3})")
# Where a sentence of the policy ends (its provisions are joined by 。 and ；).
SENTENCE_END = re.compile(r"(?<=[。；;\n])")
# Money in the policy's text: an amount in 元 or a rate.
MONEY_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:万元|亿元|元|%)")


@lru_cache(maxsize=2)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    # Taiwan character forms (為, not 爲) match the received policy text; no phrase rewriting.
    return _converter("s2tw").convert(text)


def detect_script(text: str) -> Script:
    """English when there is no Chinese at all; Traditional when folding to Simplified
    changes more characters than folding to Traditional does (shared characters count for neither)."""
    han = _CJK.findall(text)
    if not han:
        return Script.ENGLISH if _LATIN_WORD.search(text) else Script.SIMPLIFIED
    joined = "".join(han)
    as_simplified = to_simplified(joined)
    as_traditional = to_traditional(joined)
    traditional_only = sum(a != b for a, b in zip(joined, as_simplified, strict=False))
    simplified_only = sum(a != b for a, b in zip(joined, as_traditional, strict=False))
    return Script.TRADITIONAL if traditional_only > simplified_only else Script.SIMPLIFIED


def to_script(text: str, script: Script) -> str:
    """Text we write in Simplified, rendered for the user; English text passes through."""
    return to_traditional(text) if script is Script.TRADITIONAL else text


def fold(text: str) -> str:
    """Matching form: full-width to ASCII (NFKC), Simplified, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    # "machine-replacement" and "machine replacement" are one English term.
    return _WORD_HYPHEN.sub(" ", _SPACES.sub(" ", text).strip().lower())
