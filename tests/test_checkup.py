"""The eligibility check in chat: asks for the enterprise's situation, then lists items."""

from datetime import date

from assistant.contract import Status
from assistant.dialogue.state import ConversationState

TODAY = date(2026, 11, 26)


def test_profile_facts_keep_each_amount_with_its_item(assistant):
    def profile_facts(message):
        return assistant.checkup.profile_facts(assistant.understanding.understand(message, ConversationState()))

    facts = profile_facts("我们是小微制造业企业，买工业机器人花了300万，工厂物联网项目设备投入40万、软件投入20万")
    assert facts["is_small_micro"] is True and facts["is_manufacturing"] is True
    assert facts["robot_purchase_yuan"] == "3000000"
    assert facts["iot_equipment_yuan"] == "400000" and facts["iot_software_yuan"] == "200000"
    assert profile_facts("我们不是小微企业")["is_small_micro"] is False


def test_checkup_conversation(assistant):
    first = assistant.reply("check-1", "我们企业能享受哪些补贴？", TODAY)
    assert first.status is Status.NEEDS_INFO and "机器人" in first.follow_up
    second = assistant.reply("check-1", "我们是小微制造业企业，买工业机器人花了300万，第一次买云服务花了1万", TODAY)
    assert second.status is Status.CALCULATED
    by_item = {c.item: c.amount_yuan for c in second.calculations}
    assert by_item["robot_purchase"] == 300000 and by_item["first_cloud_purchase"] == 5000
    assert "待确认" in second.answer and "已确认合计" in second.answer
    assert {c.location for c in second.citations} >= {"三、专项政策（二）", "三、专项政策（六）"}
    third = assistant.reply("check-1", "另外工厂物联网项目投资60万", TODAY)
    assert {c.item: c.amount_yuan for c in third.calculations}["factory_iot"] == 90000
    assert "robot_purchase" in {c.item for c in third.calculations}
    done = assistant.reply("check-1", "政策有效期到哪天", TODAY)
    assert done.status is Status.ANSWERED


def test_checkup_in_english(assistant):
    reply = assistant.reply("check-2", "Which subsidies are we eligible for?", TODAY)
    assert reply.status is Status.NEEDS_INFO and reply.follow_up.startswith("Tell me")


def test_an_impossible_figure_is_an_error_and_the_profile_survives(assistant):
    assistant.reply("check-3", "我们能享受哪些补贴", TODAY)
    kept = assistant.reply("check-3", "买工业机器人花了300万", TODAY)
    assert kept.status is Status.CALCULATED
    wrong = assistant.reply("check-3", "机器换人项目投资0元", TODAY)
    assert wrong.status is Status.ERROR and "大于0" in wrong.answer
    again = assistant.reply("check-3", "工厂物联网项目投资60万", TODAY)
    assert {"robot_purchase", "factory_iot"} <= {c.item for c in again.calculations}
