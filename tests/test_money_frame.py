"""The conversation's frame for money (assistant/dialogue/frame.py), turn by turn through
Assistant.reply: a figure given later is added, corrected or taken out again, acquiring again adds,
"怎么算出来的" shows the last calculation, a rule question leaves the open question where it was,
a higher level is paid by difference, and several items or projects in one message are summed."""

from datetime import date
from decimal import Decimal

from assistant.contract import Status
from tests.fuyang import compute

TODAY = date(2026, 12, 3)
HAD_FIRST_CLOUD = "我们是小微制造企业，之前已经拿过一次首次上云的补助了，这次买云服务又花了3万，能补多少？"


def talk(assistant, name, *messages):
    """Every reply of one conversation, in order; each test talks in a session of its own."""
    return [assistant.reply(f"frame-{name}", message, TODAY) for message in messages]


def amounts(reply):
    return [(c.item, c.amount_yuan) for c in reply.calculations]


def expected(item, **inputs):
    """What the calculator pays for these inputs, in yuan (money inputs as Decimal yuan)."""
    return float(compute(item, inputs).amount_yuan)


def test_a_figure_added_later_is_added_to_the_earlier_one(assistant):
    first, added = talk(assistant, "add", "我们上了个工厂物联网项目，投了300万",
                        "还有一笔150万的软件没算进去，再算一下")
    assert amounts(first) == [("factory_iot", expected("factory_iot", investment_yuan=Decimal(3_000_000)))]
    assert added.status is Status.CALCULATED
    assert amounts(added) == [("factory_iot", 675000)]
    assert amounts(added) == [("factory_iot", expected("factory_iot", investment_yuan=Decimal(4_500_000)))]
    assert "300万元 + 150万元 = 450万元" in added.calculations[0].formula


def test_a_correction_replaces_then_an_addition_and_its_removal(assistant):
    wrong, corrected, added, removed = talk(assistant, "correct", "机器换人项目总投资180万",
                                            "不对，说错了，应该是250万", "再加20万软件", "去掉那20万")
    assert wrong.status is Status.NOT_ELIGIBLE
    assert amounts(wrong) == [("machine_replacement", 0)]
    assert corrected.status is Status.CALCULATED
    assert amounts(corrected) == [("machine_replacement", 250000)]
    assert "180万" not in corrected.calculations[0].formula
    assert amounts(added) == [("machine_replacement", 270000)]
    assert "250万元 + 20万元 = 270万元" in added.calculations[0].formula
    assert removed.status is Status.CALCULATED
    assert amounts(removed) == [("machine_replacement", 250000)]
    assert "20万" not in removed.calculations[0].formula


def test_acquiring_again_adds_and_the_cap_applies_to_the_sum(assistant):
    first, again = talk(assistant, "again", "上半年我们买了300万的工业机器人",
                        "下半年又添了900万的，全年合起来能补多少？")
    assert amounts(first) == [("robot_purchase", 300000)]
    assert again.status is Status.CALCULATED
    assert amounts(again) == [("robot_purchase", 1000000)]
    assert amounts(again) == [("robot_purchase", expected("robot_purchase", robot_purchase_yuan=Decimal(12_000_000)))]
    assert again.calculations[0].cap_applied
    assert "300万元 + 900万元 = 1200万元" in again.calculations[0].formula


def test_how_was_it_calculated_shows_the_same_calculation_again(assistant):
    _, added, explained = talk(assistant, "explain", "上半年我们买了300万的工业机器人",
                               "下半年又添了900万的，全年合起来能补多少？", "怎么算出来的")
    assert explained.status is Status.CALCULATED
    assert amounts(explained) == amounts(added) == [("robot_purchase", 1000000)]
    assert explained.calculations[0].formula == added.calculations[0].formula


def test_a_rule_question_mid_calculation_is_answered_and_the_question_stays(assistant):
    asked, rule, answered = talk(assistant, "rule-question", "机器换人项目补助怎么算",
                                 "软件投入算不算在实际投资额里？", "250万")
    assert asked.status is Status.NEEDS_INFO and "实际投资额" in asked.follow_up
    assert rule.status is Status.ANSWERED
    assert not rule.calculations
    assert answered.status is Status.CALCULATED
    assert amounts(answered) == [("machine_replacement", 250000)]


def test_a_higher_benchmark_level_is_paid_by_difference(assistant):
    city, provincial = talk(assistant, "benchmark", "去年我们被评成市级上云标杆企业，拿了20万",
                            "今年升到省级了，还能再拿多少？")
    assert amounts(city) == [("cloud_benchmark", 200000)]
    assert provincial.status is Status.CALCULATED
    assert amounts(provincial) == [("cloud_benchmark", 100000)]
    assert amounts(provincial) == [("cloud_benchmark", expected("cloud_benchmark", level="provincial",
                                                                previous_level="city"))]


