"""The amount scanner (calculators.reading) and the labels of figures (assistant.understanding.figures)."""

from decimal import Decimal

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from assistant.config import REPO_ROOT
from assistant.language.tokenizer import Tokenizer
from assistant.understanding.figures import Figure, find_figures
from calculators.reading import AmountError, AmountSpan, find_amounts, parse_amount, validate_amount

TOKENIZER = Tokenizer(REPO_ROOT / "corpus" / "vocabulary" / "userdict.txt")


def figures(text):
    return find_figures(text, TOKENIZER.words)

SINGLE = [
    ("300万", 3_000_000),
    ("三百五十万元", 3_500_000),
    ("1.2亿", 120_000_000),
    ("2,345,678元", 2_345_678),
    ("85.6万元", 856_000),
    ("五百萬元", 5_000_000),
    ("5 million yuan", 5_000_000),
    ("800,000 yuan", 800_000),
    ("两千五百万", 25_000_000),
    ("49.9万", 499_000),
    ("1万元", 10_000),
    ("6万元", 60_000),
    ("420万", 4_200_000),
    ("八百萬元", 8_000_000),
    ("RMB 3 million", 3_000_000),
    ("¥300,000", 300_000),
    ("￥300,000", 300_000),
    ("CNY 1.5m", 1_500_000),
    ("3.5 million RMB", 3_500_000),
    ("300 万元", 3_000_000),
    ("300万元人民币", 3_000_000),
    ("人民币300万元", 3_000_000),
    ("1000万元", 10_000_000),
    ("2千万", 20_000_000),
    ("0.5亿", 50_000_000),
    ("10万5千", 105_000),
    ("３００万", 3_000_000),
    ("８５．６万元", 856_000),
    ("十二点五万", 125_000),
    ("零点五万", 5_000),
    ("兩千萬", 20_000_000),
    ("貳佰萬元", 2_000_000),
    ("3个亿", 300_000_000),
    ("3万5", 35_000),
    ("花了四百块", 400),
    ("1.23456万", Decimal("12345.6")),  # cn2an alone would truncate this to 12345
    ("400,500元", 400_500),
    ("1,000万", 10_000_000),
    ("我们买了工业机器人，花了420万，补贴多少", 4_200_000),
    ("机器换人项目投资650万，资助多少", 6_500_000),
    ("已经是市级智能工厂拿了200万，现在认定为市级链主工厂，还能补多少", 2_000_000),
    ("实际投资了400万", 4_000_000),
    ("2025年我们投资了300万", 3_000_000),
    ("三百万一年", 3_000_000),
]


@pytest.mark.parametrize("text,expected", SINGLE)
def test_single_amount(text, expected):
    amounts = find_amounts(text)
    assert [a.value_yuan for a in amounts] == [Decimal(expected)]
    a = amounts[0]
    assert isinstance(a.value_yuan, Decimal) and not a.unit_missing
    assert text[a.start:a.end] == a.raw
    assert parse_amount(text) == Decimal(expected)


NOT_MONEY = [
    "10%", "百分之十", "10％", "百分之十五点五", "3%、8%", "2025年", "2021年11月20日", "2021-11-20",
    "GB/T12643-2013", "ISO9001", "20家", "3个", "1次", "100人", "20万台", "500千瓦", "(二)", "（一）总则",
    "(1)", "1+N", "第88次", "第十四届", "12:30", "1.2.3万", "三分之一", "十四五规划", "统一标准", "五十强",
    "我们一块去", "300m", "5G基站", "4K屏", "500万美元", "$5 million", "300多万", "1、设备", "1,2345元",
    "300万-500万", "300-500万", "",
]


@pytest.mark.parametrize("text", NOT_MONEY)
def test_not_money(text):
    assert find_amounts(text) == []


@pytest.mark.parametrize("text", NOT_MONEY)
def test_not_money_is_not_parsed(text):
    with pytest.raises(AmountError):
        parse_amount(text)


