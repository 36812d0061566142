"""Wording nobody listed, without the model: the example router decides by its classes' centroids
and a margin, the embedder cache embeds a text once, the head of a phrase decides its item, and
the one item an answering clause pays becomes the conversation's topic."""

from datetime import date

import numpy as np
import pytest

from assistant.contract import Status
from assistant.dialogue.state import ConversationState
from assistant.retrieval.embeddings import HashingEmbedder, QueryCache
from assistant.understanding.examples import ExampleRouter

TODAY = date(2026, 12, 3)
BANK = {
    "asked.deadline": ["申报截止日期是哪天", "什么时候截止申报", "最晚哪天报"],
    "asked.contact": ["咨询电话号码多少", "联系电话是哪个", "打哪个电话问"],
    "outside": ["今天天气怎么样", "明天会下雨吗", "天气预报说什么"],
}


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return super().queries(texts)


def test_the_nearest_class_decides_when_it_stands_clear():
    router = ExampleRouter(BANK, HashingEmbedder(), margin=0.05)
    assert router.route("申报截止是哪天") == "asked.deadline"
    assert router.route("电话号码是多少") == "asked.contact"


def test_nothing_is_decided_within_the_margin():
    router = ExampleRouter(BANK, HashingEmbedder(), margin=0.05)
    found = router.nearest("xyz")
    assert found is not None and found.margin < 0.05
    assert router.route("xyz") is None
    assert ExampleRouter(BANK, HashingEmbedder(), margin=0.0).route("xyz") is not None


def test_leave_one_out_uses_the_other_examples_of_the_class():
    router = ExampleRouter(BANK, HashingEmbedder(), margin=0.0)
    index = router.texts.index("最晚哪天报")
    left_out = router.nearest("", exclude=index)
    assert left_out is not None and left_out.label == "asked.deadline"


def test_a_malformed_bank_is_reported_with_its_file(tmp_path):
    (tmp_path / "examples.yaml").write_text("asked.amount: 补多少\n", encoding="utf-8")
    with pytest.raises(ValueError, match="examples.yaml"):
        ExampleRouter.from_folder(tmp_path, HashingEmbedder())


def test_the_query_cache_embeds_a_text_once_and_keeps_a_bounded_number():
    inner = CountingEmbedder()
    cache = QueryCache(inner, size=2)
    first = cache.queries(["机器人补贴多少"])
    again = cache.queries(["机器人补贴多少"])
    assert np.array_equal(first, again) and inner.calls == [["机器人补贴多少"]]
    cache.queries(["甲"])
    cache.queries(["乙"])  # the first text falls out of a cache of two
    cache.queries(["机器人补贴多少"])
    assert inner.calls.count(["机器人补贴多少"]) == 2
    assert cache.fingerprint == inner.fingerprint


def test_the_real_bank_loads_and_has_a_dozen_or_fewer_per_class(settings):
    router = ExampleRouter.from_folder(settings.corpus_dir / "vocabulary", HashingEmbedder())
    assert {label.split(".")[0] for label in router.classes} == {"asked", "refuse", "outside"}
    assert all(5 <= router.labels.count(label) <= 15 for label in router.classes)


@pytest.mark.parametrize("message, head", [
    ("我们是小微制造企业，通过数字工程服务商买了云服务，付了3万，能补多少", "first_cloud_purchase"),
    ("通过服务商买的云服务补多少", "first_cloud_purchase"),
    ("We bought cloud storage through a service provider for 30,000 yuan, how much?", "first_cloud_purchase"),
    ("我们是数字工程服务商，给企业做云服务的收入500万", "digital_engineering_provider"),
])
def test_the_head_of_the_phrase_decides_the_item(assistant, message, head):
    question = assistant.understanding.understand(message, ConversationState())
    assert question.item == head


def test_a_statement_of_what_the_enterprise_does_sets_the_topic_for_the_figure(assistant):
    session = "wording-what-we-do"
    first = assistant.reply(session, "我们公司是专门给富阳的工厂做数字化改造技术咨询和项目实施的", TODAY)
    assert first.status is Status.ANSWERED
    figure = assistant.reply(session, "去年这块收入大概有800万", TODAY)
    assert [(c.item, c.amount_yuan) for c in figure.calculations] == [("digital_engineering_provider", 400000)]


def test_the_bank_vectors_are_kept_between_processes(tmp_path):
    first = CountingEmbedder()
    ExampleRouter(BANK, first, cache_dir=tmp_path).nearest("申报截止是哪天")
    again = CountingEmbedder()
    router = ExampleRouter(BANK, again, cache_dir=tmp_path)
    assert router.route("申报截止是哪天") == ExampleRouter(BANK, HashingEmbedder()).route("申报截止是哪天")
    assert again.calls == [["申报截止是哪天"]]  # the bank itself came from the cache
    assert len(list(tmp_path.glob("examples-*.npy"))) == 1


@pytest.mark.parametrize("message, item", [
    ("去年给本区企业做改造的咨询、实施收入1400万，经认定后能拿多少", "digital_engineering_provider"),
    ("我们发票金额是300万，能补多少", None),
])
def test_a_figure_label_names_the_one_item_whose_input_it_is(assistant, message, item):
    assert assistant.understanding.understand(message, ConversationState()).item == item


@pytest.mark.parametrize("message", [
    "未来工厂政策什么时候到期", "From what date did this future factory policy take effect?"])
def test_an_item_word_before_a_word_for_a_document_names_the_document(assistant, message):
    reply = assistant.reply(None, message, TODAY)
    assert reply.status is Status.ANSWERED and "有效期" in reply.citations[0].text


def test_what_is_asked_is_read_in_the_clauses_that_ask(assistant):
    question = assistant.understanding.understand(
        "领导让我写材料，要往高标准智造工场的方向去创建。智造工场对亩均产出的要求到底是多少？", ConversationState())
    assert "materials" not in question.asked


def test_an_english_level_said_with_level_is_the_level(assistant):
    reply = assistant.reply(None, "Our company was just recognised as a provincial-level Future Factory. "
                                  "What reward do we get?", TODAY)
    assert [(c.item, c.amount_yuan) for c in reply.calculations] == [("future_factory_recognition", 5000000)]
