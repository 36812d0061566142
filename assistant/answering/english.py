"""English wording for answers: amounts in English units, rates, dates, and the policy's terms
from the reviewed glossary (corpus/vocabulary/glossary.yaml).

Pure functions; nothing is read at import. The glossary is loaded by `Glossary.from_folder`
from a folder passed in (`Glossary.from_folder(corpus_dir / "vocabulary")`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import opencc
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from assistant.language.data_files import read_yaml
from calculators import format_rate, format_yuan

GLOSSARY_FILE = "glossary.yaml"

_MILLION = Decimal(10) ** 6
_BILLION = Decimal(10) ** 9
_WAN = Decimal(10) ** 4
_YI = Decimal(10) ** 8
_FEN = Decimal("0.01")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


# ── Amounts, rates, dates ────────────────────────────────────────────────────────────────


def _decimal(value: Decimal | int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{what} needs Decimal or int, got {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} needs a finite number, got {value!r}")
    return number


def _plain(number: Decimal, *, grouped: bool = False) -> str:
    """Decimal without exponent or trailing zeros: 2.5, 300, 1,234.56 when grouped."""
    number = number.normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return format(number, ",f" if grouped else "f")


def yuan_zh(amount: Decimal | int) -> str:
    """The amount as the policy writes it: `calculators.format_yuan` (100万元, 500元,
    12,345.67元), with whole multiples of 100万 from 1亿 up written in 亿 (1亿元, 1.5亿元,
    1000亿元) instead of format_yuan's 10000万元."""
    number = _decimal(amount, "yuan_zh")
    magnitude = abs(number)
    if magnitude >= _YI and magnitude % _MILLION == 0:
        return f"{'-' if number < 0 else ''}{_plain(magnitude / _YI)}亿元"
    return format_yuan(number)


def yuan_en(amount: Decimal | int, *, with_chinese: bool = True) -> str:
    """An amount in English units, exactly (nothing is rounded), with the Chinese after it.

    Whole 万 amounts from 1 million up are written in millions ("2.5 million yuan (250万元)"),
    whole 千万 amounts from 1 billion up in billions ("100 billion yuan (1000亿元)"); other
    whole amounts in yuan with thousands separators ("150,000 yuan (15万元)", "500 yuan
    (500元)"); amounts with fen with two decimals ("12,345.67 yuan (12,345.67元)"), or more
    decimals when given more. Negative amounts keep their sign.
    """
    number = _decimal(amount, "yuan_en")
    sign = "-" if number < 0 else ""
    magnitude = abs(number)
    if magnitude >= _BILLION and magnitude % (_BILLION / 100) == 0:
        english = f"{_plain(magnitude / _BILLION, grouped=True)} billion yuan"
    elif magnitude >= _MILLION and magnitude % _WAN == 0:
        english = f"{_plain(magnitude / _MILLION, grouped=True)} million yuan"
    elif magnitude == magnitude.to_integral_value():
        english = f"{int(magnitude):,} yuan"
    else:
        if magnitude.as_tuple().exponent >= -2:  # type: ignore[operator]
            magnitude = magnitude.quantize(_FEN)
        english = f"{format(magnitude, ',f')} yuan"
    english = sign + english
    return f"{english} ({yuan_zh(number)})" if with_chinese else english


def rate_en(rate: Decimal) -> str:
    """A rate given as a fraction, as rules.yaml's rates are read: 0.1 → "10%", 0.025 → "2.5%"."""
    return format_rate(_decimal(rate, "rate_en"))


def percentage_points_en(points: Decimal | int) -> str:
    """提高2个百分点 → "2 percentage points" (a difference of rates, never "2%")."""
    number = _decimal(points, "percentage_points_en")
    unit = "percentage point" if abs(number) == 1 else "percentage points"
    return f"{_plain(number)} {unit}"


def date_en(date: dt.date) -> str:
    """Day, month name, year — unambiguous for every reader: "31 December 2025"."""
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


# ── The glossary ─────────────────────────────────────────────────────────────────────────


