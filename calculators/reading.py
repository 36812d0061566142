"""Reading what people write: money in every form ("0", "300万", "三百五十萬元", "1.2亿",
"3,000,000元", "RMB 3 million") and yes/no ("是", "没有", "不确定"). One reader each, used by every
entry point (calculators, web forms, REST, LLM tools, chat), so a string is accepted or
rejected the same way everywhere. Unknown ("不确定", "not sure", blank) reads as None.

Pure: cn2an and OpenCC (through .scanner), PyYAML and the standard library; no jieba. Labels for
amounts ("设备投入") need a word splitter and live in assistant.understanding.figures.
"""

from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from .errors import CalculatorError
from .scanner import AmountSpan, find_amounts, fold_same_length

# 1,000亿: a sanity bound, not a policy figure. The largest amounts in the policy are caps of a
# few million yuan (rules.yaml); anything above this is a slip of digits or unit.
MAX_YUAN = Decimal(100_000_000_000)
YES_NO_PATH = Path(__file__).with_name("yes_no.yaml")
_EDGE_PUNCTUATION = " \t\r\n。.！!~～，,、；;"  # trimmed off a yes/no answer ("是的。")


class AmountError(CalculatorError):
    """Message in Simplified Chinese for the user; .message_en for logs and English UIs.

    A CalculatorError (so a ValueError): callers catching CalculatorError catch this too."""

    code = "invalid_amount"

    def __init__(self, message: str, message_en: str = ""):
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message


class YesNoError(CalculatorError):
    """A yes/no answer that is none of yes, no or unknown; the message is Chinese."""

    code = "invalid_yes_no"


# ---- money ------------------------------------------------------------------------------

def read_yuan(value: object, *, allow_zero: bool = True) -> Decimal | None:
    """THE money reader: yuan from a number or from text in any form people write amounts in.

    None, blank and the unknown words of yes_no.yaml ("不确定", "not sure") give None. Text must
    hold one amount ("投资了300万" is fine; "400万和500万" is not). Raises AmountError for
    unreadable text, bools, lists and other types, non-finite numbers, negatives, 0 unless
    allow_zero, and amounts above MAX_YUAN.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if is_unknown(value):
            return None
        return _checked(_one_amount(value), allow_zero)
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise _unreadable(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _unreadable(value)
        value = Decimal(repr(value))  # the shortest repr: 0.1 stays 0.1
    return _checked(Decimal(value), allow_zero)


def validate_amount(value: Decimal) -> Decimal:
    """Reject amounts no subsidy calculation can use: non-positive, non-finite or absurdly large."""
    if not isinstance(value, Decimal):
        raise _unreadable(value)
    return _checked(value, allow_zero=False)


def parse_amount(text: str) -> Decimal:
    """Exactly one positive amount in yuan, e.g. from a follow-up answer like '400万'."""
    return validate_amount(_one_amount(text))


def _one_amount(text: str) -> Decimal:
    amounts = find_amounts(text)
    if not amounts:
        raise _unreadable(text)
    # A figure with a unit ("投资了300万") outranks stray bare numbers in the same answer.
    chosen = [a for a in amounts if not a.unit_missing] or amounts
    values = {a.value_yuan for a in chosen}
    if len(values) > 1:
        listed = "、".join(a.raw for a in chosen)
        raise AmountError(f"识别到多个不同的金额（{listed}），请只输入一个金额。",
                          f"Several different amounts found ({listed}); please give just one.")
    return values.pop()


def _checked(value: Decimal, allow_zero: bool) -> Decimal:
    if not value.is_finite():
        raise _unreadable(value)
    if value < 0:
        raise AmountError("金额不能为负数，请输入实际投入的金额。", "The amount cannot be negative.")
    if value == 0 and not allow_zero:
        raise AmountError("金额必须大于0（不能为零），请输入实际投入的金额。", "The amount must be above zero.")
    if value > MAX_YUAN:
        raise AmountError("金额超过1000亿元，请检查是否多输入了位数或单位。",
                          "The amount exceeds 100 billion yuan; please check the digits and unit.")
    return value


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text if len(text) <= 30 else text[:29] + "…"
    return f"“{text}”" if isinstance(value, str) else text


def _unreadable(value: object) -> AmountError:
    return AmountError(f"金额格式无法识别：{_shown(value)}（可写作 300万、2.5万元、12,345.67元）",
                       f"Cannot read the amount {value!r}; write it like 3,000,000 or 300万.")


# ---- yes / no ---------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _words() -> dict[str, frozenset[str]]:
    data = yaml.safe_load(YES_NO_PATH.read_text(encoding="utf-8"))
    return {key: frozenset(_answer_form(str(word)) for word in data[key])
            for key in ("affirmative", "negative", "unknown")}


def _answer_form(text: str) -> str:
    return " ".join(fold_same_length(text).strip(_EDGE_PUNCTUATION).casefold().split())


def is_unknown(value: object) -> bool:
    """None, blank, or one of the unknown words ("不确定", "不知道", "not sure")."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    answer = _answer_form(value)
    return not answer or answer in _words()["unknown"]


def read_yes_no(value: object) -> bool | None:
    """THE yes/no reader: True, False, or None for unknown; anything else raises YesNoError."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        answer = _answer_form(value)
        words = _words()
        if not answer or answer in words["unknown"]:
            return None
        if answer in words["affirmative"]:
            return True
        if answer in words["negative"]:
            return False
    raise YesNoError(f"请回答“是”或“否”（不清楚请答“不确定”），收到 {_shown(value)}")


__all__ = ["MAX_YUAN", "AmountError", "AmountSpan", "YesNoError", "find_amounts", "fold_same_length",
           "is_unknown", "parse_amount", "read_yes_no", "read_yuan", "validate_amount"]
