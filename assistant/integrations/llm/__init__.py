"""An optional language model behind the AnsweringStrategy interface (README: "A language model").

With `POLICY_ASSISTANT_LLM_PROVIDER=none` (the default) nothing here is used and no model
service is contacted. Otherwise `configured_answerer` wraps the extractive answerer: the model
answers through tools (loop.py), the guard checks every answer (guard.py), and the extractive
answer stands in whenever the model fails or the guard refuses (answerer.py). It is built from
the parts of the policy library it reads (`PolicyParts`), never from the Assistant itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.corpus.documents import Clause, ClauseRef, Document
from assistant.integrations.retriever import PolicyRetriever
from calculators import RuleBook

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.answering.strategy import AnsweringStrategy
    from assistant.integrations.llm.answerer import ModelAnswerer


@dataclass(frozen=True)
class PolicyParts:
    """What a model answerer reads of the policy library: the texts (for the grounding guard), the
    rules (for the calculator tools), every clause by policy and location (for citations) and the
    search it may call."""

    documents: tuple[Document, ...]
    rulebook: RuleBook
    clauses: Mapping[ClauseRef, tuple[Clause, str]]
    retriever: PolicyRetriever


def model_answerer(parts: PolicyParts, fallback: AnsweringStrategy, model: BaseChatModel,
                   settings: Settings) -> ModelAnswerer:
    """The model answerer over the library's parts, with `fallback` (the extractive answerer)
    behind it."""
    from assistant.answering.english import Glossary
    from assistant.integrations.llm.answerer import ModelAnswerer
    from assistant.integrations.llm.guard import GroundingGuard
    from assistant.integrations.llm.loop import ToolLoop, model_tools
    from assistant.integrations.llm.prompts import EchoDetector, Prompts

    prompts = Prompts.load()
    glossary = Glossary.from_folder(settings.corpus_dir / "vocabulary")
    guard = GroundingGuard(parts.documents, [entry.en for entry in glossary.entries], EchoDetector(prompts))
    loop = ToolLoop(model, model_tools(parts.retriever, parts.rulebook), prompts, parts.documents[0].meta,
                    parts.rulebook)
    return ModelAnswerer(loop, fallback, guard, parts.clauses, parts.rulebook,
                         deadline_seconds=settings.llm_timeout_seconds)


def configured_answerer(settings: Settings, parts: PolicyParts, fallback: AnsweringStrategy) -> AnsweringStrategy:
    """The answerer the settings ask for: `fallback` (the extractive one) when no model is
    configured, else the model answerer with it behind."""
    if settings.llm_provider == "none":
        return fallback
    from assistant.integrations.llm.models import chat_model

    return model_answerer(parts, fallback, chat_model(settings), settings)


__all__ = ["PolicyParts", "configured_answerer", "model_answerer"]
