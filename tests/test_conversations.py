"""Money inside conversations, turn by turn through Assistant.reply: the parts and the total of a
project, years and document numbers that are no amounts, and what the enterprise already holds
or received, remembered for later calculations of the same item."""

import json
import sqlite3
from datetime import date

import pytest

from assistant.contract import Status
from assistant.dialogue.frame import ItemFrame, Term
from assistant.dialogue.state import STATE_VERSION, ConversationState
from assistant.storage.sqlite_sessions import SqliteSessionStore

TODAY = date(2026, 11, 30)


def talk(assistant, session, *messages):
    """Every reply of a conversation, in order."""
    return [assistant.reply(session, message, TODAY) for message in messages]


def amounts(reply):
    return [(c.item, c.amount_yuan) for c in reply.calculations]


# ── a project's two parts and its total ─────────────────────────────────────────────────

def test_total_asked_both_parts_given(assistant):
    asked, answered = talk(assistant, "conv-parts-1", "机器换人项目补助怎么算", "设备300万，软件100万")
    assert asked.status is Status.NEEDS_INFO and "实际投资额" in asked.follow_up
    assert amounts(answered) == [("machine_replacement", 400000)]
    assert "设备投入300万元 + 软件投入100万元 = 400万元" in answered.calculations[0].formula


def test_total_asked_one_part_given_then_the_other_is_asked(assistant):
    asked, one_part, other_part = talk(assistant, "conv-parts-2", "机器换人项目补助怎么算", "设备300万", "软件100万")
    assert asked.status is Status.NEEDS_INFO
    assert one_part.status is Status.NEEDS_INFO and not one_part.calculations
    assert "软件投入" in one_part.follow_up
    assert amounts(other_part) == [("machine_replacement", 400000)]
    assert "设备投入300万元 + 软件投入100万元" in other_part.calculations[0].formula


def test_one_part_given_then_the_total(assistant):
    one_part, total = talk(assistant, "conv-parts-3", "工厂物联网项目，软件100万", "合计300万")
    assert one_part.status is Status.NEEDS_INFO and "设备投入" in one_part.follow_up
    assert amounts(total) == [("factory_iot", 450000)]


def test_one_part_given_then_both(assistant):
    _, both = talk(assistant, "conv-parts-4", "工厂物联网项目，软件100万", "设备200万，软件100万")
    assert amounts(both) == [("factory_iot", 450000)]


def test_parts_given_then_a_total(assistant):
    parts, total = talk(assistant, "conv-parts-5", "机器换人项目，设备300万，软件100万", "那总投资500万呢")
    assert amounts(parts) == [("machine_replacement", 400000)]
    assert amounts(total) == [("machine_replacement", 500000)]


def test_parts_in_traditional_turn_by_turn(assistant):
    _, one_part, other_part = talk(assistant, "conv-parts-hant", "機器換人項目補助怎麼算", "設備300萬", "軟件100萬")
    assert "軟件投入" in one_part.follow_up
    assert amounts(other_part) == [("machine_replacement", 400000)]
    assert "設備投入300萬元 + 軟件投入100萬元" in other_part.answer


def test_parts_in_english_turn_by_turn(assistant):
    asked, answered = talk(assistant, "conv-parts-en", "Please calculate the machine replacement project subsidy.",
                           "Equipment 3 million yuan, software 1 million yuan")
    assert asked.status is Status.NEEDS_INFO
    assert amounts(answered) == [("machine_replacement", 400000)]


def test_an_english_part_is_a_part_turn_by_turn(assistant):
    one_part, other_part = talk(assistant, "conv-parts-en-2",
                                "What about the factory IoT subsidy? Our equipment cost 1.2 million yuan",
                                "Software was 300,000 yuan")
    assert one_part.status is Status.NEEDS_INFO and "software" in one_part.follow_up.lower()
    assert amounts(other_part) == [("factory_iot", 225000)]


@pytest.mark.parametrize("message, expected", [
    ("机器换人项目设备和软件合计300万，补多少", ("machine_replacement", 300000)),
    ("工厂物联网项目软硬件一共300万，能补多少", ("factory_iot", 450000)),
    ("机器换人项目总投资300万", ("machine_replacement", 300000)),
    ("机器换人项目，设备、软件加起来400万，补多少", ("machine_replacement", 400000)),
    ("工厂物联网项目设备软件共计200万", ("factory_iot", 300000)),
    ("工廠物聯網項目軟硬件一共300萬，能補多少", ("factory_iot", 450000)),
    ("Machine replacement project: equipment and software 3 million yuan in total, how much?",
     ("machine_replacement", 300000)),
    ("Factory IoT project, hardware and software combined 2 million yuan, how much subsidy?", ("factory_iot", 300000)),
])
def test_a_total_naming_both_parts_is_the_total(assistant, message, expected):
    reply = assistant.reply(f"conv-total-{message}", message, TODAY)
    assert reply.status is Status.CALCULATED, reply.answer
    assert amounts(reply) == [expected]