class GlossaryEntry(BaseModel):
    """One term: the policy's Chinese (Simplified), its one agreed English, why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str
    en: str
    note: str | None = None

    @field_validator("zh")
    @classmethod
    def _chinese(cls, value: str) -> str:
        if value != value.strip() or not _CJK.search(value):
            raise ValueError(f"zh must be a Chinese term without surrounding spaces: {value!r}")
        return value

    @field_validator("en")
    @classmethod
    def _english(cls, value: str) -> str:
        if value != value.strip() or not value or _CJK.search(value):
            raise ValueError(f"en must be English, without Chinese or surrounding spaces: {value!r}")
        return value


class GlossaryFile(BaseModel):
    """corpus/vocabulary/glossary.yaml: `terms:`, a list of entries, each zh once."""

    model_config = ConfigDict(extra="forbid")

    terms: list[GlossaryEntry]

    @model_validator(mode="after")
    def _unique(self) -> GlossaryFile:
        counts = Counter(entry.zh for entry in self.terms)
        repeated = [zh for zh, count in counts.items() if count > 1]
        if repeated:
            raise ValueError(f"glossary terms listed more than once: {', '.join(repeated)}")
        return self


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


# Full-width punctuation in English form, and how it sits between words.
_OPENING = {"（": "(", "《": "“"}
_CLOSING = {"）": ")", "》": "”"}
_SEPARATORS = {"，": ",", "、": ",", "：": ":", "；": ";", "。": "."}
# Characters no space is put after (opening) or before (closing, separators), and joiners.
_NO_SPACE_AFTER = set("“‘(（《「『【/-+")
_NO_SPACE_BEFORE = set("”’)）》」』】,.:;!?%，、。：；！？/-+")


class Glossary:
    """The policy's terms in agreed English."""

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self.entries: tuple[GlossaryEntry, ...] = tuple(GlossaryFile(terms=list(entries)).terms)
        self._english = {entry.zh: entry.en for entry in self.entries}
        self._longest = max((len(zh) for zh in self._english), default=0)

    @classmethod
    def from_file(cls, path: Path) -> Glossary:
        return cls(GlossaryFile.model_validate(read_yaml(path, GlossaryFile)).terms)

    @classmethod
    def from_folder(cls, folder: Path) -> Glossary:
        """The glossary of a vocabulary folder: `Glossary.from_folder(corpus_dir / "vocabulary")`."""
        return cls.from_file(folder / GLOSSARY_FILE)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, zh: object) -> bool:
        return isinstance(zh, str) and self.term(zh) is not None

    def term(self, zh: str) -> str | None:
        """The agreed English of one term (Simplified or Traditional), or None if not listed."""
        found = self._english.get(zh)
        if found is None and _CJK.search(zh):
            found = self._english.get(_t2s().convert(zh))
        return found

    def note(self, zh: str) -> str | None:
        entry = next((e for e in self.entries if e.zh == zh), None)
        return entry.note if entry else None

    def render(self, text_zh: str) -> str:
        """A short Chinese phrase with every glossary term in English, longest term first:
        市级“智能工厂” → "city-level “Smart Factory”".

        Text that is no term stays as it is; Traditional characters are matched as Simplified.
        Full-width brackets, 《》 and separators become English punctuation (（）→ (), 《》→ “”,
        、，→ ",", ：→ ":", ；→ ";", 。→ "."), and a space is put between an English word and
        what follows or precedes it. The policy's quotation marks “” stay.
        """
        simplified = _t2s().convert(text_zh) if _CJK.search(text_zh) else text_zh
        if len(simplified) != len(text_zh):  # conversion changed the length: match as written
            simplified = text_zh
        tokens: list[tuple[str, str]] = []  # (kind, text): en, raw, open, close, sep
        i = 0
        while i < len(text_zh):
            match = next((length for length in range(min(self._longest, len(text_zh) - i), 0, -1)
                          if simplified[i:i + length] in self._english), 0)
            if match:
                tokens.append(("en", self._english[simplified[i:i + match]]))
                i += match
                continue
            char = text_zh[i]
            if char in _OPENING:
                tokens.append(("open", _OPENING[char]))
            elif char in _CLOSING:
                tokens.append(("close", _CLOSING[char]))
            elif char in _SEPARATORS:
                tokens.append(("sep", _SEPARATORS[char]))
            else:
                tokens.append(("raw", char))
            i += 1
        return _join(tokens).strip()


def _join(tokens: list[tuple[str, str]]) -> str:
    out: list[str] = []
    previous_kind = ""
    for kind, text in tokens:
        if out and _space_between(previous_kind, out[-1][-1], kind, text[0]):
            out.append(" ")
        out.append(text)
        previous_kind = kind
    return "".join(out)


def _space_between(left_kind: str, left: str, right_kind: str, right: str) -> bool:
    if left.isspace() or right.isspace():
        return False
    if left_kind == "raw" and right_kind == "raw":  # text that is no term is left alone
        return False
    if left_kind == "open" or right_kind in ("close", "sep"):
        return False
    if left in _NO_SPACE_AFTER or right in _NO_SPACE_BEFORE:
        return False
    return True