def test_a_higher_platform_level_is_paid_by_difference(assistant):
    provincial, national = talk(assistant, "platform", "去年我们的平台被认定为省级工业互联网平台，拿了200万",
                                "今年又被认定成国家级的了，那还能再拿多少？")
    assert amounts(provincial) == [("industrial_internet_platform", 2000000)]
    assert national.status is Status.CALCULATED
    assert amounts(national) == [("industrial_internet_platform", 1000000)]


def test_two_items_in_one_message_with_their_total(assistant):
    (reply,) = talk(assistant, "two-items", "机器人买了300万，另外还有个工厂物联网项目投了200万，两项一共能补多少？")
    assert reply.status is Status.CALCULATED
    assert amounts(reply) == [("robot_purchase", 300000), ("factory_iot", 300000)]
    assert reply.total_yuan == 600000
    assert "合计" in reply.answer


def test_a_clause_naming_no_item_speaks_of_the_one_before_it(assistant):
    (reply,) = talk(assistant, "provider-robot", "我们是数字工程服务商，去年服务本区企业的收入600万，已经认定了；"
                    "另外自己也买了80万的工业机器人。两样一共能补多少？")
    assert reply.status is Status.CALCULATED
    provider = expected("digital_engineering_provider", revenue_yuan=Decimal(6_000_000), recognised=True)
    assert amounts(reply) == [("digital_engineering_provider", provider), ("robot_purchase", 80000)]
    assert reply.total_yuan == 380000
    assert "合计" in reply.answer


def test_several_projects_of_a_per_project_item(assistant):
    (reply,) = talk(assistant, "projects", "两个机器换人项目，A项目实际投资1200万，B项目300万，合计能补多少？")
    assert reply.status is Status.CALCULATED
    assert [c.item for c in reply.calculations] == ["machine_replacement", "machine_replacement"]
    assert [c.amount_yuan for c in reply.calculations] == [1000000, 300000]
    assert reply.total_yuan == 1300000


def test_a_follow_up_amount_question_recomputes_from_the_frame(assistant):
    first, again = talk(assistant, "first-cloud", "我们是小微制造企业，头一回买云存储和工业APP，付了2.8万",
                        "那这个能补多少？")
    assert again.status is Status.CALCULATED
    assert ("first_cloud_purchase", 14000) in amounts(again)
    assert amounts(again) == amounts(first)


def test_a_once_only_subsidy_had_before_is_not_paid_again(assistant):
    (reply,) = talk(assistant, "once", HAD_FIRST_CLOUD)
    first = next(c for c in reply.calculations if c.item == "first_cloud_purchase")
    assert first.amount_yuan == 0 and not first.eligible
    assert "只享受1次" in first.reason


def test_a_once_only_subsidy_had_before_leaves_the_other_cloud_item_open(assistant):
    (reply,) = talk(assistant, "once-other", HAD_FIRST_CLOUD)
    one_click = next(c for c in reply.calculations if c.item == "one_click_cloud")
    assert one_click.eligible and one_click.amount_yuan == 500


def test_a_purchase_counted_with_the_earlier_one_adds_to_it(assistant):
    _, added, again = talk(assistant, "together", "我们厂今年上了几台焊接机器人，花了260万",
                           "哦对了，年初还买过两台搬运的，140万，一起算", "那总共能补多少？怎么算的")
    assert amounts(added) == [("robot_purchase", 400000)]
    assert amounts(again) == amounts(added) and "260万元 + 140万元" in again.calculations[0].formula


def test_parts_named_after_their_figures(assistant):
    _, corrected, now = talk(assistant, "parts-after", "工厂物联网那个，我们投了45万，能补吗",
                             "不好意思说错了，是48万设备加12万软件", "那现在呢")
    assert amounts(corrected) == [("factory_iot", 90000)]
    assert corrected.calculations[0].inputs["equipment_yuan"] == 480000
    assert corrected.calculations[0].inputs["software_yuan"] == 120000
    assert amounts(now) == amounts(corrected)


def test_a_level_the_enterprise_states_in_a_question_is_kept(assistant):
    stated, higher = talk(assistant, "level-stated", "我们去年评上了市级数字化车间",
                          "今年又升成市级智能工厂了，还能补多少钱？")
    assert stated.status is Status.ANSWERED
    assert amounts(higher) == [("future_factory_recognition", 1200000)]


def test_a_condition_stated_after_a_calculation_calculates_it_again(assistant):
    bought, had, not_manufacturing = talk(
        assistant, "condition-after", "我们是小微企业，第一次在一键上云上面买了云存储，花了5万",
        "我们去年其实已经拿过一次这个首次上云的补助了", "我们不是制造业企业")
    first = [c for c in bought.calculations if c.item == "first_cloud_purchase"]
    assert first and first[0].amount_yuan == 20000
    for reply in (had, not_manufacturing):
        again = next(c for c in reply.calculations if c.item == "first_cloud_purchase")
        assert again.amount_yuan == 0 and not again.eligible
    assert "制造业" in next(c for c in not_manufacturing.calculations if c.item == "first_cloud_purchase").reason


