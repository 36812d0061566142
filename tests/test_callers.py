"""Conversations as callers have them: the cases a caller trial found, in other words."""

from datetime import date

import pytest

from assistant.contract import Status

TODAY = date(2026, 11, 30)


def amounts(reply):
    return [(c.item, c.amount_yuan) for c in reply.calculations]


def test_a_lower_level_after_a_higher_one_pays_nothing_more(assistant):
    reply = assistant.reply(None, "去年我们被认定为市级链主工厂拿了500万，今年又被认定为市级智能工厂，还能拿吗", TODAY)
    assert reply.status is Status.NOT_ELIGIBLE and amounts(reply) == [("future_factory_recognition", 0)]


@pytest.mark.parametrize("question", ["这个补贴今年还能申请吗？现在已经2026年了",
                                      "Can we still apply for the robot subsidy?"])
def test_can_we_still_apply_is_answered_from_the_dates(assistant, question):
    reply = assistant.reply(None, question, TODAY)
    assert reply.status is Status.ANSWERED
    lead = reply.answer.split("\n")[0]
    assert "2025" in lead and ("已过期" in lead or "expired" in lead)


def test_where_to_apply_after_a_calculation_is_not_the_rule_again(assistant):
    session = "where-to-apply"
    assistant.reply(session, "工厂物联网项目投资100万能补多少", TODAY)
    reply = assistant.reply(session, "那到哪里去申请呢？", TODAY)
    assert reply.status is Status.NOT_FOUND and "区经信局" in reply.answer and "15%" not in reply.answer
    assert reply.warnings  # the policy it is about has expired


def test_a_checkup_keeps_what_callers_say_in_their_own_order(assistant):
    session = "checkup-order"
    assistant.reply(session, "帮我看看我们公司能申请哪些补贴", TODAY)
    first = assistant.reply(session, "我们是小微制造业企业，今年做了个机器换人项目，设备两百万，软件五十万", TODAY)
    assert ("machine_replacement", 250000) in amounts(first)
    none_before = assistant.reply(session, "之前都没拿过", TODAY)
    assert none_before.status is Status.CALCULATED
    total = assistant.reply(session, "加起来一共能拿多少？", TODAY)
    assert total.status is Status.CALCULATED and "合计" in total.answer


@pytest.mark.parametrize("message", ["工厂物联网项目，设备80万，软件是0，能补多少",
                                     "工厂物联网项目设备80万，没有软件，补多少"])
def test_a_part_said_to_be_zero_is_zero(assistant, message):
    assert amounts(assistant.reply(None, message, TODAY)) == [("factory_iot", 120000)]


def test_two_levels_asked_in_one_question_are_both_answered(assistant):
    reply = assistant.reply(None, "国家级和省级工业互联网平台分别补多少", TODAY)
    lead = reply.answer.split("根据")[0]
    assert "300万元" in lead and "200万元" in lead


def test_a_fixed_amount_says_how_often_it_is_paid(assistant):
    lead = assistant.reply(None, "通过一键上云买上云产品补多少", TODAY).answer.split("\n")[0]
    assert "500元" in lead and "每年限1次" in lead


def test_a_level_paid_up_to_a_ceiling_is_not_a_promise(assistant):
    reply = assistant.reply(None, "我们评上了市级数字化车间，能拿多少", TODAY)
    assert "最高可获80万元" in reply.answer