# Years, dates and document numbers in every form callers write them: none is an amount, with
# or without a unit-less number beside them.
DATES_AND_DOCUMENT_NUMBERS = [
    "2019年那版", "〔2019〕20号", "2021年11月20日", "2025年底", "富政办〔2019〕20号", "第2季度", "3月份",
    "富政辦〔2019〕20號", "杭政办函[2019]20号", "杭政办函（2019）20号", "〔2019〕20", "2019〕", "〔2019",
    "2019版", "2019 版", "2019版本", "2019的政策", "那个2019的政策", "2019财年", "2019年度", "二〇一九年",
    "2019-2021年", "2019至2021年", "2019~2021年", "2019～2021年", "2019—2021年", "2季度", "前3季度", "第二季度",
    "11月20号", "2021.11.20", "2021/11/20", "19年那版", "in 2019", "since 2021", "year 2019", "the 2019 policy",
    "What did the 2019 policy say about robots?", "November 20, 2021", "Nov. 20, 2021", "20 November 2021",
    "Q2 2021", "FY2019",
]


@pytest.mark.parametrize("text", DATES_AND_DOCUMENT_NUMBERS)
def test_dates_and_document_numbers_are_not_money(text):
    assert find_amounts(text) == []


@pytest.mark.parametrize("text, expected", [
    ("富政办〔2019〕20号那版，机器人购置款300万", 3_000_000),
    ("2021年11月20日买的，花了350万", 3_500_000),
    ("In 2019 we spent 3 million yuan", 3_000_000),
    ("2019版政策，投资2019万元", 20_190_000),
])
def test_the_amount_beside_a_date_is_the_only_one(text, expected):
    assert [a.value_yuan for a in find_amounts(text)] == [expected]


@pytest.mark.parametrize("text", ["2000", "设备投入2000", "花了2019", "2000至3000元"])
def test_a_bare_number_without_date_words_is_still_read(text):
    assert find_amounts(text) and find_amounts(text)[0].unit_missing


@pytest.mark.parametrize("text,expected", [("400", 400), ("四百", 400), ("两千", 2000), ("五十", 50)])
def test_bare_number_flagged(text, expected):
    [a] = find_amounts(text)
    assert a.value_yuan == expected and a.unit_missing


def test_bare_number_with_wan_counts_as_money():
    [a] = find_amounts("400万")
    assert not a.unit_missing


def test_two_amounts_with_labels():
    text = "工厂物联网项目，设备投入40万元，软件投入20万元"
    amounts = figures(text)
    assert [(a.value_yuan, a.label) for a in amounts] == [(400_000, "设备投入"), (200_000, "软件投入")]
    assert [a.raw for a in amounts] == ["40万元", "20万元"]
    assert [text[a.start:a.end] for a in amounts] == ["40万元", "20万元"]
    with pytest.raises(AmountError) as err:
        parse_amount(text)
    assert "多个" in str(err.value) and err.value.message_en


@pytest.mark.parametrize("text,label_part", [
    ("我们买了工业机器人，花了420万，补贴多少", "花了"),
    ("机器换人项目投资650万，资助多少", "投资"),
    ("已经是市级智能工厂拿了200万，现在认定为市级链主工厂，还能补多少", "拿了"),
    ("实际投资了400万", "投资"),
    ("合同金额为：85.6万元", "合同金额"),
])
def test_label(text, label_part):
    [a] = figures(text)
    assert label_part in a.label and "，" not in a.label


def test_no_label():
    assert figures("400万")[0].label == ""


def test_label_comes_from_the_given_word_splitter():
    one_char_words = lambda text: [(ch, i, i + 1) for i, ch in enumerate(text)]  # noqa: E731
    [a] = find_figures("设备投入40万元", one_char_words)
    assert a.label == "投入" and a.value_yuan == 400_000


