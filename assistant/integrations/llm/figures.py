"""The figures a text states — amounts of money, percentages, and plain numbers (counts, years,
months, days) — as values, so an answer's figures can be compared with its sources whatever
way each writes them: 42万元 = 420,000元 = 0.42 million yuan, 10% = 百分之十, 二十家 = 20家.

Money is read by the calculators' own scanner (calculators.scanner.find_amounts: 万/亿/元,
Chinese numerals through cn2an, full-width digits, thousands commas, English units); the rest
is read here with cn2an for Chinese numerals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import cn2an

from calculators.scanner import find_amounts, fold_same_length

_CN_NUMERAL = "零〇一二两三四五六七八九十百千万亿"
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b|per\s+cent\b)", re.I)
_CN_PERCENT = re.compile(rf"百分之([{_CN_NUMERAL}点]+)")
_ARABIC = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
# What a Chinese numeral counts in an answer (二十家, 三年, 两个百分点). A numeral standing before
# none of these is usually part of a word (统一, 一律, 万一) and is not read as a figure.
_COUNT_AFTER = "个家次人名位台套件条项种类批期户年月日号天周倍级星档款所座"
_CN_COUNT = re.compile(rf"([{_CN_NUMERAL}]+)(?=[{_COUNT_AFTER}])")
_CN_ANY = re.compile(rf"[{_CN_NUMERAL}]+")
# "一" alone (一家, 一次性, 一年) is grammar more often than a figure, in answers and clauses alike.
_TOO_COMMON = {Decimal(1)}


@dataclass
class Figures:
    money: set[Decimal] = field(default_factory=set)
    percents: set[Decimal] = field(default_factory=set)
    numbers: set[Decimal] = field(default_factory=set)

    def update(self, other: Figures) -> None:
        self.money |= other.money
        self.percents |= other.percents
        self.numbers |= other.numbers

    @property
    def every_value(self) -> set[Decimal]:
        return self.money | self.percents | self.numbers


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _chinese(text: str) -> Decimal | None:
    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError, TypeError):  # cn2an's way of saying "not a number"
        return None
    return Decimal(str(value))


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def figures_in(text: str, *, source: bool = False) -> Figures:
    """The figures of a text. For an answer (`source` False) a figure's digits count once: the
    500 of 500万元 is money, not also a number, and a Chinese numeral is a figure only before a
    counting word. For a source every number it holds is known, however it is written."""
    folded = fold_same_length(text)
    found = Figures()
    spans: list[tuple[int, int]] = []
    for amount in find_amounts(folded):
        if not amount.unit_missing:
            found.money.add(amount.value_yuan)
            spans.append((amount.start, amount.end))
    for match in _PERCENT.finditer(folded):
        value = _decimal(match.group(1))
        if value is not None:
            found.percents.add(value)
            spans.append(match.span())
    for match in _CN_PERCENT.finditer(folded):
        value = _chinese(match.group(1))
        if value is not None:
            found.percents.add(value)
            spans.append(match.span())
    rest = folded if source else _masked(folded, spans)
    for match in _ARABIC.finditer(rest):
        value = _decimal(match.group(0))
        if value is not None:
            found.numbers.add(value)
    for match in (_CN_ANY if source else _CN_COUNT).finditer(rest):
        value = _chinese(match.group(1) if match.groups() else match.group(0))
        if value is not None:
            found.numbers.add(value)
    found.numbers -= set() if source else _TOO_COMMON
    return found
