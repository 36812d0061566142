"""Sound-alike repair (assistant/understanding/spelling.py): a policy term typed with a character
of the same sound is read as the term; correct text, ordinary words and figures are left alone."""

import time
from datetime import date

import pytest

from assistant.contract import Status
from assistant.dialogue.state import ConversationState
from assistant.language.text import fold
from assistant.understanding.spelling import MIN_TERM_CHARS, SoundAlikes, allowed_changes, plain_syllable

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def sound_alikes(assistant) -> SoundAlikes:
    return assistant.understanding.sound_alikes


def understand(assistant, message):
    return assistant.understanding.understand(message, ConversationState())


@pytest.mark.parametrize("typed, term", [
    # one character of the same sound
    ("机器仁", "机器人"),
    ("专家诊段", "专家诊断"),
    ("首席信息馆", "首席信息官"),
    ("数字工程服务上", "数字工程服务商"),
    ("一键上运", "一键上云"),
    ("链主工场", "链主工厂"),
    ("有效器", "有效期"),
    # two characters of the same sound in a longer term
    ("书字画车间", "数字化车间"),
    ("公业互连网平台", "工业互联网平台"),
    # the confusions of fuzzy pinyin: z/zh (照 zhao for 造 zao), in/ing (金 jin for 经 jing)
    ("智能制照", "智能制造"),
    ("金信局", "经信局"),
])
def test_a_term_typed_by_sound_is_read_as_the_term(sound_alikes, typed, term):
    repaired = sound_alikes.repair(f"请问{typed}有什么规定")
    assert repaired.text == f"请问{term}有什么规定"
    assert (typed, term) in repaired.corrections or any(term in right for _, right in repaired.corrections)


def test_traditional_script_is_folded_first(assistant):
    q = understand(assistant, "數字畫車間認定了補多少")
    assert q.text.startswith("数字化车间") and q.corrections == [("数字画车间", "数字化车间")]
    assert q.item == "future_factory_recognition"


def test_inside_a_longer_sentence_items_and_figures_follow_the_repair(assistant):
    typed = understand(assistant, "我们去年买了几台机器仁，花了300万元，能补多少")
    right = understand(assistant, "我们去年买了几台机器人，花了300万元，能补多少")
    assert typed.text == right.text and typed.corrections == [("机器仁", "机器人")]
    assert typed.entities.items == right.entities.items == ["robot_purchase"]
    assert [f.value_yuan for f in typed.figures] == [f.value_yuan for f in right.figures] == [3_000_000]
    assert typed.intent is right.intent
    assert typed.segments[0].items == ["robot_purchase"]


def test_search_text_and_levels_read_the_repaired_words(assistant):
    q = understand(assistant, "原来是市级只能工厂，现在评上省级未来工厂，补多少")
    assert "智能工厂" in q.search_text
    values = {level.value for level in q.entities.levels}
    assert {"city_smart_factory", "provincial_future_factory"} <= values


@pytest.mark.parametrize("message, location", [
    ("机器仁补贴多少", "三、专项政策（二）"),
    ("公业互连网平台认定了有什么奖励", "三、专项政策（五）"),
    ("首席信息馆有什么要求", "四、保障措施（三）"),
])
def test_a_whole_reply_finds_the_clause_of_the_term(assistant, message, location):
    reply = assistant.reply(f"spelling-{message}", message, TODAY)
    assert reply.status is not Status.NOT_FOUND
    assert location in [c.location for c in reply.citations]


def test_the_policy_text_itself_is_never_rewritten(assistant, sound_alikes):
    for document in assistant.documents:
        for clause in document.clauses:
            assert sound_alikes.repair(fold(clause.text)).corrections == [], clause.location


@pytest.mark.parametrize("message", [
    "工业机器人补贴多少",
    "数字化车间和智能工厂分别补多少",
    # ordinary words that sound like a part of a term: 国家机关 (国家级), 服务上门 (服务商), 任何 (机器人)
    "国家机关单位能申请吗",
    "数字工程服务商提供服务上门吗",
    "买机器任何补贴都没有吗",
    "说明书上写着机器仁慈",
    # short terms are never repaired: 自助 sounds like 资助, 上运 like 上云, 十级 like 市级
    "我们想自助申报",
    "货物上运到仓库",
    "风力达到十级",
])
def test_correct_text_and_ordinary_words_are_left_alone(sound_alikes, message):
    assert sound_alikes.repair(fold(message)).corrections == []


def test_digits_and_latin_text_are_never_touched(assistant, sound_alikes):
    message = "符合GB/T12643-2013标准的机器仁，购置款1200万元，robot机器仁"
    q = understand(assistant, message)
    assert "gb/t12643-2013" in q.text and "robot机器人" in q.text
    assert [f.value_yuan for f in q.figures] == [12_000_000]
    assert sound_alikes.repair("abc 123 gb/t").text == "abc 123 gb/t"


def test_short_terms_are_not_indexed_and_most_characters_must_be_right():
    assert MIN_TERM_CHARS == 3
    assert [allowed_changes(n) for n in (3, 4, 5, 6, 9)] == [1, 1, 2, 2, 2]
    sound = SoundAlikes(["上云", "机器人"])
    assert sound.repair("上运").corrections == []
    # two of three characters wrong is another word, not a slip
    assert sound.repair("鸡气人").corrections == []
    assert plain_syllable("zhang") == plain_syllable("zan") and plain_syllable("ning") == plain_syllable("lin")


def test_cost_per_message(sound_alikes, assistant):
    """Prints (asserts nothing): repair and the whole reading of a 200-character message."""
    message = ("您好，我是做纸品的，厂里七八十个人，老板让我问问，听说富阳有个未来工厂的政策，我们去年买了几台"
               "机器仁，花了三百来万，想问问能补多少，要准备什么材料，找哪个部门申请，另外数字画车间认定的话有"
               "没有奖励，我们还想搞工厂物联网，设备联网那种，投了八十万左右，这个能不能一起申请，谢谢您了，"
               "麻烦尽快回复一下，我们老板比较着急，在线等。")
    folded = fold(message)
    sound_alikes.repair(folded)
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        sound_alikes.repair(folded)
    repair_ms = (time.perf_counter() - started) * 1000 / runs
    started = time.perf_counter()
    for _ in range(20):
        understand(assistant, message)
    understand_ms = (time.perf_counter() - started) * 1000 / 20
    print(f"\n{len(folded)} characters: sound-alike repair {repair_ms:.3f} ms, whole understand {understand_ms:.2f} ms")
