"""A scripted LangChain chat model for the model-answerer tests: each call takes the next step of
its script (an AIMessage, possibly with tool calls, or an exception to raise). It supports
`bind_tools` (remembering the tool names) and streams content and tool calls in chunks, as a
real provider does."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

# Characters per streamed content chunk: several chunks for any answer of a sentence or more.
CHUNK_CHARS = 4


def answer(text: str) -> AIMessage:
    return AIMessage(content=text)


def calls(*steps: tuple[str, dict[str, Any]]) -> AIMessage:
    """One model step calling these tools: ("policy_search", {"query": "..."}), ..."""
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{n}", "type": "tool_call"}
                                             for n, (name, args) in enumerate(steps)])


class ScriptedChatModel(BaseChatModel):
    script: list[Any] = Field(default_factory=list)
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-test-model"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        self.bound_tools = [convert_to_openai_tool(tool)["function"]["name"] for tool in tools]
        return self

    def _next(self, messages: list[BaseMessage]) -> AIMessage:
        self.seen.append(list(messages))
        if not self.script:
            raise AssertionError("the model was called more often than scripted")
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return copy.deepcopy(step)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        message = self._next(messages)
        text = message.content if isinstance(message.content, str) else ""
        for start in range(0, len(text), CHUNK_CHARS):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text[start:start + CHUNK_CHARS]))
        for index, call in enumerate(message.tool_calls):
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[tool_call_chunk(
                name=call["name"], args=json.dumps(call["args"], ensure_ascii=False), id=call["id"], index=index)]))

    def system_prompts(self) -> list[str]:
        return [str(m.content) for batch in self.seen for m in batch if m.type == "system"]
