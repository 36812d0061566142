"""Calculator conversations through Assistant.reply: slot filling, follow-ups, topic changes."""

from datetime import date

import pytest

from assistant.contract import Status

TODAY = date(2026, 11, 26)


def amounts(reply):
    return [c.amount_yuan for c in reply.calculations]


@pytest.mark.parametrize("message, expected", [
    ("我们买了工业机器人，花了420万，补贴多少", 420000),
    ("机器人购置款两千五百万元", 1000000),
    ("机器换人项目，设备150万，软件80万，能补多少", 230000),
    ("机器换人项目投资刚好200万", 200000),
    ("工厂物联网项目投资50万元", 75000),
    ("How much is the subsidy for 5 million yuan of industrial robots?", 500000),
    ("數字工程服務商服務收入八百萬元，資助多少", 400000),
    ("数字化车间拿过80万，现在评上市级智能工厂了，还能补多少", 1200000),
    ("市级上云标杆升级为省级上云标杆，补多少", 100000),
])
def test_one_turn_calculations(assistant, message, expected):
    reply = assistant.reply(None, message, TODAY)
    assert reply.status is Status.CALCULATED, reply.answer
    assert expected in amounts(reply)
    assert reply.citations[0].location.startswith(("三、专项政策", "三、專項政策"))
    assert reply.warnings


def test_threshold_is_inclusive_and_below_it_is_not_eligible(assistant):
    below = assistant.reply(None, "机器换人项目投资199万", TODAY)
    assert below.status is Status.NOT_ELIGIBLE
    assert below.calculations[0].amount_yuan == 0
    assert "200万元以上" in below.calculations[0].reason
    assert below.citations


def test_cap_is_reported(assistant):
    reply = assistant.reply(None, "机器人购置款2000万元能补多少", TODAY)
    calc = reply.calculations[0]
    assert calc.amount_yuan == 1000000 and calc.cap_applied and calc.cap_yuan == 1000000
    assert "上限" in reply.answer


def test_missing_input_is_asked_and_filled_on_the_next_turn(assistant):
    first = assistant.reply("slot-1", "机器换人项目补助怎么算", TODAY)
    assert first.status is Status.NEEDS_INFO
    assert "实际投资额" in first.follow_up
    second = assistant.reply("slot-1", "实际投资了400万", TODAY)
    assert second.status is Status.CALCULATED
    assert amounts(second) == [400000]


def test_changing_the_topic_abandons_the_pending_item(assistant):
    assert assistant.reply("slot-2", "工厂物联网项目怎么计算补助", TODAY).status is Status.NEEDS_INFO
    moved_on = assistant.reply("slot-2", "政策有效期到哪天", TODAY)
    assert moved_on.status is Status.ANSWERED
    assert "2025年12月31日" in moved_on.citations[0].text
    later = assistant.reply("slot-2", "我们公司在富阳", TODAY)
    assert later.status is not Status.CALCULATED


def test_sessions_never_mix(assistant):
    assert assistant.reply("user-a", "机器换人项目补助怎么算", TODAY).status is Status.NEEDS_INFO
    other = assistant.reply("user-b", "300万", TODAY)
    assert other.status is not Status.CALCULATED
    mine = assistant.reply("user-a", "300万", TODAY)
    assert amounts(mine) == [300000]


def test_bad_amounts_never_compute(assistant):
    for message in ("机器人购置款-300万", "机器人购置款0元", "机器人购置款5000亿元"):
        reply = assistant.reply(None, message, TODAY)
        assert reply.status is Status.ERROR, message
        assert not any(amounts(reply))


def test_bad_follow_up_amount_keeps_asking(assistant):
    assistant.reply("slot-3", "机器换人项目补助怎么算", TODAY)
    wrong = assistant.reply("slot-3", "负100万", TODAY)
    assert wrong.status is Status.ERROR
    right = assistant.reply("slot-3", "250万", TODAY)
    assert amounts(right) == [250000]