def test_figures_are_the_scanned_amounts_with_labels():
    text = "工厂物联网项目，设備投入40万元，软件投入二十万元，共60万"
    spans = [(a.value_yuan, a.raw, a.start, a.end, a.unit_missing) for a in find_amounts(text)]
    assert [(f.value_yuan, f.raw, f.start, f.end, f.unit_missing) for f in figures(text)] == spans
    assert [f.label for f in figures(text)] == ["设备投入", "软件投入", ""]


def test_span_uses_original_text():
    text = "設備投入五百萬元"
    [a] = figures(text)
    assert a.raw == "五百萬元" == text[a.start:a.end] and a.value_yuan == 5_000_000 and a.label == "设备投入"


@pytest.mark.parametrize("text", ["-300万", "负300万", "负三百万", "花了-300万"])
def test_negative_found_and_rejected(text):
    [a] = find_amounts(text)
    assert a.value_yuan == -3_000_000
    with pytest.raises(AmountError, match="负"):
        parse_amount(text)


@pytest.mark.parametrize("text,zh", [
    ("0元", "零"), ("2000亿", "1000亿"), ("100000000001元", "1000亿"), ("一万亿元", "1000亿"),
    ("400万和500万", "多个"), ("没有金额", "无法识别"), ("百分之十", "无法识别"),
])
def test_parse_rejects(text, zh):
    with pytest.raises(AmountError) as err:
        parse_amount(text)
    assert zh in str(err.value) and err.value.message_en


def test_parse_accepts_repeats_and_prefers_amounts_with_units():
    assert parse_amount("400万，对，400万") == 4_000_000
    assert parse_amount("我们是500强企业，投资了300万") == 3_000_000
    assert parse_amount("400") == 400
    assert parse_amount("1000亿") == Decimal("1e11")


@pytest.mark.parametrize("value", [Decimal(0), Decimal(-1), Decimal("1e11") + 1, Decimal("NaN"), Decimal("Infinity")])
def test_validate_rejects(value):
    with pytest.raises(AmountError):
        validate_amount(value)


def test_validate_accepts():
    assert validate_amount(Decimal("0.5")) == Decimal("0.5")


def test_amounts_and_figures_are_frozen():
    a, f = find_amounts("300万")[0], figures("300万")[0]
    assert isinstance(a, AmountSpan) and isinstance(f, Figure)
    with pytest.raises(AttributeError):
        a.value_yuan = Decimal(1)
    with pytest.raises(ValidationError):
        f.label = "x"


# ---- properties -------------------------------------------------------------------------

NUMERALS = st.lists(
    st.sampled_from(list("0123456789零一二两三四五六七八九十百千万亿元萬億兩点.,，。%％-负+()（）年个第 ")
                    + ["万元", "亿元", "人民币", "RMB", "million", "百分之", "分之", "¥"]),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), NUMERALS))
def test_find_amounts_never_raises(text):
    for a in find_amounts(text):
        assert isinstance(a.value_yuan, Decimal)
        assert 0 <= a.start < a.end <= len(text) and text[a.start:a.end] == a.raw


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), NUMERALS))
def test_parse_amount_positive_or_amount_error(text):
    try:
        value = parse_amount(text)
    except AmountError:
        return
    assert isinstance(value, Decimal) and 0 < value <= Decimal("1e11")


def _formats(n: int) -> list[str]:
    out = [f"{n}元", f"{n:,}元", cn2an.an2cn(n) + "元"]
    wan = n / 10000
    if Decimal(repr(wan)) * 10000 == n:
        out.append(f"{wan}万")
    return out


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**11), st.data())
def test_round_trip(n, data):
    text = data.draw(st.sampled_from(_formats(n)))
    assert parse_amount(text) == n


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=10**7), st.integers(min_value=1, max_value=10**7))
def test_two_amounts_in_a_sentence(a, b):
    found = figures(f"设备投入{a}元，软件投入{b:,}元")
    assert [(x.value_yuan, x.label) for x in found] == [(a, "设备投入"), (b, "软件投入")]
