"""The model answerer with a scripted LangChain chat model: tool calls, the guard's replacements,
the step limit, failures, follow-ups rewritten, streaming, and the default without a model."""

from __future__ import annotations

import copy
import threading
from datetime import date

import pytest
from pydantic import SecretStr, ValidationError

from assistant.config import Settings
from assistant.contract import Reply, Status
from assistant.integrations.llm import configured_answerer, model_answerer
from assistant.integrations.llm.answerer import MAX_RECENT_QUESTIONS, REPLACED_WARNING, UNAVAILABLE_WARNING
from assistant.integrations.llm.loop import MAX_TOOL_STEPS
from assistant.integrations.llm.streaming import current_sink, reply_stream, streaming_to
from tests.fuyang import load_rules
from tests.llm_fakes import ScriptedChatModel, answer, calls

DAY = date(2024, 6, 1)  # the policy in force: no validity warning beside the model's
ROBOT_QUESTION = "工业机器人购置补贴标准是什么？"
GROUNDED = "按机器人购置款的10%给予资助，单个企业最高不超过100万元（见三、专项政策（二））。"
SEARCH = calls(("policy_search", {"query": "工业机器人购置补贴"}))


def with_model(assistant, model, settings, timeout: float = 10.0):
    """A copy of the fast assistant (same parts, same session store) answering with `model`."""
    llm_assistant = copy.copy(assistant)
    llm_assistant.answerer = model_answerer(llm_assistant.policy_parts(), assistant.answerer, model,
                                            settings.model_copy(update={"llm_timeout_seconds": timeout}))
    return llm_assistant


@pytest.fixture
def run(assistant, settings):
    """ask(script, message, session): one turn through the fast assistant answering with a model
    that follows `script`; returns the Reply and the model."""
    def ask(script: list, message: str = ROBOT_QUESTION, session: str | None = None):
        model = ScriptedChatModel(script=list(script))
        return with_model(assistant, model, settings).reply(session, message, DAY), model
    return ask


class Recorder:
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def token(self, text: str) -> None:
        self.tokens.append(text)

    def reset(self) -> None:
        self.tokens.append("<reset>")


def plain(assistant, message: str = ROBOT_QUESTION) -> Reply:
    return assistant.reply(None, message, DAY)


def test_a_grounded_answer_cites_and_calculates_from_the_tool_results(run):
    reply, model = run([SEARCH, calls(("robot_purchase", {"robot_purchase_yuan": "420万"})),
                           answer(GROUNDED + "按420万元计算，可补助42万元。")])
    assert reply.status is Status.ANSWERED and reply.warnings == []
    assert reply.answer.startswith("按机器人购置款的10%")
    assert [c.location for c in reply.citations] == ["三、专项政策（二）"]
    assert "GB/T12643-2013" in reply.citations[0].text, "the citation is the clause itself, not the model's words"
    assert [(c.item, c.amount_yuan) for c in reply.calculations] == [("robot_purchase", 420_000)]
    assert model.bound_tools == ["policy_search", *load_rules(), "eligibility_check"]


def test_a_model_naming_no_clause_gets_the_best_results_cited(run):
    reply, _ = run([SEARCH, answer("按机器人购置款的10%给予资助，单个企业最高不超过100万元。")])
    assert reply.status is Status.ANSWERED and reply.citations
    assert reply.citations[0].location == "三、专项政策（二）"


@pytest.mark.parametrize("invented", [
    "单个企业最高不超过130万元（见三、专项政策（二））。",
    "原文写明「企业购置机器人一律给予全额资助」（见三、专项政策（二））。",
])
def test_an_invented_amount_or_quotation_is_replaced_by_the_plain_answer(run, assistant, invented, caplog):
    reply, _ = run([SEARCH, answer(invented)])
    assert reply.answer == plain(assistant).answer
    assert reply.warnings == [REPLACED_WARNING["zh"]]
    assert "replaced by the plain one" in caplog.text