def test_a_total_word_beside_one_part_keeps_the_part(assistant):
    reply = assistant.reply("conv-total-part", "工厂物联网项目，设备合计200万，软件合计100万", TODAY)
    assert amounts(reply) == [("factory_iot", 450000)]
    assert "设备投入200万元 + 软件投入100万元" in reply.calculations[0].formula


def test_a_total_is_asked_for_after_the_total_was_asked(assistant):
    _, answered = talk(assistant, "conv-total-asked", "机器换人项目补助怎么算", "设备和软件合计400万")
    assert amounts(answered) == [("machine_replacement", 400000)]


@pytest.mark.parametrize("first", ["工业机器人补贴多少", "工业机器人补贴怎么算"])  # the second asks back
def test_a_project_figure_after_a_robot_question_is_not_a_robot_purchase(assistant, first):
    _, asked, chosen = talk(assistant, f"conv-total-robot-{first}", first, "设备和软件合计300万", "工厂物联网")
    assert asked.status is Status.NEEDS_INFO and not asked.calculations
    assert "机器换人" in asked.follow_up and "工厂物联网" in asked.follow_up
    assert amounts(chosen) == [("factory_iot", 450000)]
    _, part, chosen = talk(assistant, f"conv-part-robot-{first}", first, "设备300万", "工厂物联网")
    assert part.status is Status.NEEDS_INFO and "机器换人" in part.follow_up
    assert chosen.status is Status.NEEDS_INFO and "软件投入" in chosen.follow_up


# ── years and document numbers are no amounts ───────────────────────────────────────────

@pytest.mark.parametrize("message", [
    "机器人购置款300万，按富政办〔2019〕20号那版能补多少",
    "2019年那版政策，机器人购置款300万能补多少",
    "我们2021年11月20日买的机器人，第2季度到货，3月份付款，购置款300万，补多少",
    "2019版政策说的机器人，购置款300万，2025年底前能补多少",
    "富政辦〔2019〕20號那版，機器人購置款300萬能補多少",
    "In 2019 we bought industrial robots for 3 million yuan, how much is the subsidy?",
])
def test_years_and_document_numbers_never_become_the_amount(assistant, message):
    reply = assistant.reply(f"conv-years-{message}", message, TODAY)
    assert amounts(reply) == [("robot_purchase", 300000)], reply.answer


def test_a_date_in_the_answer_to_a_question_asked_back_is_not_the_amount(assistant):
    _, answered = talk(assistant, "conv-years-pending", "我们买了一批工业机器人，能补多少钱？",
                       "2021年11月20日买的，花了350万")
    assert amounts(answered) == [("robot_purchase", 350000)]


@pytest.mark.parametrize("message", [
    "2019年那版政策机器人补多少",
    "富政办〔2019〕20号那版规定机器人补多少",
    "What did the 2019 policy pay for industrial robots?",
])
def test_a_year_alone_starts_no_calculation(assistant, message):
    reply = assistant.reply(f"conv-years-alone-{message}", message, TODAY)
    assert not reply.calculations and reply.status is not Status.CALCULATED
    assert assistant.understanding.understand(message, ConversationState()).figures == []


# ── what the enterprise already holds or received ───────────────────────────────────────

def test_a_lower_tier_received_earlier_is_subtracted_from_the_higher_tier(assistant):
    noted, higher = talk(assistant, "conv-held-1", "之前评上市级数字化车间拿了80万", "现在评上省级未来工厂了，能拿多少")
    assert noted.status is Status.NEEDS_INFO and not noted.calculations
    assert "市级“数字化车间”" in noted.answer  # what was noted is said back
    assert amounts(higher) == [("future_factory_recognition", 4200000)]
    assert "原市级“数字化车间”档80万元" in higher.calculations[0].formula


def test_what_was_held_outlives_the_question_asked_back(assistant):
    *_, higher = talk(assistant, "conv-held-2", "之前评上市级数字化车间拿了80万", "政策有效期到什么时候",
                      "现在评上省级未来工厂了，能拿多少")
    assert amounts(higher) == [("future_factory_recognition", 4200000)]
    assert "80万元" in higher.calculations[0].formula


