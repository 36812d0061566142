"""The web layer's pure parts: masking, form reading, rate limiting, path guard, rendering."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.answering.calculations import to_contract
from assistant.config import get_settings
from assistant.contract import Citation, Reply, Status
from assistant.corpus.library import load_library
from assistant.storage.feedback import FeedbackIn, mask_personal_data
from assistant.storage.sqlite_feedback import SqliteFeedbackStore
from assistant.web.chat_view import ClauseIndex, compact_text, full_markdown, growing_prefixes, md_escape
from assistant.web.forms import FormError, profile_fields, read_inputs, read_money, read_profile
from assistant.web.guards import RateLimiter, _forbidden_path
from calculators import format_yuan
from tests.fuyang import RULEBOOK, compute, get_rule


@pytest.mark.parametrize("text, hidden", [
    ("手机13812345678", "13812345678"),
    ("手机 138-1234-5678", "138-1234-5678"),
    ("+86 138 1234 5678", "138 1234 5678"),
    ("座机0571-63311234", "63311234"),
    ("(0571)63311234", "63311234"),
    ("身份证330183199001011234", "330183199001011234"),
    ("身份证33018319900101123X", "33018319900101123X"),
])
def test_personal_numbers_are_masked(text, hidden):
    assert hidden not in mask_personal_data(text)


@pytest.mark.parametrize("text", ["投资420万元", "2025年12月31日", "GB/T12643-2013", "订单号20240101123456789012345"])
def test_policy_figures_and_long_codes_stay(text):
    assert mask_personal_data(text) == text


def test_feedback_store_masks_only_when_told(tmp_path):
    entry = FeedbackIn(question="我的电话13812345678", rating="up", status=Status.ANSWERED,
                       citations=[Citation(source="s", doc_id="d", location="三、专项政策（二）", text="t")])
    masked = SqliteFeedbackStore(tmp_path / "masked.sqlite3", mask=True)
    raw = SqliteFeedbackStore(tmp_path / "raw.sqlite3", mask=False)
    assert "13812345678" not in masked.get(masked.add(entry))["question"]
    stored = raw.get(raw.add(entry))
    assert stored["question"] == entry.question
    assert stored["citations"] == [{"doc_id": "d", "location": "三、专项政策（二）"}]
    assert masked.set_comment(1, "再打13812345678")
    assert "13812345678" not in masked.get(1)["comment"]
    assert not masked.set_comment(999, "no such record")


@pytest.mark.parametrize("typed, yuan", [("420万", 4_200_000), ("1.2亿", 120_000_000), ("五百万元", 5_000_000),
                                         ("0", 0), (300, 300), ("12,345.67元", Decimal("12345.67"))])
def test_money_as_people_write_it(typed, yuan):
    assert read_money(typed) == yuan


@pytest.mark.parametrize("typed", ["", "  ", "不确定", None])
def test_blank_money_is_not_known(typed):
    assert read_money(typed) is None


@pytest.mark.parametrize("typed", ["很多", True, "300多万"])
def test_unreadable_money_says_why(typed):
    with pytest.raises(FormError):
        read_money(typed)


def test_inputs_leave_rules_to_the_calculators():
    inputs = read_inputs(get_rule("robot_purchase"), {"robot_purchase_yuan": "420万", "meets_gb_t_12643": "不确定"})
    assert inputs == {"robot_purchase_yuan": Decimal(4_200_000), "meets_gb_t_12643": None}
    assert read_inputs(get_rule("robot_purchase"), {"made_up": 1}) == {"made_up": 1}


def test_profile_reads_labels_and_yes_no():
    profile = read_profile(RULEBOOK, {"future_factory_level": "市级“智能工厂”", "is_sme": "是",
                                      "in_block_economy": "否", "robot_purchase_yuan": "420万",
                                      "is_manufacturing": "不确定"})
    assert profile.future_factory_level == "city_smart_factory"
    assert profile.is_sme is True and profile.in_block_economy is False and profile.is_manufacturing is None
    assert profile.robot_purchase_yuan == 4_200_000
    with pytest.raises(FormError):
        read_profile(RULEBOOK, {"is_sme": "可能"})


def test_every_profile_field_has_a_form_field():
    from calculators import EnterpriseProfile

    assert {f.name for f in profile_fields(RULEBOOK)} == set(EnterpriseProfile.model_fields)
    assert all(f.choices for f in profile_fields(RULEBOOK) if f.kind == "choice")


def test_rate_limiter_is_a_sliding_window():
    now = [0.0]
    limiter = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    assert limiter.retry_after("a") is None and limiter.retry_after("a") is None
    assert limiter.retry_after("a") == pytest.approx(60)
    assert limiter.retry_after("b") is None, "clients are counted apart"
    now[0] = 60.5
    assert limiter.retry_after("a") is None


@pytest.mark.parametrize("path, forbidden", [
    ("/gradio_api/file=../../etc/passwd", True), ("/a/../b", True), ("/gradio_api/file=http://x/", True),
    ("/gradio_api/proxy=http://x/", True), ("/gradio_api/queue/join", False), ("/api/chat", False),
    ("/assets/index-abc.js", False),
])
def test_path_guard(path, forbidden):
    assert _forbidden_path(path) is forbidden


@pytest.fixture(scope="module")
def index():
    return ClauseIndex(load_library(get_settings().corpus_dir), RULEBOOK)


def calculated_reply(index) -> Reply:
    calc = compute("robot_purchase", {"robot_purchase_yuan": "420万"})
    clause = next(c for c in index.library.documents[0].clauses if c.location == calc.clause)
    return Reply(session="s", status=Status.CALCULATED, answer="按政策测算：可获42万元。",
                 citations=[Citation(source=index.library.documents[0].meta.title, doc_id=clause.doc_id,
                                     location=clause.location, text=clause.text)],
                 calculations=[to_contract(calc)], warnings=["本政策已过期"])


def test_phone_script_has_amount_formula_clause_and_warning(index):
    reply = calculated_reply(index)
    text = compact_text(reply, index)
    calc = reply.calculations[0]
    assert format_yuan(Decimal(repr(calc.amount_yuan))) in text and calc.formula in text
    assert f"《{index.library.documents[0].meta.short_title}》{calc.clause}" in text
    assert "本政策已过期" in text and "<" not in text


def test_chat_message_links_the_clause_and_keeps_the_disclaimer(index):
    shown = full_markdown(calculated_reply(index), index)
    assert 'href="#clause-fuyang-future-factory-2021-s3-i2"' in shown
    assert "<details" in shown and "AI生成，仅供参考，以正式文件为准" in shown
    assert index.anchor("三、專項政策（二）") == index.anchor("三、专项政策（二）"), "Traditional replies link too"


def test_policy_text_cannot_inject_markup():
    assert md_escape("--做优<script>") == "\\--做优\\<script\\>"


def test_growing_prefixes_end_with_the_whole_text():
    text = "根据政策原文，工业机器人按购置款的10%给予资助。" * 3
    steps = growing_prefixes(text)
    assert steps[-1] == text and len(steps) > 3
    assert all(text.startswith(step) for step in steps)
    assert growing_prefixes("") == [""]
