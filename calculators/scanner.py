"""The free-text amount scanner: every money amount in a text ("300万", "三百五十萬元",
"RMB 3 million", "设备投入40万元，软件投入20万元") with its span, as exact Decimal yuan.

Chinese numerals go through cn2an and Traditional characters through OpenCC; Arabic digits are
converted with Decimal directly because cn2an's smart mode returns floats for them ("400" -> 400.0)
and truncates decimals times a unit (int(Decimal("1.23456") * 10000) -> 12345, not 12345.6).
Whether an amount is acceptable is calculators.reading's business; this module only finds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from functools import lru_cache

import cn2an
import opencc

_PREC = 80  # Decimal's default 28 digits would silently round long inputs; bodies are capped below this
_MAX_BODY = 40

_CN_DIGIT = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
_CN_UNIT = "十百千万亿拾佰仟"
_SP = r"[ \t]*"  # never across lines: "300\n元" is two different things
_UNIT_VALUE = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10**4, "亿": 10**8}
_ENG_VALUE = {"thousand": 10**3, "k": 10**3, "million": 10**6, "m": 10**6, "mn": 10**6,
              "billion": 10**9, "bn": 10**9, "个亿": 10**8}

_TOKEN = re.compile(
    rf"""(?P<pre>(?:人民币|RMB|CNY|¥){_SP})?
    (?P<sign>[-负]{_SP})?
    (?P<body>[0-9{_CN_DIGIT}十拾]
      (?:[0-9{_CN_DIGIT}{_CN_UNIT}]
        |,(?=[0-9]{{3}}(?![0-9]))            # thousands separator, not a list comma
        |\.(?=[0-9])|点(?=[0-9{_CN_DIGIT}])
        |(?<=[0-9])[ \t]+(?=[十百千]?[万亿])  # "300 万元"
      )*)
    (?P<eng>{_SP}(?:thousand|million|billion|mn|bn|k|m|个亿)(?![a-z]))?
    (?P<cur>{_SP}(?:(?:元|圆|块钱|块)(?:{_SP}人民币)?|人民币|yuan|rmb|cny)(?![a-z]))?
    """,
    re.I | re.X,
)
_ARABIC = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ARABIC_UNIT = re.compile(r"([0-9]+(?:\.[0-9]+)?)((?:[十百千拾佰仟]?(?:万亿|万|亿))|[十百千拾佰仟])")
_CN_DECIMAL = re.compile(rf"([^点]+)点([0-9{_CN_DIGIT}]+)((?:[十百千]?(?:万亿|万|亿))|[十百千])?")
# A numeral right before one of these counts something other than money (20家, 2025年, 3个, 500千瓦).
_COUNT_UNITS = set("个家次人名位台套件条项种类批期户座栋间层所岁年月日号天周时分秒倍级星档款部辆架只张份"
                   "页章节点米吨亩瓦克兆度升强成折代届轮场股角毛平公季%‰")
# A bare number that is a year or part of a date or document number, read from the words around
# it: "2019版", "2019的政策", "2019至2021年", "〔2019〕20", "in 2019", "the 2019 policy",
# "November 20, 2021". Only numbers typed without a unit are tested; "2019万" is money.
_YEAR_LIKE = re.compile(r"(?:19|20)[0-9]{2}")
_YEAR_AFTER = re.compile(r"[ \t]*(?:年|的|那)?[ \t]*(?:版|政策|文件|规定|财年|年度|edition|version|policy|policies"
                         r"|document|fiscal)", re.I)
_YEAR_RANGE_AFTER = re.compile(r"[ \t]*(?:至|到|~|—|–|-)[ \t]*(?:19|20)[0-9]{2}(?![0-9])")
_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
           r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_DATE_BEFORE = re.compile(rf"(?<![a-z])(?:in|by|through|since|year|from|until|till|before|after|during|fy|quarter"
                          rf"|q[1-4]|h[12]|{_MONTHS})\.?[ \t]+$", re.I)
_DAY_BEFORE = re.compile(r"[0-9]{1,2}(?:st|nd|rd|th)?,[ \t]*$")  # the year of "November 20, 2021"
_DAY_AFTER = re.compile(rf"[ \t]+(?:{_MONTHS})(?![a-z])", re.I)
_DOCUMENT_YEAR_BEFORE = re.compile(r"[〔\[【(][ \t]*(?:19|20)[0-9]{2}[ \t]*[〕\]】)][ \t]*$")
# A plural noun after a bare number and a space ("3 robots", "20 employees") counts things; the
# closed set of English function words ending in s is not a noun.
_ENGLISH_NOUN_AFTER = re.compile(
    # A word or two may describe the things counted ("4 industrial robots"), but not a function
    # word or a currency ("2,000,000 for robots" is money).
    r"[ \t]+(?:(?!(?:for|and|or|in|on|of|to|at|from|with|by|per|each|yuan|rmb|cny|is|was|plus)\b)[a-z-]+[ \t]+){0,2}"
    r"(?!(?:is|was|has|as|plus|less|this|thus|its|us|yes|unless|across|towards|besides|whereas)\b)"
    r"[a-z]{2,}s\b", re.I)
_APPROX = set("多余来几")  # "300多万" is not an exact figure; better to ask than guess
_FOREIGN = re.compile(r"(?:美元|欧元|日元|港元|港币|英镑|美金|dollars?|usd|eur|hkd|gbp)", re.I)
_FOLD = {"\u3000": " ", "￥": "¥", "\u2212": "-"}  # outside the full-width block but typed as such


@dataclass(frozen=True)
class AmountSpan:
    """One amount; raw/start/end refer to the caller's text."""

    value_yuan: Decimal
    raw: str
    start: int
    end: int
    unit_missing: bool = False


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold_same_length(text: str) -> str:
    """Simplified, half-width copy of text with exactly the same length, so spans carry over."""
    chars = []
    for ch in text:
        o = ord(ch)
        # The full-width comma stays: in Chinese it separates clauses, never digit groups.
        if 0xFF01 <= o <= 0xFF5E and ch != "，":
            ch = chr(o - 0xFEE0)
        chars.append(_FOLD.get(ch, ch))
    half = "".join(chars)
    try:
        simple = _t2s().convert(half)
        if len(simple) == len(half):
            return simple
    except (UnicodeError, RuntimeError):  # OpenCC rejects lone surrogates
        pass
    # Phrase-level conversion changed the length (or failed): fall back to one character at a time.
    out = []
    for ch in half:
        try:
            c = _t2s().convert(ch)
        except (UnicodeError, RuntimeError):
            c = ch
        out.append(c if len(c) == 1 else ch)
    return "".join(out)


