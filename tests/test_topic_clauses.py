"""Long colloquial questions (assistant/understanding/topic.py): the caller's introduction and
politeness do not drown the question. Each long form below is a short question from the policy
text with chatter around it; both must find the same clause and make the same scope decision."""

from datetime import date

import pytest

from assistant.contract import Status
from assistant.dialogue.state import ConversationState

TODAY = date(2026, 11, 26)

# (short question, the same question with chatter around it), written from the policy text.
PAIRS = [
    ("工业机器人购置补助比例是多少",
     "您好，我们是做纸品包装的，厂里七八十个人，老板让我问问，工业机器人购置补助比例是多少，谢谢"),
    ("人才培训有什么支持",
     "我们厂去年招了不少年轻人，老板比较重视这块，想问问人才培训有什么支持"),
    ("数字工程服务商收入达到多少可以资助",
     "麻烦问一下，我们公司是做软件的，主要给周边工厂做系统，员工三十来个，数字工程服务商收入达到多少可以资助"),
    ("上云产品购买补助多少",
     "我家是做服装加工的，规模不大，听朋友说有这么个政策，上云产品购买补助多少，麻烦了"),
    ("规上工业亩均增加值目标是多少",
     "我们是一家做塑料制品的企业，在富阳这边干了十几年了，想了解一下，规上工业亩均增加值目标是多少"),
    ("银行对数字化改造项目有什么信贷支持",
     "我们老板最近在考虑上一条新生产线，钱有点紧张，听说银行对数字化改造项目有什么信贷支持"),
]
# Out of scope, short and long: chatter must not make a question the policy does not answer look answerable.
OUT_OF_SCOPE = [
    ("个人所得税怎么申报", "您好，我是厂里管财务的，老板让我问问，个人所得税怎么申报"),
]


def _read(assistant, message):
    question = assistant.understanding.understand(message, ConversationState())
    retrieval = assistant.retriever.retrieve(question.text, k=3, mode="bm25", expanded=question.search_text,
                                             places=question.entities.places)
    return question, retrieval


@pytest.mark.parametrize("short, long", PAIRS + OUT_OF_SCOPE)
def test_the_long_form_finds_what_the_short_form_finds(assistant, short, long):
    _, brief = _read(assistant, short)
    question, rambling = _read(assistant, long)
    assert rambling.in_scope == brief.in_scope
    assert rambling.hits[0].clause.location == brief.hits[0].clause.location
    # the chatter lowers the known share of the question no more than a little
    assert rambling.signals["coverage"] >= min(brief.signals["coverage"], 0.75)
    assert "老板" not in question.search_text and "厂里" not in question.search_text


@pytest.mark.parametrize("short, long", PAIRS + OUT_OF_SCOPE)
def test_whole_replies_agree(assistant, short, long):
    brief = assistant.reply(f"brief-{short}", short, TODAY)
    rambling = assistant.reply(f"long-{short}", long, TODAY)
    assert rambling.status == brief.status
    assert [c.location for c in rambling.citations][:1] == [c.location for c in brief.citations][:1]


def test_out_of_scope_stays_out(assistant):
    for short, long in OUT_OF_SCOPE:
        assert assistant.reply(f"oos-{short}", long, TODAY).status is Status.NOT_FOUND


@pytest.mark.parametrize("message", [
    "工业机器人补贴多少",  # one clause
    "这个政策什么时候到期",
    "设备投入200万，软件130万，机器换人项目补多少",  # every clause carries something
    "我们是小微企业，原来是市级智能工厂，现在升为省级未来工厂，补多少",
    "What is the robot subsidy?",
])
def test_short_questions_are_searched_as_before(assistant, message):
    topic = assistant.understanding.topic
    question = assistant.understanding.understand(message, ConversationState())
    assert topic.keep(question.text) == question.text
    assert question.search_text == assistant.retriever.tokenizer.expand(question.text)


def test_clauses_that_stay_and_go(assistant):
    topic = assistant.understanding.topic
    kept = topic.keep("我是做纸品的，厂里七八十个人，老板让我问问，我们想搞人才培训，花了20万，有补助吗？谢谢")
    assert kept == "我们想搞人才培训，花了20万，有补助吗"
    # nothing carries a topic: the whole message is kept
    assert topic.keep("你好，谢谢") == "你好，谢谢"