def test_follow_up_amount_continues_the_last_item(assistant):
    assistant.reply("slot-4", "我们买了工业机器人，花了420万，补贴多少", TODAY)
    again = assistant.reply("slot-4", "那如果是600万呢", TODAY)
    assert amounts(again) == [600000]


def test_both_cloud_items_are_shown_with_their_conditions(assistant):
    reply = assistant.reply(None, "首次通过一键上云买了1万元云应用，补多少", TODAY)
    assert {c.item for c in reply.calculations} == {"one_click_cloud", "first_cloud_purchase"}
    assert 5000 in amounts(reply) and 500 in amounts(reply)
    assert "小微" in reply.answer


def test_items_without_a_figure_get_no_invented_number(assistant):
    reply = assistant.reply(None, "产业大脑的运营费用补助怎么算", TODAY)
    # The item promises support but sets no figure: what the policy does not state, with its clause.
    assert reply.status is Status.NOT_FOUND and "没有规定" in reply.answer
    assert not any(amounts(reply))
    assert "运营费用" in " ".join(c.text for c in reply.citations)


def test_listing_tiers_is_not_a_tier_change(assistant):
    reply = assistant.reply(None, "到2025年培育多少家市级以上聚能工厂、链主工厂、智能工厂", TODAY)
    assert reply.status is Status.ANSWERED
    assert "20家" in reply.citations[0].text


def test_facts_stated_in_passing_decide_conditions(assistant):
    not_small = assistant.reply(None, "我们不是小微企业，首次通过一键上云买了1万元云服务，补多少", TODAY)
    first_cloud = next(c for c in not_small.calculations if c.item == "first_cloud_purchase")
    assert first_cloud.eligible is False and first_cloud.amount_yuan == 0
    assert "此前未享受过本项补助" not in not_small.answer  # an ineligible item's open conditions are moot
    off_standard = assistant.reply(None, "机器人不符合GB/T12643标准，购置款300万，能补吗", TODAY)
    assert off_standard.status is Status.NOT_ELIGIBLE and "GB/T12643" in off_standard.calculations[0].reason
    third_party = assistant.reply(None, "规划设计费6万元，委托第三方做数字化转型方案，补助多少", TODAY)
    assert "第三方机构制定" not in third_party.answer and amounts(third_party) == [30000]


def test_total_with_one_part_is_a_total(assistant):
    reply = assistant.reply(None, "机器换人项目总投资500万，其中软件投入100万，补多少", TODAY)
    assert amounts(reply) == [500000]
    # The policy's base is the parts alone (实际投资额（设备、软件投入）): a larger whole holds other
    # costs, which are set aside and said so; a whole smaller than its parts contradicts them.
    larger = assistant.reply(None, "机器换人项目投资500万，设备投入300万，软件投入100万，补多少", TODAY)
    assert amounts(larger) == [400000] and "500万元含设备投入、软件投入以外的费用" in larger.answer
    smaller = assistant.reply(None, "机器换人项目投资300万，设备投入300万，软件投入100万，补多少", TODAY)
    assert smaller.status is Status.ERROR and "不一致" in smaller.answer


@pytest.mark.parametrize("message", ["机器换人项目投资abc万", "机器换人项目投资300万-500万，补多少"])
def test_unreadable_figures_are_asked_for_not_guessed(assistant, message):
    reply = assistant.reply(None, message, TODAY)
    assert reply.status is Status.NEEDS_INFO, reply.answer
    assert "读成一个确定的金额" in reply.answer and "实际投资额" in reply.follow_up
    assert not reply.calculations


@pytest.mark.parametrize("message, location", [
    ("机器人补贴最高100万吗", "三、专项政策（二）"),
    ("物联网项目补助上限是150万吗", "三、专项政策（三）"),
])
def test_a_figure_of_the_subsidy_itself_is_not_taken_as_an_input(assistant, message, location):
    reply = assistant.reply(None, message, TODAY)
    assert reply.status is Status.ANSWERED and not reply.calculations
    assert reply.citations[0].location == location