def test_province_and_city_money_is_deducted_in_the_next_turn(assistant):
    noted, higher = talk(assistant, "conv-held-3", "省里市里已经给了100万", "现在评上省级未来工厂了，能拿多少")
    assert noted.status is Status.NEEDS_INFO and "100万元" in noted.answer
    assert amounts(higher) == [("future_factory_recognition", 4000000)]
    assert "本次认定已获省、市补助100万元" in higher.calculations[0].formula


def test_province_and_city_money_survives_other_questions(assistant):
    *_, tier = talk(assistant, "conv-held-4", "省里市里已经给了100万", "政策有效期到什么时候",
                    "我们现在评上市级链主工厂了，能拿多少")
    assert amounts(tier) == [("future_factory_recognition", 4000000)]
    assert "100万元" in tier.calculations[0].formula


def test_a_new_statement_replaces_the_old_one(assistant):
    *_, tier = talk(assistant, "conv-held-5", "省里市里已经给了100万", "省里市里其实给了150万",
                    "现在评上市级链主工厂了，能拿多少")
    assert amounts(tier) == [("future_factory_recognition", 3500000)]
    assert "150万元" in tier.calculations[0].formula and "100万元" not in tier.calculations[0].formula
    *_, restated = talk(assistant, "conv-held-6", "之前评上市级数字化车间拿了80万",
                        "原来是市级智能工厂，现在评上省级未来工厂，能拿多少")
    assert amounts(restated) == [("future_factory_recognition", 3000000)]
    assert "原市级“智能工厂”档200万元" in restated.calculations[0].formula


def test_lower_tier_money_is_not_also_deducted_as_province_money(assistant):
    *_, tier = talk(assistant, "conv-held-7", "之前评上市级数字化车间拿了80万", "申报找哪个部门",
                    "那时拿了80万，现在评上市级智能工厂了，还能补多少")
    assert amounts(tier) == [("future_factory_recognition", 1200000)]
    assert "原市级“数字化车间”档80万元" in tier.calculations[0].formula
    assert "省、市补助" not in tier.calculations[0].formula


def test_both_kinds_in_one_message(assistant):
    message = "之前评上市级数字化车间拿了80万，省里市里又给了50万，现在评上市级智能工厂，能补多少"
    reply = assistant.reply("conv-held-8", message, TODAY)
    assert amounts(reply) == [("future_factory_recognition", 700000)]
    assert "80万元" in reply.calculations[0].formula and "50万元" in reply.calculations[0].formula


def test_a_held_figure_never_goes_to_another_item(assistant):
    _, robots = talk(assistant, "conv-held-9", "省里市里已经给了100万", "我们买了800万的工业机器人，能补多少")
    assert amounts(robots) == [("robot_purchase", 800000)]
    assert "已获" not in robots.calculations[0].formula
    _, provider, robots_again = talk(assistant, "conv-held-10", "机器人补贴之前已经拿了30万",
                                     "数字工程服务商服务收入3000万元，资助多少", "那工业机器人买了500万呢")
    assert amounts(provider) == [("digital_engineering_provider", 1000000)]
    assert amounts(robots_again) == [("robot_purchase", 500000)]
    assert "已获30万元" in robots_again.calculations[0].formula


def test_a_subsidy_the_enterprise_says_it_received_counts_against_the_cap(assistant):
    noted, revenue = talk(assistant, "conv-held-11", "数字工程服务商今年已经拿了本项资助60万",
                          "我们今年服务富阳企业的收入有1500万，还能拿多少？")
    assert noted.status is Status.NEEDS_INFO and "60万元" in noted.answer
    assert amounts(revenue) == [("digital_engineering_provider", 400000)]
    assert "已获60万元" in revenue.calculations[0].formula
    _, robots = talk(assistant, "conv-held-12", "已经拿了机器人补贴30万", "我们又买了500万的工业机器人，能补多少")
    assert amounts(robots) == [("robot_purchase", 500000)] and "已获30万元" in robots.calculations[0].formula


def test_a_level_held_in_traditional(assistant):
    _, higher = talk(assistant, "conv-held-hant", "之前評上市級數字化車間拿了80萬", "現在評上省級未來工廠了，能拿多少")
    assert amounts(higher) == [("future_factory_recognition", 4200000)]
    assert "原市級“數字化車間”檔80萬元" in higher.answer
    _, chain = talk(assistant, "conv-held-hant-2", "以前評上過市級數字化車間，拿了80萬",
                    "現在評上市級鏈主工廠，能補多少？")
    assert amounts(chain) == [("future_factory_recognition", 4200000)]
    assert "省、市補助" not in chain.answer


