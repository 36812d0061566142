"""An optional language model behind the AnsweringStrategy interface (README: "A language model").

With `POLICY_ASSISTANT_LLM_PROVIDER=none` (the default) nothing here is used and no model
service is contacted. Otherwise `configured_answerer` wraps the extractive answerer: the model
answers through tools (loop.py), the guard checks every answer (guard.py), and the extractive
answer stands in whenever the model fails or the guard refuses (answerer.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.config import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.answering.strategy import AnsweringStrategy
    from assistant.core import Assistant
    from assistant.integrations.llm.answerer import ModelAnswerer


def model_answerer(assistant: Assistant, model: BaseChatModel, settings: Settings,
                   fallback: AnsweringStrategy | None = None) -> ModelAnswerer:
    """The model answerer over the assistant's parts; the fallback is the assistant's current
    (extractive) answerer unless one is given."""
    from assistant.answering.english import Glossary
    from assistant.integrations.llm.answerer import ModelAnswerer
    from assistant.integrations.llm.guard import GroundingGuard
    from assistant.integrations.llm.loop import ToolLoop, model_tools
    from assistant.integrations.llm.prompts import EchoDetector, Prompts

    prompts = Prompts.load()
    glossary = Glossary.from_folder(settings.corpus_dir / "vocabulary")
    guard = GroundingGuard(assistant.documents, [entry.en for entry in glossary.entries], EchoDetector(prompts))
    loop = ToolLoop(model, model_tools(assistant.langchain_retriever(), assistant.rulebook), prompts,
                    assistant.documents[0].meta, assistant.rulebook)
    return ModelAnswerer(loop, fallback or assistant.answerer, guard, assistant.clauses, assistant.rulebook,
                         deadline_seconds=settings.llm_timeout_seconds)


def configured_answerer(settings: Settings, assistant: Assistant) -> AnsweringStrategy:
    """The answerer the settings ask for: the assistant's own (extractive) one when no model is
    configured, else the model answerer with it as the fallback."""
    if settings.llm_provider == "none":
        return assistant.answerer
    from assistant.integrations.llm.models import chat_model

    return model_answerer(assistant, chat_model(settings), settings)


__all__ = ["configured_answerer", "model_answerer"]
