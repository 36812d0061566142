"""Personal numbers are masked wherever text is stored or logged; policy figures never are.

The property tests build policy-like text from amounts, dates, years, document numbers and
ordinary words, with mobile, ID-card and landline numbers in random written forms between them,
and check the masked text is exactly that text with each personal number replaced by its label.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.contract import Status
from assistant.dialogue.state import CheckupState, ConversationState, PendingInput
from assistant.storage.feedback import FeedbackIn
from assistant.storage.masking import (
    ID_LABEL,
    LANDLINE_LABEL,
    MOBILE_LABEL,
    PersonalDataFilter,
    install_log_masking,
    mask_personal_data,
    uninstall_log_masking,
)

# ── written forms ───────────────────────────────────────────────────────────────────────
FULL_WIDTH = str.maketrans("0123456789Xx+()", "０１２３４５６７８９Ｘｘ＋（）")
SPOKEN = [str.maketrans("0123456789", "零一二三四五六七八九"), str.maketrans("0123456789", "〇幺二三四五六七八九")]
SEPARATORS = ["", " ", "-", ".", "－", "　", " - "]


@dataclass(frozen=True)
class Personal:
    text: str  # as written
    masked: str  # what it must become


@st.composite
def mobiles(draw) -> Personal:
    digits = "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(st.sampled_from("0123456789"),
                                                                           min_size=9, max_size=9)))
    sep = draw(st.sampled_from(SEPARATORS))
    text = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    form = draw(st.sampled_from(["ascii", "full", "spoken"]))
    if form == "full":
        text = text.translate(FULL_WIDTH)
    elif form == "spoken":
        text = text.translate(draw(st.sampled_from(SPOKEN)))
    else:
        text = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "86", "(+86)", "＋８６ "])) + text
    return Personal(text, MOBILE_LABEL)


@st.composite
def id_numbers(draw) -> Personal:
    area = str(draw(st.integers(110000, 829999)))
    born = draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2019, 12, 31)))
    sequence = f"{draw(st.integers(0, 999)):03d}"
    if draw(st.booleans()):
        digits = f"{area}{born:%y%m%d}{sequence}"
        groups = [digits] if draw(st.booleans()) else [digits[:6], digits[6:12], digits[12:]]
    else:
        digits = f"{area}{born:%Y%m%d}{sequence}{draw(st.sampled_from('0123456789Xx'))}"
        groups = draw(st.sampled_from([[digits], [digits[:6], digits[6:14], digits[14:]],
                                       [digits[:6], digits[6:10], digits[10:14], digits[14:]],
                                       [digits[i:i + 4] for i in range(0, 18, 4)]]))
    text = draw(st.sampled_from(["", " ", "-"])).join(groups)
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    label = draw(st.sampled_from(["", "ID", "ID:", "身份证号：", "身份证 "]))
    return Personal(label + text, label + ID_LABEL)


@st.composite
def landlines(draw) -> Personal:
    area = draw(st.sampled_from(["010", "021", "0571", "0755"]))
    number = str(draw(st.integers(2000_0000, 8999_9999)))
    text = draw(st.sampled_from([f"{area}-{number}", f"{area}-{number[:4]} {number[4:]}", f"({area}){number}",
                                 f"{area}{number}", f"（{area}）{number}"]))
    return Personal(text, LANDLINE_LABEL)


# ── what must survive ───────────────────────────────────────────────────────────────────
amounts = st.integers(1, 10**11).flatmap(lambda n: st.sampled_from([
    f"{n:,}元", f"{n}元", f"{n / 10000:g}万元", f"¥{n:,}", f"{n}万", f"{n / 10**8:g}亿元", f"{n % 100}%",
    f"{n:,} 元", f"{n} 万元"]))
dates = st.dates().flatmap(lambda d: st.sampled_from([
    f"{d.year}年{d.month}月{d.day}日", f"{d:%Y-%m-%d}", f"{d:%Y.%m.%d}", f"{d:%Y/%m/%d}", f"{d.year}年",
    f"{d.year}—{d.year + 4}年"]))
documents = st.integers(2000, 2030).flatmap(lambda year: st.sampled_from([
    f"富政办〔{year}〕20号", f"GB/T12643-{year}", f"杭政〔{year}〕{year % 97}号", f"第{year % 50}条"]))
words = st.sampled_from(["工业机器人购置补助", "按设备投资额的10%给予补助", "最高不超过100万元", "第一批",
                         "三、专项政策（二）", "联系人", "手机", "电话", "身份证号", "请问", "我们企业", "一期项目",
                         "项目总投资"])
PUNCTUATION = ["，", "。", "；", "：", " ", "\n", "、", "（", "）"]


@st.composite
def policy_text(draw) -> tuple[str, str]:
    """(text, the same text with its personal numbers masked)."""
    pieces = draw(st.lists(st.one_of(
        amounts.map(lambda s: Personal(s, s)), dates.map(lambda s: Personal(s, s)),
        documents.map(lambda s: Personal(s, s)), words.map(lambda s: Personal(s, s)),
        mobiles(), id_numbers(), landlines()), min_size=1, max_size=12))
    joints = [draw(st.sampled_from(PUNCTUATION)) for _ in pieces]
    text = "".join(p.text + j for p, j in zip(pieces, joints, strict=True))
    masked = "".join(p.masked + j for p, j in zip(pieces, joints, strict=True))
    return text, masked


@settings(max_examples=500, deadline=None)
@given(policy_text())
def test_personal_numbers_are_masked_and_everything_else_stays(case):
    text, expected = case
    assert mask_personal_data(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(policy_text().map(lambda case: case[0]), st.text()))
def test_masking_is_idempotent(text):
    once = mask_personal_data(text)
    assert mask_personal_data(once) == once


@settings(max_examples=300, deadline=None)
@given(st.one_of(amounts, dates, documents))
def test_amounts_dates_and_document_numbers_alone_are_untouched(text):
    assert mask_personal_data(text) == text


@pytest.mark.parametrize("text, masked", [
    ("手机13812345678", f"手机{MOBILE_LABEL}"),
    ("１３８１２３４５６７８", MOBILE_LABEL),
    ("138.1234.5678", MOBILE_LABEL),
    ("138 1234 5678", MOBILE_LABEL),
    ("+86 138-1234-5678", MOBILE_LABEL),
    ("0086 13812345678", MOBILE_LABEL),
    ("电话一三八一二三四五六七八", f"电话{MOBILE_LABEL}"),
    ("幺三八幺二三四五六七八", MOBILE_LABEL),
    ("ID110101199003071234", f"ID{ID_LABEL}"),
    ("身份证号：110101 1990 0307 123X", f"身份证号：{ID_LABEL}"),
    ("33018319900101123x", ID_LABEL),
    ("110101900307123", ID_LABEL),
    ("座机0571-8888 8888", f"座机{LANDLINE_LABEL}"),
    ("(0571)63311234", LANDLINE_LABEL),
])
def test_each_written_form_is_masked(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize("text", [
    "3,000,000元", "2021年11月20日", "富政办〔2019〕20号", "GB/T12643-2013", "订单号20240101123456789012345",
    "设备13812345678元", "投资额 13812345678 万元", "1.2亿元", "0.13812345678", "12.5%", "2025-12-31",
    "第一批三十二家企业", "项目编号330183199013011234"])  # a 13th month is no birth date
def test_figures_that_are_no_personal_number_stay(text):
    assert mask_personal_data(text) == text


# ── where it is applied ─────────────────────────────────────────────────────────────────
def test_feedback_masks_every_text_field_and_only_when_told(backend):
    entry = FeedbackIn(session="客户13812345678", question="我的电话138-1234-5678，补贴多少", rating="down",
                       status=Status.ANSWERED, comment="身份证110101199003071234")
    masked = backend.feedback(mask_personal_data=True)
    stored = masked.get(masked.add(entry))
    assert stored["session"] == f"客户{MOBILE_LABEL}"
    assert stored["question"] == f"我的电话{MOBILE_LABEL}，补贴多少"
    assert stored["comment"] == f"身份证{ID_LABEL}"
    assert masked.set_comment(stored["id"], "改号了：139 1234 5678") and masked.get(stored["id"])["comment"] == (
        f"改号了：{MOBILE_LABEL}")
    raw = backend.feedback(mask_personal_data=False)
    assert raw.get(raw.add(entry))["question"] == entry.question


def _stored_states(backend) -> list[str]:
    return [row[0] for row in backend.sql("SELECT state FROM sessions")]


def _state_with_numbers() -> ConversationState:
    return ConversationState(
        pending=PendingInput(question="回电13812345678？", inputs={"equipment_yuan": "3000000"}),
        checkup=CheckupState(profile={"contact": "身份证110101199003071234", "robot_purchase_yuan": "4200000"}))


def test_stored_conversation_state_is_masked_and_still_loads(backend):
    store = backend.sessions()
    store.save("s", _state_with_numbers())
    [stored] = _stored_states(backend)
    assert "13812345678" not in stored and "110101199003071234" not in stored
    loaded = store.load("s")
    assert loaded.pending is not None and loaded.pending.question == f"回电{MOBILE_LABEL}？"
    assert loaded.pending.inputs == {"equipment_yuan": "3000000"}  # amounts untouched
    assert loaded.checkup.profile["robot_purchase_yuan"] == "4200000"


def test_the_setting_switches_state_masking_off(backend):
    with backend.sessions(mask_personal_data=False).open("s") as state:
        state.pending = _state_with_numbers().pending
    assert "13812345678" in _stored_states(backend)[0]


def test_a_conversation_stores_no_personal_number(assistant, settings):
    assistant.reply("masking-turn", "工厂物联网项目设备投入150万，联系人手机139 1234 5678，身份证330183199001011234",
                    date(2024, 1, 1))
    with sqlite3.connect(settings.data_dir / "fast-sessions.sqlite3") as db:
        # This session's row only: other tests' session ids and timestamps may hold any digits.
        stored = json.dumps(db.execute("SELECT state FROM sessions WHERE id = ?", ("masking-turn",)).fetchall(),
                            ensure_ascii=False)
    assert stored != "[]"
    assert "1234 5678" not in stored and "12345678" not in stored and "330183199001011234" not in stored


def _record(msg: str, args: tuple | None = None, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc else None
    return logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_log_filter_masks_message_arguments_and_traceback():
    masking = PersonalDataFilter()
    record = _record("question %s from session %s", ("电话13812345678", "s1"))
    assert masking.filter(record)
    assert record.getMessage() == f"question 电话{MOBILE_LABEL} from session s1"
    assert record.args == (f"电话{MOBILE_LABEL}", "s1"), "string arguments stay arguments"
    number = _record("caller %d", (13812345678,))
    masking.filter(number)
    assert number.getMessage() == f"caller {MOBILE_LABEL}"
    failed = _record("line failed", exc=ValueError("身份证110101199003071234 unreadable"))
    masking.filter(failed)
    assert failed.exc_text and "110101199003071234" not in failed.exc_text and ID_LABEL in failed.exc_text


def test_installed_masking_covers_every_logger(caplog):
    install_log_masking()
    try:
        logging.getLogger("uvicorn.access").warning("GET /api?phone=%s", "13812345678")
        logging.getLogger("assistant.anything").error("被问：%s", "手机138-1234-5678")
    finally:
        uninstall_log_masking()
    assert "1234" not in caplog.text and caplog.text.count(MOBILE_LABEL) == 2
    logging.getLogger("assistant.anything").error("手机13812345678")
    assert "13812345678" in caplog.records[-1].getMessage(), "uninstalled: records are as logged"


@pytest.mark.usefixtures("fast_cli_env")
def test_the_cli_entry_point_installs_log_masking(caplog, capsys):
    from assistant.cli import main

    try:
        main(["ask", "工业机器人补贴标准是什么"])
        logging.getLogger("assistant.cli").warning("回电 13812345678")
    finally:
        uninstall_log_masking()
    assert caplog.records[-1].getMessage() == f"回电 {MOBILE_LABEL}"