def test_robot_subsidy_received_in_english(assistant):
    noted, _, bought = talk(assistant, "conv-held-en",
                            "We already received 300,000 yuan of robot subsidy under this policy.",
                            "What documents are needed?",
                            "We bought 8 million yuan of industrial robots, how much can we get?")
    assert noted.status is Status.NEEDS_INFO and "300,000.00 yuan" in noted.answer
    assert amounts(bought) == [("robot_purchase", 700000)]
    assert "已获30万元" in bought.calculations[0].formula and bought.calculations[0].cap_applied


def test_a_level_held_in_english(assistant):
    noted, higher = talk(assistant, "conv-held-en-2",
                         "We were previously recognised as a city-level digital workshop and received 800,000 yuan.",
                         "Now we have been recognised as a provincial future factory. How much can we get?")
    assert noted.status is Status.NEEDS_INFO and "City-level digital workshop" in noted.answer
    assert amounts(higher) == [("future_factory_recognition", 4200000)]
    assert "原市级“数字化车间”档80万元" in higher.calculations[0].formula
    assert "省、市补助" not in higher.calculations[0].formula


def test_the_state_keeps_the_frames_and_an_older_state_starts_afresh(tmp_path):
    store = SqliteSessionStore(tmp_path / "s.sqlite3", ttl_seconds=60)
    state = ConversationState(frames={"future_factory_recognition": ItemFrame(
        values={"previous_level": "city_digital_workshop"},
        money={"provincial_city_received_yuan": [Term(value="1000000", turn=1)]})})
    store.save("a", state, now=1)
    assert store.load("a", now=2) == state
    older = state.model_dump(mode="json") | {"version": STATE_VERSION - 1}
    older.pop("frames")
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET state = ? WHERE id = 'a'", (json.dumps(older),))
    assert store.load("a", now=3) == ConversationState()


# ── an amount question about a named item without its figure ───────────────────────────

@pytest.mark.parametrize("first, figure, expected", [
    ("我们买了一批工业机器人，能补多少钱？", "花了350万", 350000),
    ("我們買了一批工業機器人，能補多少錢？", "花了350萬", 350000),
    ("We bought a batch of industrial robots, how much can we get?", "We paid 3.5 million yuan", 350000),
])
def test_an_amount_question_without_the_figure_asks_for_it(assistant, first, figure, expected):
    asked, answered = talk(assistant, f"conv-own-{first}", first, figure)
    assert asked.status is Status.NEEDS_INFO and not asked.calculations
    assert amounts(answered) == [("robot_purchase", expected)]


@pytest.mark.parametrize("message, amount", [
    ("我们已经是市级智能工厂了，原来是数字化车间，能补多少", 1_200_000),
    ("省级未来工厂，之前是市级智能工厂，补多少", 3_000_000),
    ("We are a city-level smart factory now, how much can we get?", 2_000_000),
])
def test_a_level_reached_is_calculated_as_the_difference_to_the_one_held(assistant, message, amount):
    reply = assistant.reply(None, message, TODAY)
    assert [(c.item, c.amount_yuan) for c in reply.calculations] == [("future_factory_recognition", amount)]


def test_a_part_named_before_its_verb_is_that_part(assistant):
    session = "part-before-verb"
    assistant.reply(session, "机器换人项目补助怎么算", TODAY)
    reply = assistant.reply(session, "硬件上花了180万，软件买了40万", TODAY)
    assert [(c.item, c.amount_yuan) for c in reply.calculations] == [("machine_replacement", 220000)]


def test_two_items_each_with_its_own_figure_are_both_computed(assistant):
    reply = assistant.reply(None, "今年采购工业机器人用了150万；还有一个机器换人项目总投资300万。各能补多少？", TODAY)
    assert sorted((c.item, c.amount_yuan) for c in reply.calculations) == [
        ("machine_replacement", 300000), ("robot_purchase", 150000)]


def test_a_level_stated_earlier_is_kept_for_the_next_calculation(assistant):
    session = "level-kept"
    assistant.reply(session, "我们被评为市级链主工厂了，能拿多少", TODAY)
    reply = assistant.reply(session, "之前按智能工厂拿过200万，现在还能拿多少", TODAY)
    assert [(c.item, c.amount_yuan) for c in reply.calculations] == [("future_factory_recognition", 3_000_000)]
