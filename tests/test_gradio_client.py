"""The Gradio app's own API, driven by gradio_client against a live server, the way another
program (or `gr.load`) would use it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from gradio_client import Client

from calculators import format_yuan
from tests.fuyang import compute
from tests.live_server import BrokenAssistant, server_settings, start_server


@pytest.fixture(scope="module")
def live(assistant, settings, tmp_path_factory):
    server = start_server(assistant, server_settings(settings, tmp_path_factory.mktemp("gradio-client")))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(live):
    return Client(live.url, verbose=False, analytics_enabled=False, download_files=False)


def last_answer(chat_history: list[dict]) -> str:
    """The text of the last assistant message, whichever content form the client hands back."""
    content = chat_history[-1]["content"]
    assert chat_history[-1]["role"] == "assistant"
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else str(content)


def test_only_the_chat_is_on_the_api_page(client):
    assert list(client.view_api(return_format="dict", print_info=False)["named_endpoints"]) == ["/chat"]


def test_question_returns_an_answer_with_its_citation(client):
    history, box, phone_script = client.predict("工业机器人购置补贴标准是什么？", False, api_name="/chat")
    answer = last_answer(history)
    assert "10%" in answer
    assert "来源1：三、专项政策（二）" in answer
    assert "<blockquote>" in answer and "GB/T12643-2013" in answer, "the quoted clause opens under the answer"
    assert "已过期" in answer, "the expiry warning is shown"
    assert "AI生成，仅供参考，以正式文件为准" in answer
    assert box == ""
    assert "政策出处：《富阳区“未来工厂”实施意见》三、专项政策（二）" in phone_script


def test_calculator_question_returns_the_amount(client):
    # Needs the calculator dialogue in Assistant.reply (status "calculated").
    expected = compute("robot_purchase", {"robot_purchase_yuan": Decimal(4_200_000)})
    history, _, phone_script = client.predict("我们买了工业机器人，花了420万，补贴多少", False, api_name="/chat")
    answer = last_answer(history)
    assert f"可补助 {format_yuan(expected.amount_yuan)}" in answer
    assert expected.formula in answer
    assert format_yuan(expected.amount_yuan) in phone_script


def test_compact_mode_gives_the_lead_figures_and_clause(client):
    history, _, _ = client.predict("工业机器人购置补贴标准是什么？", True, api_name="/chat")
    answer = last_answer(history)
    assert "要点数字：10%、100万元" in answer
    assert "<blockquote>" not in answer, "compact mode leaves the quote out"
    assert "请注意" in answer, "but never the warning"


@pytest.mark.parametrize("message, shown", [("", "消息为空"), ("补" * 2500, "消息过长")])
def test_bad_input_is_answered_in_the_chat(client, message, shown):
    history, _, _ = client.predict(message, False, api_name="/chat")
    assert shown in last_answer(history)


def test_server_error_shows_a_message_not_a_traceback(assistant, settings, tmp_path_factory):
    server = start_server(BrokenAssistant(assistant), server_settings(settings, tmp_path_factory.mktemp("broken-ui")))
    try:
        broken = Client(server.url, verbose=False, analytics_enabled=False, download_files=False)
        history, _, _ = broken.predict("机器人补贴", False, api_name="/chat")
    finally:
        server.stop()
    answer = last_answer(history)
    assert "系统暂时出错" in answer and "错误编号" in answer
    assert "Traceback" not in answer and BrokenAssistant.SECRET not in answer


def test_answer_arrives_progressively(client):
    job = client.submit("工业机器人购置补贴标准是什么？", False, api_name="/chat")
    final_history, _, _ = job.result(timeout=120)
    partial = [last_answer(history) for history, _, _ in job.outputs()[:-1]]
    typed = [text.removesuffix(" ▌") for text in partial if text.endswith("▌")]
    assert len(typed) >= 3, "the answer is shown in growing steps before the full reply"
    assert all(len(a) < len(b) for a, b in zip(typed, typed[1:], strict=False))
    assert last_answer(final_history).startswith(typed[-1])
