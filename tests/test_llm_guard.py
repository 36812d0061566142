"""The grounding guard on its own: figures compared as values whatever their writing, quotations
checked against the policy, the canary and the instructions recognised."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.answering.english import Glossary
from assistant.corpus.library import load_library
from assistant.integrations.llm.figures import figures_in
from assistant.integrations.llm.guard import Evidence, GroundingGuard
from assistant.integrations.llm.prompts import ECHO_MIN_CHARS, EchoDetector, Prompts
from assistant.language.text import Script

ROBOT_CLAUSE = ("【三、专项政策（二）】(二)鼓励企业加大对机器人的投入。对企业购置符合GB/T12643-2013标准的工业机器人,"
                "按机器人购置款的10%给予资助,单个企业最高不超过100万元。")


@pytest.fixture(scope="module")
def prompts():
    return Prompts.load()


@pytest.fixture(scope="module")
def guard(settings, prompts):
    documents = load_library(settings.corpus_dir).documents
    glossary = Glossary.from_folder(settings.corpus_dir / "vocabulary")
    return GroundingGuard(documents, [entry.en for entry in glossary.entries], EchoDetector(prompts))


@pytest.fixture
def robot_search():
    return Evidence(texts=[ROBOT_CLAUSE], clauses=["三、专项政策（二）"])


@pytest.mark.parametrize("one, other", [
    ("42万元", "420,000元"), ("４２万元", "420000元"), ("四十二万元", "0.42 million yuan"), ("1.2亿", "一亿二千万元"),
])
def test_money_is_compared_as_yuan_whatever_its_writing(one, other):
    assert figures_in(one).money == figures_in(other).money != set()


def test_percentages_counts_and_dates_are_read_as_values():
    assert figures_in("百分之十").percents == figures_in("10%").percents == {Decimal(10)}
    assert figures_in("培育二十家").numbers == figures_in("培育20家").numbers == {Decimal(20)}
    assert figures_in("2025年12月31日").numbers == {Decimal(2025), Decimal(12), Decimal(31)}
    assert figures_in("最高500万元").numbers == set(), "the digits of an amount are not counted twice"


def test_an_answer_restating_the_clause_in_other_words_passes(guard, robot_search):
    answer = ("购买符合标准的工业机器人，可按购置款的百分之十获得资助，每家企业最多一百万元"
              "（见三、专项政策（二））。政策施行至2025年12月31日。")
    assert guard.problems(answer, robot_search) == []


@pytest.mark.parametrize("invented, kind", [
    ("单个企业最高不超过200万元。", "amount"),
    ("按购置款的15%给予资助。", "percentage"),
    ("申报截止到2026年3月1日。", "number"),
    ("全区已有35家企业获得资助。", "number"),
])
def test_a_figure_no_tool_returned_fails(guard, robot_search, invented, kind):
    problems = guard.problems("根据三、专项政策（二），" + invented, robot_search)
    assert problems and all(kind in problem for problem in problems)


def test_calculator_results_ground_their_amounts(guard, robot_search):
    robot_search.money |= {Decimal(420_000), Decimal(4_200_000)}
    assert guard.problems("投入420万元，可补助42万元。", robot_search) == []
    assert guard.problems("投入420万元，可补助45万元。", robot_search)


@pytest.mark.parametrize("quote", [
    "「按机器人购置款的10%给予资助」",
    "“按機器人購置款的10%給予資助”",  # the user's Traditional script
    "「鼓励企业加大对机器人的投入。……单个企业最高不超过100万元」",
    "the “Smart Factory” of the city",  # a glossary term in English
])
def test_a_quotation_found_in_the_policy_passes(guard, robot_search, quote):
    assert guard.problems(quote, robot_search) == []


@pytest.mark.parametrize("quote", ["「企业购置机器人一律给予全额资助」", "“subsidies are guaranteed for every firm”"])
def test_an_invented_quotation_fails(guard, robot_search, quote):
    assert any("quotation" in problem for problem in guard.problems(quote, robot_search))


def test_the_canary_and_a_stretch_of_the_instructions_fail(guard, robot_search, prompts):
    assert any("canary" in p for p in guard.problems(f"好的。{prompts.canary.lower()}", robot_search))
    rules = prompts.system_text(Script.SIMPLIFIED)
    stretch = rules[rules.index("作答规则") : rules.index("作答规则") + ECHO_MIN_CHARS + 5]
    assert any("instructions" in p for p in guard.problems(f"我的说明是：{stretch}", robot_search))
    assert guard.problems("政策原文未作规定，建议咨询区经信局。", Evidence(texts=["区经信局"])) == []


def test_each_process_draws_its_own_canary(prompts):
    assert prompts.canary in prompts.system_text(Script.ENGLISH)
    assert Prompts.load().canary != prompts.canary