def _cn2an_int(s: str) -> int | None:
    if s.isascii() and s.isdigit():
        return int(s)  # cn2an would hand back a float
    try:
        v = cn2an.cn2an(s, "smart")
    except (ValueError, KeyError, IndexError, TypeError):  # cn2an's way of saying "not a number"
        return None
    return v if isinstance(v, int) else None


def _body_value(body: str) -> Decimal | None:
    """Exact value of a numeral body such as '85.6万', '2,345,678', '三百五十万', '10万5千', '十二点五万'."""
    body = re.sub(r"\s+", "", body)
    for run in re.findall(r"[0-9,]*,[0-9,]*", body):
        if not re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+", run):
            return None
    body = body.replace(",", "")
    if _ARABIC.fullmatch(body):
        return Decimal(body)
    if m := _ARABIC_UNIT.fullmatch(body):
        return Decimal(m[1]) * _units(m[2])
    if m := _CN_DECIMAL.fullmatch(body):
        whole = _cn2an_int(m[1])
        try:  # direct mode maps numerals digit by digit, keeping leading zeros ("零五" -> "05")
            frac = cn2an.cn2an(m[2], "direct")
        except ValueError:
            return None
        if whole is None or not frac.isdigit():
            return None
        return Decimal(f"{whole}.{frac}") * _units(m[3] or "")
    if "." in body or "点" in body:
        return None
    whole = _cn2an_int(body)
    return None if whole is None else Decimal(whole)


def _units(s: str) -> int:
    n = 1
    for ch in s:
        n *= _UNIT_VALUE[ch]
    return n


def _tidy(v: Decimal) -> Decimal:
    return v.quantize(Decimal(1)) if v == v.to_integral_value() else v.normalize()


