"""The one masking of personal numbers, for everything the assistant stores or logs.

`mask_personal_data(text)` replaces mainland mobile numbers, ID-card numbers and landlines with a
label, in the forms people type them: full-width digits (１３８…), separators (138-1234-5678,
138.1234.5678, 138 1234 5678), a +86 / 0086 / 86 prefix, Chinese numerals for a mobile
(一三八…, 幺三八…), an ID card in groups or after a label (ID110101…, 身份证号：110101 1990…),
18 digits (last X or x) or 15. Amounts, dates, years and document numbers stay exactly as they
are: a number counts only when it has the shape of a phone or an ID as a whole (the digits around
it do not continue it, a unit such as 元 or 万 does not follow it, an ID's birth date is a date).

Applied to feedback (storage/feedback.py), the stored conversation state (storage/session_sql.py)
and log records (`install_log_masking`, called by the process entry point), whenever the setting
`mask_personal_data` is on.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable

# What a masked number is replaced with; no digits, so masking twice changes nothing.
ID_LABEL = "[身份证号]"
MOBILE_LABEL = "[手机号]"
LANDLINE_LABEL = "[电话]"

# Full-width forms sit at a fixed offset from ASCII (１ = 1 + 0xFEE0).
_FULL_WIDTH_OFFSET = 0xFEE0


def _chars(ascii_chars: str, *extra: str) -> str:
    """A character class of ASCII characters, their full-width forms and `extra` characters."""
    wide = "".join(chr(ord(c) + _FULL_WIDTH_OFFSET) for c in ascii_chars)
    return "[" + re.escape(ascii_chars + wide + "".join(extra)) + "]"


_DIGITS = "0123456789"
_DIGIT = _chars(_DIGITS)
# Digits as a mobile number is also spoken and typed: 一三八…, 幺 for 1, 〇/零 for 0, and the
# financial forms (壹贰叁…).
_SPOKEN = "零〇○一幺二三四五六七八九壹贰叁肆伍陆柒捌玖"
_PHONE_DIGIT = _chars(_DIGITS, _SPOKEN)
_PHONE_ONE = _chars("1", "一幺壹")
_PHONE_SECOND = _chars("3456789", "三四五六七八九叁肆伍陆柒捌玖")
# What people put between groups of a number: spaces (incl. the ideographic one), hyphens and
# dashes, dots, the middle dot. One to three of them ("138 - 1234 - 5678").
_SEPARATOR_CHAR = r"[ \u00a0\u3000\-\u2010-\u2015\uff0d.\uff0e\u00b7\u30fb]"
_SEPARATOR = f"(?:{_SEPARATOR_CHAR}{{1,3}})"
_GAP = f"{_SEPARATOR}?"
# Units and signs that make a number an amount, a share or a date part, never a phone or an ID.
_UNIT_AFTER = rf"(?!{_GAP}(?:[元万亿千百%年月日号]|{_chars('%')}))"
# Not the tail of a longer number, nor the decimals or a thousands group of an amount ("¥3,000").
_NOT_AFTER_DIGIT = rf"(?<!{_PHONE_DIGIT})(?<![¥￥$.．])(?<!{_DIGIT},)"
_NOT_BEFORE_DIGIT = rf"(?!{_PHONE_DIGIT})(?![.．]{_DIGIT})"

# +86, 0086, 86, (+86), ＋８６, then optional separators. A bracket counts only as a pair around
# the code: "（+86…" opens a remark, and the bracket stays.
_CODE_86 = f"{_chars('8')}{_chars('6')}"
_COUNTRY = (rf"(?:(?:[(（][+＋]?{_CODE_86}[)）]|(?:[+＋]|{_chars('0')}{{2}})?{_CODE_86}){_SEPARATOR}?)?")

# Mobile: 1, 3–9, then nine digits, grouped 3-4-4 at most.
_MOBILE = re.compile(
    rf"{_NOT_AFTER_DIGIT}{_COUNTRY}{_PHONE_ONE}{_PHONE_SECOND}{_PHONE_DIGIT}"
    rf"{_GAP}{_PHONE_DIGIT}{{4}}{_GAP}{_PHONE_DIGIT}{{4}}{_NOT_BEFORE_DIGIT}{_UNIT_AFTER}")

# Landline: area code 0 + 2–3 digits (bare, or in brackets), then 7–8 digits, maybe in two groups:
# 0571-8888 8888, (0571)63311234, 057163317777.
_LANDLINE = re.compile(
    rf"{_NOT_AFTER_DIGIT}(?:[(（]{_chars('0')}{_DIGIT}{{2,3}}[)）]|{_chars('0')}{_DIGIT}{{2,3}})"
    rf"{_GAP}{_DIGIT}{{3,4}}{_GAP}{_DIGIT}{{4}}{_NOT_BEFORE_DIGIT}{_UNIT_AFTER}")

# ID-card candidates: 18 characters (the last may be X) or 15 digits, whole or in the groups people
# write (110 101 1990 0307 123X, 110101 19900307 123X, 1101 0119 9003 0712 3X; 110101 900307 123);
# `_is_id_number` then checks the birth date. A Latin letter before the digits means a code
# (GB/T12643), except the label "ID" itself.
_ID_START = r"(?:(?<=[Ii][Dd])|(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ]))"
_ID_END = r"(?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])"
_ID_LAST = _chars(_DIGITS + "Xx")
_ID_CANDIDATE = re.compile(
    rf"{_ID_START}(?:{_DIGIT}{{3}}{_GAP}{_DIGIT}{{3}}{_GAP}{_DIGIT}{{4}}{_GAP}{_DIGIT}{{4}}{_GAP}{_DIGIT}{{3}}{_ID_LAST}"
    rf"|(?:{_DIGIT}{{4}}{_GAP}){{4}}{_DIGIT}{_ID_LAST}"
    rf"|{_DIGIT}{{3}}{_GAP}{_DIGIT}{{3}}{_GAP}{_DIGIT}{{6}}{_GAP}{_DIGIT}{{3}}){_ID_END}{_UNIT_AFTER}")
# The checked shapes: area (first digit 1–8), birth date YYYYMMDD or YYMMDD, sequence, check.
_ID_18 = re.compile(r"[1-8]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]")
_ID_15 = re.compile(r"[1-8]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}")
_NOT_DIGIT_OR_X = re.compile(r"[^0-9X]")


def _is_id_number(candidate: str) -> bool:
    plain = _NOT_DIGIT_OR_X.sub("", unicodedata.normalize("NFKC", candidate).upper())
    return bool(_ID_18.fullmatch(plain) or _ID_15.fullmatch(plain))


def _mask_ids(text: str) -> str:
    """Each ID number replaced by its label. A candidate that is no ID ("¥100 110101…" read from
    the 100) is looked at again from its next character, so an ID inside it is still found."""
    kept, done, start = [], 0, 0
    while match := _ID_CANDIDATE.search(text, start):
        if _is_id_number(match.group(0)):
            kept += [text[done:match.start()], ID_LABEL]
            done = start = match.end()
        else:
            start = match.start() + 1
    return "".join(kept) + text[done:]


def mask_personal_data(text: str) -> str:
    """`text` with every ID-card, mobile and landline number replaced by its label; the rest
    unchanged. Masking masked text changes nothing."""
    text = _mask_ids(text)
    text = _MOBILE.sub(MOBILE_LABEL, text)
    return _LANDLINE.sub(LANDLINE_LABEL, text)


class PersonalDataFilter(logging.Filter):
    """Masks a log record's message, its string arguments, its traceback and stack text.

    Arguments stay separate where that is enough (formatters such as uvicorn's access log read
    them); when a number hides in a non-string argument, the record carries the masked message
    instead."""

    def __init__(self, mask: Callable[[str], str] = mask_personal_data) -> None:
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self.mask(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self.mask(v) if isinstance(v, str) else v for k, v in record.args.items()}
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: logging reports it itself
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


_installed: list[Callable[..., logging.LogRecord]] = []


def install_log_masking(enabled: bool = True) -> None:
    """Masks every log record of this process as it is made, whichever logger or handler it goes
    to (uvicorn's own handlers included). Called once by the process entry point; a second call
    does nothing."""
    if not enabled or _installed:
        return
    make_record = logging.getLogRecordFactory()
    masking = PersonalDataFilter()

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        masking.filter(record)
        return record

    _installed.append(make_record)
    logging.setLogRecordFactory(masked_record)


def uninstall_log_masking() -> None:
    """Puts back the record factory `install_log_masking` replaced (for tests)."""
    if _installed:
        logging.setLogRecordFactory(_installed.pop())
