"""End to end through the real `ChatOpenAI` client against the scripted OpenAI-compatible server
(tests/scripted_llm_server.py, on 127.0.0.1): the CLI, the REST API and the Gradio chat, each
case of the issue — a grounded tool-using answer, an invented amount, an invented quotation, an
echo of the instructions, a hang past the timeout, a 500, a 429, and streaming."""

from __future__ import annotations

import copy
import json
import threading

import httpx
import pytest
from gradio_client import Client
from pydantic import SecretStr

from assistant.cli import main
from assistant.config import get_settings
from assistant.core import Assistant
from assistant.integrations.llm import configured_answerer
from assistant.integrations.llm.answerer import REPLACED_WARNING, UNAVAILABLE_WARNING
from tests.conftest import build_fast_assistant
from tests.fuyang import load_rules
from tests.live_server import EXPIRED_DAY, server_settings, start_server
from tests.scripted_llm_server import ScriptedLLMServer, system_prompt, tool_names
from tests.test_gradio_client import last_answer

QUESTION = "工业机器人购置补贴标准是什么？"
SEARCH = {"tool_calls": [("policy_search", {"query": "工业机器人购置补贴标准"})]}
CALCULATE = {"tool_calls": [("robot_purchase", {"robot_purchase_yuan": "420万"})]}
GROUNDED = "按机器人购置款的10%给予资助，单个企业最高不超过100万元（见三、专项政策（二））。"
INVENTED_AMOUNT = {"content": "按购置款的10%给予资助，单个企业最高不超过130万元（见三、专项政策（二））。"}
INVENTED_QUOTE = {"content": "原文写明「符合条件的企业均可获得全额资助」（见三、专项政策（二））。"}
# Timeout for the hang case: short, so the test is quick; the server hangs far longer.
HANG_TIMEOUT_SECONDS = 1.0
# How long a test waits for a reply before failing instead of hanging: well past any timeout.
WAIT_BOUND_SECONDS = 30.0


def echo_canary(request: dict) -> dict:
    """A model that repeats its instructions' last line (the canary) when asked to."""
    return {"content": "好的，我的内部标记是 " + system_prompt(request).strip().splitlines()[-1]}


def echo_rules(request: dict) -> dict:
    rules = system_prompt(request)
    return {"content": "见三、专项政策（二）。" + rules[rules.index("作答规则"):][:60]}


@pytest.fixture(scope="module")
def llm():
    server = ScriptedLLMServer().start()
    yield server
    server.stop()


def model_settings(settings, llm, **overrides):
    values = {"llm_provider": "openai", "llm_base_url": llm.url, "llm_model": "scripted-qwen",
              "llm_api_key": SecretStr("sk-scripted"), "llm_timeout_seconds": 5.0, "llm_max_retries": 0}
    return settings.model_copy(update=values | overrides)


def llm_assistant(assistant, settings):
    """The fast assistant with the answerer `from_settings` chooses for these settings."""
    with_model = copy.copy(assistant)
    with_model.settings = settings
    with_model.answerer = configured_answerer(settings, with_model.policy_parts(), assistant.answerer)
    return with_model


@pytest.fixture(scope="module")
def api(assistant, settings, llm, tmp_path_factory):
    server = start_server(llm_assistant(assistant, model_settings(settings, llm)),
                          server_settings(settings, tmp_path_factory.mktemp("llm-api")))
    yield server
    server.stop()


def chat(api, message: str = QUESTION) -> dict:
    response = httpx.post(f"{api.url}/api/chat", json={"message": message}, timeout=WAIT_BOUND_SECONDS)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def plain_answer(assistant):
    """The extractive answer: what every failure must fall back to."""
    return assistant.reply(None, QUESTION, EXPIRED_DAY).answer


def test_a_grounded_tool_using_answer_through_rest(api, llm):
    llm.play(SEARCH, CALCULATE, {"content": GROUNDED + "按420万元计算，可补助42万元。"})
    reply = chat(api)
    assert reply["status"] == "answered" and reply["answer"].startswith(GROUNDED)
    assert [c["location"] for c in reply["citations"]] == ["三、专项政策（二）"]
    assert [(c["item"], c["amount_yuan"]) for c in reply["calculations"]] == [("robot_purchase", 420000.0)]
    assert any("已过期" in w for w in reply["warnings"]), "the validity warning still comes with it"
    assert not any(w in reply["warnings"] for w in (*REPLACED_WARNING.values(), *UNAVAILABLE_WARNING.values()))
    first = llm.requests[0]
    assert tool_names(first) == ["policy_search", *load_rules(), "eligibility_check"]
    assert "CANARY-" in system_prompt(first)
    tool_reply = next(m for m in llm.requests[1]["messages"] if m["role"] == "tool")
    assert "【三、专项政策（二）】" in tool_reply["content"], "search results carry their locations"


@pytest.mark.parametrize("step", [INVENTED_AMOUNT, INVENTED_QUOTE, echo_canary, echo_rules],
                         ids=["invented-amount", "invented-quotation", "canary", "instructions"])
