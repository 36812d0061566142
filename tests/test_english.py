"""English wording: amounts in English units, rates, dates, and the reviewed glossary
(corpus/vocabulary/glossary.yaml). Fast tier: no model, no assistant."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import opencc
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from assistant.answering.english import (
    Glossary,
    GlossaryEntry,
    GlossaryFile,
    date_en,
    percentage_points_en,
    rate_en,
    yuan_en,
    yuan_zh,
)
from assistant.corpus.library import load_library
from calculators import read_yuan
from tests.fuyang import RULEBOOK

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT / "corpus"
VOCABULARY = CORPUS / "vocabulary"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.from_folder(VOCABULARY)


# ── Amounts ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("amount", "expected"), [
    (1_000_000, "1 million yuan (100万元)"),
    (2_500_000, "2.5 million yuan (250万元)"),
    (2_510_000, "2.51 million yuan (251万元)"),
    (5_000_000, "5 million yuan (500万元)"),
    (150_000, "150,000 yuan (15万元)"),
    (800_000, "800,000 yuan (80万元)"),
    (20_000, "20,000 yuan (2万元)"),
    (500, "500 yuan (500元)"),
    (5000, "5,000 yuan (5000元)"),
    (0, "0 yuan (0元)"),
    (100_000_000, "100 million yuan (1亿元)"),
    (150_000_000, "150 million yuan (1.5亿元)"),
    (1_500_000_000, "1.5 billion yuan (15亿元)"),
    (100_000_000_000, "100 billion yuan (1000亿元)"),
    (1_234_500, "1,234,500 yuan (123.45万元)"),
    (1_234_567, "1,234,567 yuan (1,234,567元)"),
    (1_234_560_000, "1,234.56 million yuan (123456万元)"),
    (Decimal("12345.67"), "12,345.67 yuan (12,345.67元)"),
    (Decimal("0.5"), "0.50 yuan (0.50元)"),
    (Decimal("100.001"), "100.001 yuan (100.001元)"),
    (Decimal("1E+6"), "1 million yuan (100万元)"),
    (Decimal("1000000.00"), "1 million yuan (100万元)"),
    (-1_000_000, "-1 million yuan (-100万元)"),
    (Decimal("-12345.67"), "-12,345.67 yuan (-12,345.67元)"),
])
def test_yuan_en(amount, expected):
    assert yuan_en(amount) == expected


def test_yuan_en_without_chinese():
    assert yuan_en(100_000_000_000, with_chinese=False) == "100 billion yuan"
    assert yuan_en(1_000_000, with_chinese=False) == "1 million yuan"
    assert yuan_en(Decimal("12345.67"), with_chinese=False) == "12,345.67 yuan"


@pytest.mark.parametrize("bad", [1.5, "100万", True, None])
def test_yuan_en_takes_exact_numbers_only(bad):
    with pytest.raises(TypeError):
        yuan_en(bad)


def test_yuan_en_refuses_nan():
    with pytest.raises(ValueError):
        yuan_en(Decimal("NaN"))


def _read_back_english(text: str) -> Decimal:
    english = text.split(" (")[0]
    assert english.endswith(" yuan")
    number = english.removesuffix(" yuan")
    factor = Decimal(1)
    for word, scale in ((" million", Decimal(10) ** 6), (" billion", Decimal(10) ** 9)):
        if number.endswith(word):
            number, factor = number.removesuffix(word), scale
    return Decimal(number.replace(",", "")) * factor


AMOUNTS = st.one_of(
    st.integers(min_value=-(10**11), max_value=10**11),
    st.integers(min_value=-(10**7), max_value=10**7).map(lambda wan: wan * 10_000),
    st.integers(min_value=-(10**5), max_value=10**5).map(lambda million: million * 10**6),
    st.decimals(min_value=-(10**11), max_value=10**11, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False),
)


@given(AMOUNTS)
def test_english_amount_reads_back_exactly(amount):
    assert _read_back_english(yuan_en(amount)) == amount
    assert _read_back_english(yuan_en(amount, with_chinese=False)) == amount


@given(st.one_of(
    st.integers(min_value=0, max_value=10**11),
    st.integers(min_value=0, max_value=10**5).map(lambda million: million * 10**6),
    st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False, allow_infinity=False),
))
def test_chinese_amount_reads_back_exactly(amount):
    chinese = yuan_en(amount).split(" (", 1)[1].removesuffix(")")
    assert chinese == yuan_zh(amount)
    assert read_yuan(chinese) == amount


# ── Rates and dates ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("rate", "expected"), [
    (Decimal("0.1"), "10%"), (Decimal("0.15"), "15%"), (Decimal("0.5"), "50%"),
    (Decimal("0.025"), "2.5%"), (Decimal("0.05"), "5%"), (Decimal(1), "100%"),
])
def test_rate_en(rate, expected):
    assert rate_en(rate) == expected


def test_rules_rates_in_english():
    rates = {rule.id: rate_en(rule.rate) for rule in RULEBOOK.rules if rule.rate is not None}
    assert rates["robot_purchase"] == "10%"
    assert rates["factory_iot"] == "15%"
    assert rates["digital_engineering_provider"] == "5%"


def test_percentage_points_en():
    assert percentage_points_en(2) == "2 percentage points"
    assert percentage_points_en(1) == "1 percentage point"
    assert percentage_points_en(Decimal("0.5")) == "0.5 percentage points"


@pytest.mark.parametrize(("date", "expected"), [
    (dt.date(2025, 12, 31), "31 December 2025"),
    (dt.date(2021, 11, 20), "20 November 2021"),
    (dt.date(2022, 3, 1), "1 March 2022"),
    (dt.datetime(2021, 10, 8, 9, 30), "8 October 2021"),
])
def test_date_en(date, expected):
    assert date_en(date) == expected


# ── The glossary file ────────────────────────────────────────────────────────────────────


def test_glossary_file_validates():
    data = yaml.safe_load((VOCABULARY / "glossary.yaml").read_text(encoding="utf-8"))
    parsed = GlossaryFile.model_validate(data)
    zh = [entry.zh for entry in parsed.terms]
    assert len(zh) == len(set(zh))
    assert len(parsed.terms) >= 60


def test_glossary_rejects_duplicates_and_chinese_english():
    with pytest.raises(ValidationError, match="more than once"):
        GlossaryFile(terms=[GlossaryEntry(zh="补助", en="subsidy"), GlossaryEntry(zh="补助", en="grant")])
    with pytest.raises(ValidationError):
        GlossaryEntry(zh="补助", en="补助 subsidy")
    with pytest.raises(ValidationError):
        GlossaryEntry(zh="subsidy", en="subsidy")
    with pytest.raises(ValidationError):
        GlossaryFile.model_validate({"terms": [{"zh": "补助", "en": "subsidy", "comment": "x"}]})


def test_glossary_terms_are_simplified():
    t2s = opencc.OpenCC("t2s")
    assert [entry.zh for entry in Glossary.from_folder(VOCABULARY).entries
            if t2s.convert(entry.zh) != entry.zh] == []


# Terms asked for that the policy does not write: 区级 (the policy says 区, 本区, 区内).
NOT_IN_SOURCES = {"区级"}


def test_glossary_terms_come_from_the_policy_or_the_rules(glossary):
    document = load_library(CORPUS).documents[0]
    t2s = opencc.OpenCC("t2s")
    policy = t2s.convert(" ".join(f"{clause.location} {clause.text}" for clause in document.clauses))
    folder = load_library(CORPUS).policies[0].folder
    sources = policy + (folder / "rules.yaml").read_text(encoding="utf-8") + \
        (folder / "policy.yaml").read_text(encoding="utf-8")
    assert [entry.zh for entry in glossary.entries if entry.zh not in sources] == sorted(NOT_IN_SOURCES)


REQUIRED = {
    "聚能工厂": "Platform Factory", "链主工厂": "Chain-Leader Factory", "智能工厂": "Smart Factory",
    "数字化车间": "Digital Workshop", "未来工厂": "Future Factory", "云端工厂": "Cloud Factory",
    "省级": "provincial", "市级": "city-level", "区级": "district-level",
    "上云标杆企业": "cloud-adoption benchmark enterprise", "一键上云": "one-click cloud",
    "工业互联网平台": "industrial-internet platform", "产业大脑": "industry brain",
    "数字工程服务商": "digital-engineering service provider",
    "数字工程服务机构": "digital-engineering service agency",
    "机器换人": "machine replacement", "工厂物联网": "factory IoT", "工业机器人": "industrial robot",
    "“1+N”技术改造试点": "“1+N” technical-upgrade pilot", "无人工厂": "unmanned factory",
    "智能制造试点示范": "smart-manufacturing pilot or demonstration",
    "数字化转型整体解决方案": "digital-transformation master plan", "专家诊断": "expert diagnosis",
    "规划设计费用": "planning and design fee", "小微企业": "small or micro enterprise", "中小企业": "SME",
    "项目库企业": "project-library enterprise", "块状经济": "block economy",
    "进档差额": "difference between levels", "含省市补助": "including provincial and city subsidies",
    "新制造业计划": "New Manufacturing Plan",
    "区经信局": "District Bureau of Economy and Information Technology",
    "杭州市富阳区经济和信息化局": "Fuyang District Bureau of Economy and Information Technology, Hangzhou",
    "实施意见": "Implementing Opinions",
    "一次性补助": "one-time subsidy", "奖励": "award", "资助": "support", "补助": "subsidy",
    "单个企业": "per enterprise", "单个项目": "per project", "每年": "per year",
    "以上": "or more", "不超过": "not more than", "最高": "up to",
}


@pytest.mark.parametrize(("zh", "en"), REQUIRED.items())
def test_required_terms(glossary, zh, en):
    assert glossary.term(zh) == en


def test_term_reads_traditional_and_misses_unknown(glossary):
    assert glossary.term("鏈主工廠") == "Chain-Leader Factory"
    assert glossary.term("數字化車間") == "Digital Workshop"
    assert glossary.term("不存在的词") is None
    assert "未来工厂" in glossary and "不存在的词" not in glossary


def test_notes_explain_the_choices_a_reviewer_asks_about(glossary):
    assert "includes the number" in (glossary.note("以上") or "")
    assert "Capitalised" in (glossary.note("未来工厂") or "")
    assert "杭州市富阳区经济和信息化局" in (glossary.note("区经信局") or "")


# ── Rendering ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("zh", "en"), [
    ("市级“智能工厂”", "city-level “Smart Factory”"),
    ("省级“未来工厂”", "provincial “Future Factory”"),
    ("市级以上“聚能工厂”", "city-level or higher “Platform Factory”"),
    ("省级上云标杆企业", "provincial cloud-adoption benchmark enterprise"),
    ("富阳区“未来工厂”实施意见", "Fuyang District “Future Factory” Implementing Opinions"),
    ("机器换人项目补助", "machine-replacement project subsidy"),
    ("提高2个百分点", "raised by 2 percentage points"),
    ("单个企业每年只享受1次", "per enterprise per year only once"),
    ("补助资金均按进档差额执行", "subsidy funds 均 paid as the difference between levels"),
    ("数字化改造专家诊断（政府购买服务）", "digital transformation expert diagnosis (government-purchased service)"),
    ("按《数字化转型整体解决方案》推进", "按 “digital-transformation master plan” 推进"),
    ("被認定為市級“鏈主工廠”", "recognised as city-level “Chain-Leader Factory”"),
    ("云端工厂除外", "Cloud Factory 除外"),
    ("GB/T12643-2013", "GB/T12643-2013"),
    ("", ""),
])
def test_render(glossary, zh, en):
    assert glossary.render(zh) == en


def test_render_prefers_the_longest_term(glossary):
    assert glossary.render("上云标杆企业") == "cloud-adoption benchmark enterprise"  # not 上云 + … + 企业
    assert glossary.render("一键上云") == "one-click cloud"
    assert glossary.render("单个项目最高不超过") == "per project up to"


def test_render_leaves_text_that_is_no_term_alone(glossary):
    assert glossary.render("今天天气很好") == "今天天气很好"
    assert glossary.render("Which department?") == "Which department?"


# Labels of rules.yaml with Chinese left after rendering, and why. Every other choice label
# and rule title renders with no Chinese at all.
TITLE_EXCEPTIONS = {
    # 的 ties a Chinese clause to the noun after it; rules.yaml's title_en is the English title.
    "新建项目认定为市级“未来工厂”的补助标准提高2个百分点": "的",
    # 等 ("and the like") is a particle, not a term of the policy.
    "智能制造试点示范等奖励": "等",
}


def _choice_labels() -> list[str]:
    return sorted({choice.label.zh for rule in RULEBOOK.rules for spec in rule.inputs
                   for choice in (spec.choices or [])})


@pytest.mark.parametrize("label", _choice_labels())
def test_every_choice_label_renders_in_english(glossary, label):
    assert not CJK.search(glossary.render(label)), glossary.render(label)


@pytest.mark.parametrize("title", [rule.title for rule in RULEBOOK.rules])
def test_every_rule_title_renders_in_english(glossary, title):
    left = "".join(CJK.findall(glossary.render(title)))
    assert left == TITLE_EXCEPTIONS.get(title, ""), glossary.render(title)


def _words(text: str) -> str:
    return re.sub(r"[“”\"()（）]", "", text).lower().strip()


@pytest.mark.parametrize("choice", [choice for rule in RULEBOOK.rules for spec in rule.inputs
                                    for choice in (spec.choices or [])
                                    if choice.value.startswith(("city_", "provincial_"))
                                    or choice.value.endswith("_factory") or choice.value == "digital_workshop"],
                         ids=lambda choice: choice.value)
def test_designations_use_the_words_of_the_rules(glossary, choice):
    """The Future Factory levels: the glossary's words are rules.yaml's label.en (which writes
    them in sentence case, the glossary capitalises the titles)."""
    assert _words(glossary.render(choice.label.zh)) == _words(choice.label.en)
