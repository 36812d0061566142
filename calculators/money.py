"""Exact yuan amounts: read what people write ("300万", "12,345.67元") and print it back.

Everything is Decimal. Reading is calculators.reading.read_yuan's job; parse_yuan is the
strict form of it for figures that must be there (rules.yaml, golden cases).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from .reading import AmountError, read_yuan

FEN = Decimal("0.01")
WAN = Decimal(10000)

_RATE_TEXT = re.compile(r"^(\d+(?:\.\d+)?)%$")


def parse_yuan(value: object) -> Decimal:
    """A known amount in yuan, read by read_yuan: "300万", "2.5万元", "1亿", "3,000,000",
    "12,345.67元", "三百万", numbers. 0 is allowed; negatives, unreadable values and
    "unknown" ("不确定", blank) raise AmountError, a CalculatorError.
    """
    amount = read_yuan(value)
    if amount is None:
        raise AmountError(f"金额格式无法识别：{value!r}（此处需要一个确定的金额）",
                          f"An amount is required here, got {value!r}.")
    return amount


def to_fen(amount: Decimal) -> Decimal:
    """Round to the fen, half up — done once, on the final amount."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def format_yuan(amount: Decimal | int) -> str:
    """Print an amount the way a policy text would.

    Whole multiples of 100元 from 1万 up are written in 万元 (300万元, 30万元, 2.5万元,
    1.23万元); smaller or uneven amounts in 元, with thousands separators from 1万 up
    (500元, 5000元, 12,345.67元). Fen are shown as two decimals when present. Exact: no
    rounding happens here beyond dropping trailing zeros.
    """
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"format_yuan needs Decimal or int, got {type(amount).__name__}")
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    if magnitude >= WAN and magnitude % 100 == 0:
        return f"{sign}{_plain(magnitude / WAN)}万元"
    if magnitude == magnitude.to_integral_value():
        digits = f"{int(magnitude):,}" if magnitude >= WAN else str(int(magnitude))
        return f"{sign}{digits}元"
    if magnitude.as_tuple().exponent >= -2:  # type: ignore[operator]
        magnitude = magnitude.quantize(FEN)
    pattern = ",f" if magnitude >= WAN else "f"
    return f"{sign}{format(magnitude, pattern)}元"


def _plain(number: Decimal) -> str:
    """Decimal without exponent or trailing zeros: 300, 2.5, 1.23."""
    text = format(number.normalize(), "f")
    return text


def parse_rate(value: object) -> Decimal:
    """Read a rate written as a percentage ("10%") into a fraction (Decimal("0.1")).

    Only the percent form is accepted so that a YAML value like 10 or 0.1 can never be
    read the wrong way.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        match = _RATE_TEXT.match(value.strip())
        if match:
            return Decimal(match.group(1)) / 100
    raise ValueError(f"比例应写成百分数，例如 10%：{value!r}")


def format_rate(rate: Decimal) -> str:
    """0.1 → "10%", 0.15 → "15%", 0.025 → "2.5%"."""
    return f"{_plain(rate * 100)}%"