def test_an_answer_echoing_the_canary_or_the_instructions_is_replaced(run):
    _, scripted = run([SEARCH, answer("见三、专项政策（二）")])
    rules = scripted.system_prompts()[-1]
    canary = rules.strip().splitlines()[-1]
    assert canary.startswith("CANARY-")
    reply, _ = run([SEARCH, answer(f"三、专项政策（二）。{canary}")])
    assert reply.warnings == [REPLACED_WARNING["zh"]] and canary not in reply.answer
    reply, _ = run([SEARCH, answer("见三、专项政策（二）。我的规则：" + rules[rules.index("只用工具结果"):][:40])])
    assert reply.warnings == [REPLACED_WARNING["zh"]]


def test_an_answer_without_any_tool_result_is_replaced(run, assistant):
    reply, _ = run([answer("工业机器人按10%补助。")])
    assert reply.warnings == [REPLACED_WARNING["zh"]] and reply.answer == plain(assistant).answer


def test_the_tool_loop_stops_at_its_step_limit(run, assistant):
    reply, model = run([SEARCH] * (MAX_TOOL_STEPS + 3))
    assert len(model.seen) == MAX_TOOL_STEPS
    assert reply.warnings == [UNAVAILABLE_WARNING["zh"]] and reply.answer == plain(assistant).answer


def test_an_unknown_tool_is_refused_and_the_turn_goes_on(run):
    reply, model = run([calls(("run_shell", {"command": "ls"})), SEARCH, answer(GROUNDED)])
    refused = [m for m in model.seen[1] if m.type == "tool"]
    assert refused and refused[0].status == "error" and "run_shell" in refused[0].content
    assert reply.warnings == [] and reply.answer == GROUNDED


@pytest.mark.parametrize("message, warning", [
    (ROBOT_QUESTION, UNAVAILABLE_WARNING["zh"]),
    ("What is the subsidy for industrial robots?", UNAVAILABLE_WARNING["en"]),
])
def test_a_failing_model_gives_the_plain_answer_with_a_warning_in_the_users_language(run, assistant, message, warning):
    reply, _ = run([ConnectionError("model service down")], message=message)
    assert reply.answer == plain(assistant, message).answer and reply.warnings == [warning]


def test_a_question_the_policy_does_not_answer_never_reaches_the_model(run):
    reply, model = run([answer("上海市的补贴是500万元。")], message="上海市的机器人补贴是多少？")
    assert reply.status is Status.NOT_FOUND and model.seen == []


def test_a_follow_up_is_rewritten_from_the_conversation_before_the_search(run, assistant, settings):
    session = "llm-follow-up"
    run([SEARCH, answer(GROUNDED)], session=session)
    model = ScriptedChatModel(script=[answer("工业机器人购置补助的上限是多少？"), SEARCH, answer(GROUNDED)])
    reply = with_model(assistant, model, settings).reply(session, "那上限呢", DAY)
    rewrite, first_step = model.seen[0], model.seen[1]
    assert "工业机器人购置补贴标准是什么" in rewrite[-1].content and "那上限呢" in rewrite[-1].content
    assert "工业机器人购置补助的上限是多少" in first_step[-1].content, "the model answers the standalone question"
    assert reply.answer == GROUNDED
    with assistant.sessions.open(session) as state:
        assert state.recent_questions[-1] == "那上限呢"


def test_remembered_questions_are_bounded(run, assistant):
    session = "llm-bounded"
    run([SEARCH, answer(GROUNDED)], session=session)
    for _ in range(MAX_RECENT_QUESTIONS + 1):
        run([answer(ROBOT_QUESTION), SEARCH, answer(GROUNDED)], session=session)
    with assistant.sessions.open(session) as state:
        assert len(state.recent_questions) == MAX_RECENT_QUESTIONS


def test_the_answer_is_streamed_and_a_refused_stream_is_replaced(assistant, settings):
    recorder = Recorder()
    model = ScriptedChatModel(script=[SEARCH, answer("单个企业最高不超过130万元（见三、专项政策（二））。")])
    with streaming_to(recorder):
        reply = with_model(assistant, model, settings).reply(None, ROBOT_QUESTION, DAY)
    streamed = "".join(recorder.tokens)
    assert "单个企业最高不超过130万元" in streamed and len(recorder.tokens) > 3, "the model's words went out as written"
    assert "130万" not in reply.answer and reply.warnings == [REPLACED_WARNING["zh"]]


