"""Rules loading, errors, the eligibility check, money formatting and import purity."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from calculators import (
    Calculation,
    CalculatorError,
    EnterpriseProfile,
    MissingInputsError,
    format_yuan,
    parse_yuan,
    read_rulebook,
)
from tests.fuyang import RULES_PATH, check_eligibility, compute, load_rules, match_items, missing_inputs

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus" / "policies" / "fuyang-future-factory-2021" / "fuyang-future-factory-2021.txt"
WAN = Decimal(10000)

EXPECTED_IDS = {
    "expert_diagnosis", "transformation_plan_design", "industry_brain_operation",
    "robot_purchase", "machine_replacement", "factory_iot", "one_plus_n_pilot",
    "unmanned_factory_benchmark", "future_factory_recognition",
    "new_project_future_factory_rate_bonus", "smart_manufacturing_pilot",
    "industrial_internet_platform", "cloud_benchmark", "one_click_cloud",
    "first_cloud_purchase", "digital_engineering_provider",
}
NO_FIGURE_IDS = {"expert_diagnosis", "industry_brain_operation", "one_plus_n_pilot",
                 "unmanned_factory_benchmark", "new_project_future_factory_rate_bonus"}


def wan(amount: str) -> Decimal:
    return Decimal(amount) * WAN


# ── the rules file ─────────────────────────────────────────────────────────────


def test_every_item_of_the_special_policies_is_present() -> None:
    rules = load_rules()
    assert set(rules) == EXPECTED_IDS
    assert {rule_id for rule_id, rule in rules.items() if rule.calculation == "no_figure"} == NO_FIGURE_IDS


def test_clause_labels_use_full_width_parentheses() -> None:
    for rule in load_rules().values():
        assert re.fullmatch(r"三、专项政策（[一二三四五六七]）", rule.clause), rule.id
    assert load_rules()["robot_purchase"].clause == "三、专项政策（二）"


def test_quotes_are_verbatim_from_the_source() -> None:
    opencc = pytest.importorskip("opencc")
    source = CORPUS.read_text(encoding="utf-8")
    source = re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)", "", source)
    simplified = re.sub(r"\s", "", opencc.OpenCC("t2s").convert(source))
    for rule in load_rules().values():
        assert re.sub(r"\s", "", rule.quote) in simplified, rule.id


def test_every_item_has_golden_cases() -> None:
    covered = set()
    for path in (REPO / "tests" / "golden").glob("*.yaml"):
        covered |= {case["item"] for case in yaml.safe_load(path.read_text(encoding="utf-8"))}
    assert covered >= EXPECTED_IDS


def test_keywords_name_each_item_once() -> None:
    owner: dict[str, str] = {}
    for rule in load_rules().values():
        for word in (*rule.keywords.zh, *rule.keywords.en):
            assert owner.setdefault(word.lower(), rule.id) == rule.id, word
    robot = load_rules()["robot_purchase"].keywords
    assert {"买机器人", "机器人补贴"} <= set(robot.zh) and "robot" in robot.en


def test_every_input_has_a_follow_up_question() -> None:
    for rule in load_rules().values():
        for spec in rule.inputs:
            assert spec.ask.zh.endswith("？") or "？" in spec.ask.zh, (rule.id, spec.name)
            assert spec.ask.en, (rule.id, spec.name)


def _rules_copy(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_packaged_rules_validate(tmp_path: Path) -> None:
    unchanged = _rules_copy(tmp_path, lambda data: None)
    assert len(read_rulebook(unchanged).rules) == len(EXPECTED_IDS)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["rules"][3].update(subsidy_rate="10%"), "Extra inputs are not permitted"),
        (lambda d: d["rules"][3]["inputs"][0].update(colour="red"), "Extra inputs are not permitted"),
        (lambda d: d["rules"][3].update(clause=""), "at least 1 character"),
        (lambda d: d["rules"][3].update(rate=10), "比例应写成百分数"),
        (lambda d: d["rules"][3].update(cap_yuan="很多"), "金额格式无法识别"),
        (lambda d: d["rules"][3]["conditions"][0].update(input="nope"), "unknown input"),
        (lambda d: d["rules"].append(d["rules"][0]), "duplicate rule ids"),
        (lambda d: d["rules"][3].update(quote="数(shù)字"), "pinyin"),
        (lambda d: d["rules"][0].update(rate="10%"), "rate makes no sense for no_figure"),
        (lambda d: d["rules"][0].pop("explanation"), "no_figure needs explanation"),
    ],
    ids=["extra-rule-field", "extra-input-field", "empty-clause", "bare-rate",
         "bad-amount", "unknown-condition-input", "duplicate-id", "pinyin-in-quote",
         "figure-on-no-figure-item", "no-figure-without-explanation"],
)
def test_bad_rules_fail_at_load(tmp_path: Path, mutate, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        read_rulebook(_rules_copy(tmp_path, mutate))
    assert message in str(raised.value)


# ── compute: values and errors ─────────────────────────────────────────────────


def test_calculation_contract_fields() -> None:
    assert set(Calculation.model_fields) == {
        "item", "doc_id", "title", "eligible", "amount_yuan", "cap_yuan", "cap_applied", "inputs",
        "formula", "clause", "quote", "reason", "notes", "open_conditions",
    }
    result = compute("robot_purchase", {"robot_purchase_yuan": 4_200_000})
    assert result.amount_yuan == Decimal("420000.00")
    assert isinstance(result.inputs["robot_purchase_yuan"], Decimal)
    # pydantic writes Decimal as a JSON string, so no float ever touches an amount.
    payload = json.loads(result.model_dump_json())
    assert payload["amount_yuan"] == "420000.00"
    assert payload["inputs"]["robot_purchase_yuan"] == "4200000"


def test_numbers_and_text_amounts_are_the_same() -> None:
    as_text = compute("factory_iot", {"investment_yuan": "300万"})
    as_number = compute("factory_iot", {"investment_yuan": 3_000_000})
    as_decimal = compute("factory_iot", {"investment_yuan": Decimal("3000000.00")})
    assert as_text.amount_yuan == as_number.amount_yuan == as_decimal.amount_yuan == wan("45")


def test_none_means_not_given() -> None:
    result = compute("robot_purchase", {"robot_purchase_yuan": "80万", "meets_gb_t_12643": None})
    assert result.eligible and result.open_conditions
    assert not any("待确认" in note for note in result.notes)


@pytest.mark.parametrize(
    ("item", "inputs", "message"),
    [
        ("nope", {}, "未知的补助项目"),
        ("robot_purchase", {"robot_price": 1}, "没有名为“robot_price”的输入项"),
        ("robot_purchase", {"robot_purchase_yuan": -1}, "金额不能为负数"),
        ("robot_purchase", {"robot_purchase_yuan": "0元"}, "金额必须大于0"),
        ("robot_purchase", {"robot_purchase_yuan": True}, "金额格式无法识别"),
        ("robot_purchase", {"robot_purchase_yuan": 1, "meets_gb_t_12643": "也许"}, "请回答“是”或“否”"),
        ("cloud_benchmark", {"level": "区级"}, "取值“区级”无效"),
        ("machine_replacement", {"investment_yuan": 300, "equipment_yuan": 500}, "超过了"),
        ("machine_replacement", {"equipment_yuan": 0, "software_yuan": 0}, "金额必须大于0"),
        ("robot_purchase", ["robot_purchase_yuan"], "键值对"),
    ],
)
def test_invalid_inputs_raise_in_chinese(item: str, inputs, message: str) -> None:
    with pytest.raises(CalculatorError) as raised:
        compute(item, inputs)
    assert message in str(raised.value)


def test_missing_required_input_names_what_to_ask() -> None:
    with pytest.raises(MissingInputsError) as raised:
        compute("robot_purchase", {"meets_gb_t_12643": True})
    assert [spec.name for spec in raised.value.missing] == ["robot_purchase_yuan"]
    assert "机器人购置款" in str(raised.value)


def test_missing_inputs_in_asking_order() -> None:
    names = lambda item, given: [spec.name for spec in missing_inputs(item, given)]  # noqa: E731
    assert names("robot_purchase", {}) == ["robot_purchase_yuan"]
    assert names("robot_purchase", {"robot_purchase_yuan": "1万"}) == []
    assert names("machine_replacement", {}) == ["investment_yuan"]
    # Half the parts known: ask for the other part, not for a total.
    assert names("machine_replacement", {"equipment_yuan": "150万"}) == ["software_yuan"]
    assert names("machine_replacement", {"equipment_yuan": "150万", "software_yuan": 0}) == []
    assert names("future_factory_recognition", {}) == ["level"]
    assert names("one_click_cloud", {}) == []
    assert names("expert_diagnosis", {}) == []
    question = missing_inputs("digital_engineering_provider", {})[0].ask
    assert "收入" in question.zh and "revenue" in question.en


def test_choices_accept_chinese_labels_and_aliases() -> None:
    by_label = compute("future_factory_recognition", {"level": "市级“链主工厂”", "previous_level": "智能工厂"})
    by_value = compute("future_factory_recognition",
                       {"level": "city_chain_leader_factory", "previous_level": "city_smart_factory"})
    assert by_label.amount_yuan == by_value.amount_yuan == wan("300")
    assert by_label.inputs["level"] == "city_chain_leader_factory"


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000000"), places=2))
def test_robot_amount_is_ten_percent_bounded_by_the_cap(purchase: Decimal) -> None:
    result = compute("robot_purchase", {"robot_purchase_yuan": purchase})
    expected = min((purchase / 10).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"), wan("100"))
    assert result.amount_yuan == expected
    assert result.cap_applied == (purchase / 10 > wan("100"))


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000000"), places=2))
def test_machine_replacement_threshold_includes_200_wan(investment: Decimal) -> None:
    result = compute("machine_replacement", {"investment_yuan": investment})
    assert result.eligible == (investment >= wan("200"))
    assert result.amount_yuan <= wan("100")


# ── eligibility check ──────────────────────────────────────────────────────────


def _by_item(report) -> dict:
    return {item.item: item for item in [*report.items, *report.not_eligible]}


def _states(assessment) -> dict[str, str]:
    return {check.condition: check.state for check in assessment.conditions}


def test_confirmed_items_count_in_the_total() -> None:
    report = check_eligibility(EnterpriseProfile(
        robot_purchase_yuan=wan("420"), robots_meet_gb_t_12643=True, robot_subsidy_received_yuan=0,
        iot_investment_yuan="300万",
    ))
    items = _by_item(report)
    assert items["robot_purchase"].status == "eligible"
    assert items["factory_iot"].status == "eligible"
    assert report.total_yuan == wan("87") == report.possible_total_yuan
    assert set(_states(items["factory_iot"]).values()) == {"met"}


def test_unknown_conditions_are_not_guessed() -> None:
    report = check_eligibility({"robot_purchase_yuan": "420万"})
    robot = _by_item(report)["robot_purchase"]
    assert robot.status == "possible"
    unknown = [check for check in robot.conditions if check.state == "unknown"]
    assert {check.input for check in unknown} == {"meets_gb_t_12643", "robot_subsidy_received_yuan"}
    assert all(check.to_find_out and check.to_find_out_en for check in unknown)
    assert report.total_yuan == 0
    assert report.possible_total_yuan == wan("42")
    assert any("待确认" in note for note in report.notes)


def test_not_met_items_are_listed_with_reasons() -> None:
    report = check_eligibility({
        "machine_replacement_equipment_yuan": "150万", "machine_replacement_software_yuan": "40万",
        "digital_engineering_revenue_yuan": "1000万", "digital_engineering_recognised": False,
    })
    ruled_out = {item.item: item for item in report.not_eligible}
    assert set(ruled_out) == {"machine_replacement", "digital_engineering_provider"}
    threshold = ruled_out["machine_replacement"].conditions[0]
    assert threshold.state == "not_met" and "未达到200万元以上的门槛" in threshold.reason
    assert ruled_out["machine_replacement"].calculation.amount_yuan == 0
    assert report.items == [] and report.total_yuan == 0


def test_missing_amount_leaves_calculation_empty() -> None:
    report = check_eligibility({"has_third_party_plan": True, "follows_plan": True})
    plan = _by_item(report)["transformation_plan_design"]
    assert plan.status == "possible" and plan.calculation is None
    fee = next(check for check in plan.conditions if check.input == "plan_design_fee_yuan")
    assert fee.state == "unknown" and "规划设计费用" in fee.to_find_out


def test_both_cloud_items_are_shown_with_what_decides() -> None:
    report = check_eligibility({
        "first_cloud_purchase": True, "first_cloud_amount_paid_yuan": "1万",
        "is_small_micro": True, "is_manufacturing": True,
    })
    items = _by_item(report)
    assert {"one_click_cloud", "first_cloud_purchase"} <= set(items)
    assert items["first_cloud_purchase"].calculation.amount_yuan == Decimal("5000.00")
    one_click = _states(items["one_click_cloud"])
    assert one_click["通过“一键上云”应用场景购买上云产品"] == "unknown"
    overlap = [note for note in report.notes if "一键上云" in note and "小微" in note]
    assert overlap, report.notes


def test_future_factory_ladder_and_deduction_in_the_check() -> None:
    report = check_eligibility({
        "future_factory_level": "city_chain_leader_factory",
        "future_factory_previous_level": "city_smart_factory",
        "future_factory_provincial_city_received_yuan": 0,
        "is_new_industrial_project": False,
    })
    items = _by_item(report)
    assert items["future_factory_recognition"].status == "eligible"
    assert report.total_yuan == wan("300")
    assert items["new_project_future_factory_rate_bonus"].status == "not_eligible"


def test_general_facts_alone_do_not_invent_items() -> None:
    report = check_eligibility({"is_manufacturing": True})
    assert report.items == [] and report.not_eligible == []
    assert report.total_yuan == 0 and report.notes


def test_small_enterprise_learns_about_expert_diagnosis() -> None:
    report = check_eligibility({"is_small_micro": True})
    diagnosis = _by_item(report)["expert_diagnosis"]
    assert diagnosis.status == "eligible" and diagnosis.calculation.amount_yuan is None
    assert report.total_yuan == 0


def test_profile_rejects_unknown_fields_and_bad_values() -> None:
    with pytest.raises(ValidationError):
        EnterpriseProfile(robot_count=3)
    with pytest.raises(ValidationError):
        EnterpriseProfile(robot_purchase_yuan="很多")
    with pytest.raises(CalculatorError):
        check_eligibility({"cloud_benchmark_level": "区级"})


# ── money ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("3000000", "300万元"), ("300000", "30万元"), ("25000", "2.5万元"), ("12300", "1.23万元"),
        ("500", "500元"), ("5000.00", "5000元"), ("12345.67", "12,345.67元"), ("10050", "10,050元"),
        ("1234.5", "1234.50元"), ("0.01", "0.01元"), ("0", "0元"), ("420000.00", "42万元"),
    ],
)
def test_format_yuan(amount: str, text: str) -> None:
    assert format_yuan(Decimal(amount)) == text


def test_format_yuan_refuses_float() -> None:
    with pytest.raises(TypeError):
        format_yuan(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "amount"),
    [("300万", "3000000"), ("300万元", "3000000"), ("2.5万", "25000"), ("1亿", "100000000"),
     ("3,000,000", "3000000"), ("12,345.67元", "12345.67"), (" 500 元 ", "500")],
)
def test_parse_yuan(text: str, amount: str) -> None:
    assert parse_yuan(text) == Decimal(amount)


# ── routing helper and purity ──────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "item"),
    [("我买了机器人能补多少", "robot_purchase"), ("机器换人项目有补助吗", "machine_replacement"),
     ("一键上云补多少", "one_click_cloud"), ("数字工程服务商怎么资助", "digital_engineering_provider"),
     ("How much is the robot subsidy?", "robot_purchase")],
)
def test_match_items(text: str, item: str) -> None:
    assert match_items(text)[0] == item


def test_calculators_import_no_chat_or_ui_stack() -> None:
    # jieba and the assistant package stay out too: the readers in calculators.reading are
    # shared by every entry point, so they must not depend on the chat's word splitter.
    code = (
        "import calculators, calculators.reading, sys; "
        "heavy = {'langchain', 'langchain_core', 'gradio', 'chromadb', 'jieba', 'assistant'}; "
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy); "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