def _next_char(s: str, i: int) -> str:
    while i < len(s) and s[i] in " \t":
        i += 1
    return s[i] if i < len(s) else ""


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _excluded(s: str, m: re.Match, body_end: int, has_unit: bool, has_cur: bool) -> bool:
    """True when the numeral is a percentage, date, code, ordinal, clause number or a count."""
    start = m.start("sign") if m["sign"] else m.start("body")
    before = s[start - 1] if start else " "  # a space matches none of the tests below
    before2 = s[max(0, start - 2):start]
    after = s[body_end] if body_end < len(s) else " "
    nxt = _next_char(s, body_end) if not has_cur and not m["eng"] else ""
    if m["pre"] is None and (_is_ascii_alnum(before) or before in "$€£+_"):
        return True  # GB/T12643, US$5, 1+N
    if before2.endswith("第") or before2 == "分之" or s[max(0, start - 3):start] == "百分之":
        return True
    if before in "-/.:" and start >= 2 and _is_ascii_alnum(s[start - 2]):
        return True  # 2021-11-20, GB/T12643-2013, 12:30
    if after in "-/.:+" and body_end + 1 < len(s) and _is_ascii_alnum(s[body_end + 1]):
        return True
    if (after == "," and s[body_end - 1].isdigit() and s[body_end + 1:body_end + 2].isdigit()
            or before == "," and start >= 2 and s[start - 2].isdigit()):
        return True  # a digit group the regex refused ("1,2345"): malformed, not two amounts
    if after in "+%‰" or (not m["eng"] and not has_cur and after.isascii() and after.isalpha()):
        return True
    tail = s[m.end():m.end() + 4]
    if _FOREIGN.match(tail.lstrip()) or s[body_end:body_end + 2] == "分之":
        return True
    # "300来万" is about 300万; "300万来自…" is 300万 and the next word.
    approximate = nxt in _APPROX and not (nxt == "来" and s[body_end - 1] in "万亿")
    if nxt and (nxt in _COUNT_UNITS or approximate):
        return True
    if not has_unit and _ENGLISH_NOUN_AFTER.match(s, body_end):
        return True  # "3 robots", "20 employees": a bare number before a plural noun counts things
    if not has_unit and (before in "(〔[【" and after in ")〕]】" or after == "、"):
        return True  # (二), (1), a document number's year 〔2019〕, and list numbering "1、"
    return not has_unit and _dates(s, start, m["body"][:body_end - m.start("body")], body_end)


def _dates(s: str, start: int, body: str, body_end: int) -> bool:
    """True when a number typed without a unit is a year, a day or a document's serial number."""
    if _DOCUMENT_YEAR_BEFORE.search(s[max(0, start - 12):start]):
        return True  # 〔2019〕20: the serial number after a document number's year
    if _DATE_BEFORE.search(s[max(0, start - 12):start]) or _DAY_AFTER.match(s, body_end):
        return True  # in 2019, November 20, 2021, 20 November
    if not _YEAR_LIKE.fullmatch(body):
        return False
    before = s[start - 1] if start else " "
    after = s[body_end] if body_end < len(s) else " "
    return (before in "(〔[【" or after in ")〕]】" or bool(_YEAR_AFTER.match(s, body_end))
            or bool(_YEAR_RANGE_AFTER.match(s, body_end)) or bool(_DAY_BEFORE.search(s[max(0, start - 8):start])))


def find_amounts(text: str) -> list[AmountSpan]:
    """Every money-like amount in text, in order, signs kept. Never raises on a str."""
    s = fold_same_length(text)
    found: list[AmountSpan] = []
    for m in _TOKEN.finditer(s):
        body, body_end = m["body"], m.end("body")
        if len(body) > _MAX_BODY:
            continue
        eng, cur = (m["eng"] or "").strip().lower(), (m["cur"] or "").strip().lower()
        if cur == "块" and not (body[0].isdigit() or len(body) > 1):
            cur = ""  # "一块" is usually "together", not one yuan
        end = m.end("cur") if cur else (m.end("eng") if eng else body_end)
        if not cur and not eng and _next_char(s, body_end) in _COUNT_UNITS:
            # "三百万一年": the trailing 一 belongs to the next word, not to the amount
            trimmed = re.match(rf"(.*[{_CN_UNIT}])[{_CN_DIGIT}]+$", body)
            if trimmed:
                body = trimmed[1]
                body_end = end = m.start("body") + len(body)
        has_cur = bool(cur or m["pre"])
        if eng in ("k", "m", "mn", "bn") and not has_cur:
            continue  # "300m" is as likely metres as millions
        has_unit = has_cur or bool(eng) or "万" in body or "亿" in body
        if _excluded(s, m, body_end, has_unit, has_cur):
            continue
        if m["sign"] and m["sign"][0] == "-" and m.start("sign") > 0:
            prev = s[m.start("sign") - 1]
            if _is_ascii_alnum(prev) or prev in _CN_DIGIT + _CN_UNIT + "元块圆":
                continue  # a range dash ("300万-500万"), not a minus sign
        if not has_unit and not body[0].isdigit():
            # Bare Chinese numerals hide inside ordinary words (统一, 五十强); only clear ones count.
            nxt = s[body_end] if body_end < len(s) else ""
            if len(body) < 2 or not any(u in body for u in "十百千拾佰仟") or "\u4e00" <= nxt <= "\u9fff":
                continue
        with localcontext(prec=_PREC):
            try:
                value = _body_value(body)
                if value is None:
                    continue
                value *= _ENG_VALUE.get(eng, 1)
                value = _tidy(-value if m["sign"] else value)
            except InvalidOperation:
                continue
        start = m.start()
        found.append(AmountSpan(value, text[start:end], start, end, unit_missing=not has_unit))
    return found