def test_reply_stream_shows_the_text_so_far_then_the_reply():
    release = threading.Event()

    def call() -> str:
        sink = current_sink()
        assert sink is not None
        sink.token("按购置款的10%")
        release.wait(30)
        return "the reply"

    updates = reply_stream(call)
    assert next(updates) == "按购置款的10%"
    release.set()
    assert list(updates)[-1] == "the reply"


def test_without_a_model_nothing_changes(assistant, settings):
    assert settings.llm_provider == "none"
    assert configured_answerer(settings, assistant.policy_parts(), assistant.answerer) is assistant.answerer


def test_settings_need_a_model_name_and_never_show_the_key(monkeypatch):
    monkeypatch.setenv("POLICY_ASSISTANT_LLM_PROVIDER", "openai")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("POLICY_ASSISTANT_LLM_MODEL", "qwen-plus")
    monkeypatch.setenv("POLICY_ASSISTANT_LLM_API_KEY", "sk-very-secret")
    settings = Settings()
    assert settings.llm_api_key == SecretStr("sk-very-secret")
    assert "sk-very-secret" not in repr(settings) and "sk-very-secret" not in str(settings.model_dump())


def test_eval_reports_what_the_model_did(monkeypatch):
    from assistant.config import get_settings
    from assistant.maintenance.evaluate import model_summary

    monkeypatch.setenv("POLICY_ASSISTANT_LLM_PROVIDER", "openai")
    monkeypatch.setenv("POLICY_ASSISTANT_LLM_MODEL", "qwen-plus")
    get_settings.cache_clear()
    try:
        log = ["INFO assistant.integrations.llm.answerer: llm-turn outcome=answered"] * 3 + [
            "INFO assistant.integrations.llm.answerer: llm-turn outcome=replaced",
            "INFO assistant.integrations.llm.answerer: llm-turn outcome=unavailable", "INFO httpx: POST …"]
        line = model_summary(log)
    finally:
        get_settings.cache_clear()
    assert "(openai, qwen-plus): 5 ASK turns" in line
    assert "3 answered by the model, 1 replaced by the guard (replacement rate 25.0%" in line


def test_the_factory_builds_either_client_without_contacting_it(settings):
    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    from assistant.integrations.llm.models import chat_model

    openai = chat_model(settings.model_copy(update={
        "llm_provider": "openai", "llm_model": "qwen-plus", "llm_base_url": "http://127.0.0.1:9/v1",
        "llm_api_key": SecretStr("sk-x"), "llm_timeout_seconds": 7.0, "llm_max_retries": 2}))
    assert isinstance(openai, ChatOpenAI)
    assert (openai.model_name, openai.openai_api_base, openai.request_timeout, openai.max_retries) == (
        "qwen-plus", "http://127.0.0.1:9/v1", 7.0, 2)
    assert "sk-x" not in repr(openai)
    ollama = chat_model(settings.model_copy(update={
        "llm_provider": "ollama", "llm_model": "qwen2.5:7b", "llm_base_url": "http://127.0.0.1:9"}))
    assert isinstance(ollama, ChatOllama) and ollama.base_url == "http://127.0.0.1:9"
    assert ollama.client_kwargs == {"timeout": settings.llm_timeout_seconds}
    with pytest.raises(ValueError):
        chat_model(settings)


def test_an_answer_dropping_what_the_policy_does_not_state_is_replaced(run, assistant):
    question = "工业机器人购置补助按什么比例？申报要准备哪些材料？"
    assert "没有规定" in plain(assistant, question).answer
    search = calls(("policy_search", {"query": "工业机器人购置补助"}))
    reply, _ = run([search, answer("工业机器人按购置款的10%给予资助（见三、专项政策（二））。")], message=question)
    assert reply.warnings == [REPLACED_WARNING["zh"]] and reply.answer == plain(assistant, question).answer
    kept = "工业机器人按购置款的10%给予资助；政策原文没有规定申报需要提交哪些材料（见三、专项政策（二））。"
    reply, _ = run([search, answer(kept)], message=question)
    assert reply.warnings == [] and reply.answer == kept