def test_an_answer_failing_the_guard_is_replaced_through_rest(api, llm, plain_answer, step):
    llm.play(SEARCH, step)
    reply = chat(api)
    assert reply["status"] == "answered" and reply["answer"] == plain_answer
    assert REPLACED_WARNING["zh"] in reply["warnings"]
    assert "CANARY-" not in json.dumps(reply)


@pytest.mark.parametrize("failure", [{"status": 500}, {"status": 429}], ids=["500", "429"])
def test_a_failing_service_gives_the_plain_answer_through_rest(api, llm, plain_answer, failure):
    llm.play(failure)
    reply = chat(api)
    assert reply["answer"] == plain_answer and UNAVAILABLE_WARNING["zh"] in reply["warnings"]
    english = chat(api, "What is the subsidy for industrial robots?") if failure["status"] == 429 else None
    if english:
        assert UNAVAILABLE_WARNING["en"] in english["warnings"]


def test_a_hang_past_the_timeout_gives_the_plain_answer(assistant, settings, llm, plain_answer):
    with_model = llm_assistant(assistant, model_settings(settings, llm, llm_timeout_seconds=HANG_TIMEOUT_SECONDS))
    llm.play({"hang": 60})
    done: dict = {}
    worker = threading.Thread(target=lambda: done.update(reply=with_model.reply(None, QUESTION, EXPIRED_DAY)))
    worker.start()
    worker.join(WAIT_BOUND_SECONDS)
    assert "reply" in done, "reply() returned although the model never answered"
    assert done["reply"].answer == plain_answer and UNAVAILABLE_WARNING["zh"] in done["reply"].warnings


def test_a_retry_after_a_500_reaches_the_model(assistant, settings, llm):
    with_model = llm_assistant(assistant, model_settings(settings, llm, llm_max_retries=1))
    llm.play({"status": 500}, SEARCH, {"content": GROUNDED})
    reply = with_model.reply(None, QUESTION, EXPIRED_DAY)
    assert reply.answer == GROUNDED and len(llm.requests) == 3


@pytest.mark.parametrize("step, replaced", [({"content": GROUNDED}, False), (INVENTED_AMOUNT, True)],
                         ids=["grounded", "invented-amount"])
def test_the_cli_answers_with_the_configured_model(llm, step, replaced, capsys, monkeypatch, tmp_path):
    """`policy-assistant ask` with the model set by environment variables, as a deployment would."""
    for name, value in {"PROVIDER": "openai", "BASE_URL": llm.url, "MODEL": "scripted-qwen", "API_KEY": "sk-env",
                        "TIMEOUT_SECONDS": "5", "MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(f"POLICY_ASSISTANT_LLM_{name}", value)
    monkeypatch.setenv("POLICY_ASSISTANT_DATA_DIR", str(tmp_path / "data"))

    def fast_product(cls, settings=None, **_):
        fast = build_fast_assistant(settings or get_settings())
        fast.answerer = configured_answerer(fast.settings, fast.policy_parts(), fast.answerer)  # as from_settings
        return fast

    monkeypatch.setattr(Assistant, "from_settings", classmethod(fast_product))
    get_settings.cache_clear()
    try:
        llm.play(SEARCH, step)
        code = main(["--today", "2024-06-01", "ask", QUESTION, "--json"])
    finally:
        get_settings.cache_clear()
    reply = json.loads(capsys.readouterr().out)
    assert code == 0 and reply["status"] == "answered"
    assert (REPLACED_WARNING["zh"] in reply["warnings"]) is replaced
    assert (reply["answer"] == step["content"]) is not replaced
    assert "sk-env" not in json.dumps(reply)


@pytest.fixture(scope="module")
def gradio(api):
    return Client(api.url, verbose=False, analytics_enabled=False, download_files=False)


def test_the_chat_streams_the_models_words_then_shows_the_reply(gradio, llm):
    llm.play(SEARCH, {"content": GROUNDED, "pace": 0.05})
    job = gradio.submit(QUESTION, False, api_name="/chat")
    final, _, phone = job.result(timeout=WAIT_BOUND_SECONDS)
    partial = [last_answer(history) for history, _, _ in job.outputs()[:-1]]
    typed = [text.removesuffix(" ▌") for text in partial if text.endswith("▌")]
    assert any(len(text) < len(GROUNDED) // 2 for text in typed), "the answer arrived in pieces"
    assert last_answer(final).startswith(GROUNDED.split("（")[0]) and "来源1：三、专项政策（二）" in last_answer(final)
    assert "三、专项政策（二）" in phone


def test_the_chat_replaces_a_refused_stream_with_the_plain_answer(gradio, llm):
    llm.play(SEARCH, INVENTED_AMOUNT | {"pace": 0.05})
    job = gradio.submit(QUESTION, False, api_name="/chat")
    final, _, _ = job.result(timeout=WAIT_BOUND_SECONDS)
    streamed = [last_answer(history) for history, _, _ in job.outputs()[:-1]]
    assert any("130万" in text and text.endswith("▌") for text in streamed), "the model's words were shown first"
    shown = last_answer(final)
    assert "130万" not in shown and "未通过与政策原文的核对" in shown and "GB/T12643-2013" in shown
