"""One model turn: a follow-up made standalone, then tool calls in a bounded loop.

The model gets exactly these tools: `policy_search` (the fused retriever, clauses with their
locations), one calculator per subsidy item and `eligibility_check` (integrations/tools.py).
Every tool result is kept as Evidence for the guard and for the Reply's citations and
calculations."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages.utils import message_chunk_to_message
from langchain_core.prompts import PromptTemplate
from langchain_core.tools import BaseTool, create_retriever_tool

from assistant.corpus.documents import ClauseRef, DocumentMeta
from assistant.integrations.llm.guard import Evidence
from assistant.integrations.llm.prompts import Prompts
from assistant.integrations.llm.streaming import TokenSink, visible_text
from assistant.integrations.retriever import PolicyRetriever
from assistant.integrations.tools import all_tools
from assistant.language.text import Script, to_simplified
from calculators import Calculation, EligibilityReport, RuleBook

log = logging.getLogger(__name__)

# Model calls in one turn, tool rounds included. A multi-part question needs two or three
# searches and a calculation or two, each round one call, plus the answer; a model still calling
# tools after six rounds is going round in circles, and the plain answer is given instead.
MAX_TOOL_STEPS = 6
# Tool calls acted on in one round; the rest are told to wait (each still gets its reply, as
# the chat-completions protocol requires one per call id).
MAX_CALLS_PER_STEP = 6
# A rewritten question longer than this is not a question any more; the message is used as it is.
MAX_REWRITE_CHARS = 300
POLICY_SEARCH = "policy_search"
_SEARCH_DESCRIPTION = ("检索《富阳区“未来工厂”实施意见》的条款：输入一个问题或关键词，返回最相关的条款原文，"
                       "每条前面是它的位置（如【三、专项政策（二）】）。Search the policy's clauses; each result "
                       "starts with its location.")


def policy_search_tool(retriever: PolicyRetriever) -> BaseTool:
    return create_retriever_tool(retriever, POLICY_SEARCH, _SEARCH_DESCRIPTION,
                                 document_prompt=PromptTemplate.from_template("【{location}】{page_content}"),
                                 response_format="content_and_artifact")


def model_tools(retriever: PolicyRetriever, rulebook: RuleBook) -> list[BaseTool]:
    """Everything the model may call, and nothing else."""
    return [policy_search_tool(retriever), *all_tools(rulebook)]


@dataclass(frozen=True)
class TurnRequest:
    question: str  # the message as read (Question.text)
    script: Script
    history: tuple[str, ...] = ()  # earlier questions of the conversation, oldest first
    topic: str = ""  # what the conversation is about ("机器换人项目（三、专项政策（一））"), or ""
    rewrite: bool = False  # a follow-up: made standalone before anything is searched


@dataclass
class ModelTurn:
    text: str | None  # None: the step limit came before an answer
    evidence: Evidence
    standalone: str
    steps: int


def _calculation(data: dict[str, Any], rulebook: RuleBook) -> Calculation:
    """A calculation back from its JSON form, money inputs as Decimals again."""
    calculation = Calculation.model_validate(data)
    rule = rulebook.rule(calculation.item)
    inputs = dict(calculation.inputs)
    for name, value in inputs.items():
        if isinstance(value, str) and name in rule.input_names and rule.input(name).kind == "money":
            with contextlib.suppress(InvalidOperation):
                inputs[name] = Decimal(value)
    return calculation.model_copy(update={"inputs": inputs})


def collect(name: str, message: ToolMessage, evidence: Evidence, rulebook: RuleBook) -> None:
    """Keeps what a successful tool call returned."""
    evidence.texts.append(str(message.content))
    artifact = message.artifact
    if name == POLICY_SEARCH:
        for document in artifact or []:
            location = to_simplified(document.metadata["location"])
            evidence.clauses.append(ClauseRef(document.metadata["doc_id"], location))
    elif name == "eligibility_check":
        report = EligibilityReport.model_validate(artifact)
        evidence.money |= {report.total_yuan, report.possible_total_yuan}
        for item in [*report.items, *report.not_eligible]:
            evidence.clauses.append(ClauseRef(item.doc_id, item.clause))
            if item.calculation:
                evidence.add_calculation(_calculation(item.calculation.model_dump(mode="json"), rulebook))
    elif artifact:
        calculation = _calculation(artifact["calculation"], rulebook)
        evidence.clauses.append(ClauseRef(calculation.doc_id, calculation.clause))
        evidence.add_calculation(calculation)


class ToolLoop:
    def __init__(self, model: BaseChatModel, tools: list[BaseTool], prompts: Prompts, meta: DocumentMeta,
                 rulebook: RuleBook, max_steps: int = MAX_TOOL_STEPS) -> None:
        self.model = model
        self.with_tools = model.bind_tools(tools)
        self.tools = {tool.name: tool for tool in tools}
        self.prompts = prompts
        self.meta = meta
        self.rulebook = rulebook
        self.max_steps = max_steps

    def run(self, request: TurnRequest, sink: TokenSink | None = None) -> ModelTurn:
        standalone = self.rewrite(request) if request.rewrite else request.question
        context = []
        if request.history:
            context.append("此前的问题：" + "；".join(request.history))
        if standalone != request.question:
            context.append(f"（用户原话：{request.question}）")
        messages: list[BaseMessage] = [
            SystemMessage(self.prompts.system_text(request.script)),
            HumanMessage(self.prompts.question_text(self.meta, standalone, "\n".join(context)))]
        evidence = Evidence()
        for step in range(1, self.max_steps + 1):
            reply = self._call(messages, sink)
            messages.append(reply)
            if not reply.tool_calls and not reply.invalid_tool_calls:
                return ModelTurn(visible_text(reply.text), evidence, standalone, step)
            if sink is not None:
                sink.reset()
            for number, call in enumerate(reply.tool_calls):
                messages.append(self._tool_reply(call, number, evidence))
            for bad in reply.invalid_tool_calls:
                messages.append(ToolMessage(content="调用参数不是有效的JSON，请重新调用。",
                                            tool_call_id=bad.get("id") or "", status="error"))
        return ModelTurn(None, evidence, standalone, self.max_steps)

    def rewrite(self, request: TurnRequest) -> str:
        lines = ["此前的问题：", *(f"{n}. {q}" for n, q in enumerate(request.history, start=1))]
        if request.topic:
            lines.append(f"当前话题：{request.topic}")
        lines.append(f"最新消息：{request.question}")
        reply = self.model.invoke([SystemMessage(self.prompts.rewrite), HumanMessage("\n".join(lines))])
        rewritten = next(iter(visible_text(reply.text).splitlines()), "").strip()
        return rewritten if 0 < len(rewritten) <= MAX_REWRITE_CHARS else request.question

    def _call(self, messages: list[BaseMessage], sink: TokenSink | None) -> AIMessage:
        if sink is None:
            return self.with_tools.invoke(messages)
        merged: AIMessageChunk | None = None
        for chunk in self.with_tools.stream(messages):
            chunk = cast(AIMessageChunk, chunk)
            merged = chunk if merged is None else merged + chunk
            if chunk.text and not merged.tool_call_chunks:
                sink.token(chunk.text)
        if merged is None:
            return AIMessage(content="")
        message = message_chunk_to_message(merged)
        assert isinstance(message, AIMessage)
        return message

    def _tool_reply(self, call: ToolCall, number: int, evidence: Evidence) -> ToolMessage:
        name, call_id = call["name"], call.get("id") or ""
        tool = self.tools.get(name)
        if tool is None:
            return ToolMessage(content=f"没有名为 {name} 的工具。", tool_call_id=call_id, status="error")
        if number >= MAX_CALLS_PER_STEP:
            return ToolMessage(content="本轮调用过多，请先根据已有结果作答。", tool_call_id=call_id, status="error")
        try:
            message = tool.invoke({**call, "type": "tool_call"})
        except Exception as exc:  # a tool refusing its arguments must not end the turn
            log.warning("tool %s failed on the model's arguments: %s", name, type(exc).__name__)
            return ToolMessage(content="工具调用失败：参数不符合要求。", tool_call_id=call_id, status="error")
        if isinstance(message, ToolMessage) and message.status != "error":
            collect(name, message, evidence, self.rulebook)
        return message if isinstance(message, ToolMessage) else ToolMessage(content=str(message), tool_call_id=call_id)