def test_an_amount_just_calculated_is_asked_about_not_spent(assistant):
    _, received, asked = talk(assistant, "echo", "机器人买了300万", "哦说错了，是350万，前年已经拿过80万",
                              "那这个20万是怎么算出来的？")
    assert amounts(received) == [("robot_purchase", 200000)]
    assert asked.status is Status.CALCULATED and amounts(asked) == amounts(received)
    assert asked.calculations[0].formula == received.calculations[0].formula


def test_one_item_of_several_changed_gives_all_again_with_the_sum(assistant):
    _, changed, total = talk(assistant, "several-change", "买机器人花了260万，工厂物联网项目投了400万，两项一共多少",
                             "机器人那个改成300万", "现在合计是多少？")
    for reply in (changed, total):
        assert amounts(reply) == [("robot_purchase", 300000), ("factory_iot", 600000)]
        assert reply.total_yuan == 900000


def test_each_level_up_is_paid_by_difference_to_the_last(assistant):
    _, smart, provincial = talk(assistant, "ladder", "我们是市级数字化车间，拿了80万",
                                "今年升成市级智能工厂了，还能补多少", "明年评上省级未来工厂还能补多少")
    assert amounts(smart) == [("future_factory_recognition", 1200000)]
    assert amounts(provincial) == [("future_factory_recognition", 3000000)]


def test_an_english_hyphenated_item_and_a_fact_taken_back(assistant):
    (english,) = talk(assistant, "hyphen",
                      "We are doing a machine-replacement project with 3 million yuan of equipment and no software.")
    assert amounts(english) == [("machine_replacement", 300000)]
    _, no_longer = talk(assistant, "no-longer", "我们是小微企业，第一次买云服务3万", "营收过了2个亿，应该不算小微了")
    first = next(c for c in no_longer.calculations if c.item == "first_cloud_purchase")
    assert first.amount_yuan == 0 and "小微" in first.reason


def test_a_figure_added_to_a_project_given_in_parts(assistant):
    *_, added = talk(assistant, "add-to-parts", "物联网项目设备35万软件20万", "软件改成10万",
                     "再加一套15万的传感器进去呢")
    assert amounts(added) == [("factory_iot", 90000)]
    assert "35万元 + 10万元 + 15万元" in added.calculations[0].formula


def test_a_level_counts_as_an_item_among_several(assistant):
    (reply,) = talk(assistant, "three-items",
                    "机器换人项目投了300万，今年刚评上市级数字化车间，另外买机器人花了50万，三项一共多少")
    assert [c.item for c in reply.calculations] == ["machine_replacement", "future_factory_recognition",
                                                     "robot_purchase"]
    assert reply.total_yuan == 300000 + 800000 + 50000


def test_two_items_weighed_for_one_figure_are_each_computed_without_a_sum(assistant):
    (reply,) = talk(assistant, "compare", "同一个300万的项目，按机器换人还是物联网划算？")
    assert amounts(reply) == [("machine_replacement", 300000), ("factory_iot", 450000)]
    assert reply.total_yuan is None


def test_english_items_joined_by_and_and_a_part_named_after_its_figure(assistant):
    both, corrected = talk(assistant, "english-and",
                           "We bought robots for 2 million yuan and spent 800,000 yuan on a factory IoT project. "
                           "What is the total subsidy?", "Actually the IoT project was 1.2 million.")
    assert amounts(both) == [("robot_purchase", 200000), ("factory_iot", 120000)] and both.total_yuan == 320000
    assert amounts(corrected) == [("robot_purchase", 200000), ("factory_iot", 180000)]
    _, added = talk(assistant, "english-part-after",
                    "Our machine replacement project: equipment 1.8 million, software 0.5 million.",
                    "Add another 300,000 for software.")
    assert added.calculations[0].inputs["software_yuan"] == 800000
    assert amounts(added) == [("machine_replacement", 260000)]


def test_a_project_of_several_changed_later_keeps_the_sum(assistant):
    first, added = talk(assistant, "projects-later",
                        "我们有两个工厂物联网项目，一个投了40万，一个投了100万，各自能补多少，加起来多少？",
                        "第一个项目后来又加了20万软件")
    assert first.total_yuan == 150000 and "合计：0元 + 15万元" in first.answer
    assert amounts(added) == [("factory_iot", 90000), ("factory_iot", 150000)] and added.total_yuan == 240000


def test_a_total_asked_after_items_given_in_turns_of_their_own_sums_them(assistant):
    *_, total = talk(assistant, "total-of-turns", "我们工业机器人买了260万", "另外还做了个物联网项目，投了140万",
                     "这两个加起来能补多少")
    robot = expected("robot_purchase", robot_purchase_yuan=Decimal(2_600_000))
    iot = expected("factory_iot", investment_yuan=Decimal(1_400_000))
    assert sorted(amounts(total)) == sorted([("robot_purchase", robot), ("factory_iot", iot)])
    assert total.total_yuan == robot + iot

