"""The chat model a deployment chooses: an OpenAI-compatible service (Qwen, DeepSeek, GLM, vLLM,
…) through langchain-openai's ChatOpenAI, or Ollama through langchain-ollama's ChatOllama.
Building one contacts nothing; the first request is the first question a model answers."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from assistant.config import Settings

# Answers are read from tool results, not invented: the most likely wording is the one wanted.
TEMPERATURE = 0.0
# A key an OpenAI-compatible server without authentication (vLLM, a local gateway) accepts; the
# client refuses to start without one.
NO_KEY = "not-needed"


def chat_model(settings: Settings) -> BaseChatModel:
    """The configured chat model. Raises ValueError when no model is configured."""
    key = settings.llm_api_key.get_secret_value()
    if settings.llm_provider == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url or None,
                          api_key=key or NO_KEY, timeout=settings.llm_timeout_seconds,
                          max_retries=settings.llm_max_retries, temperature=TEMPERATURE,
                          use_responses_api=False)
    if settings.llm_provider == "ollama":
        from langchain_ollama import ChatOllama

        client: dict = {"timeout": settings.llm_timeout_seconds}
        if key:  # an Ollama behind an authenticating proxy
            client["headers"] = {"Authorization": f"Bearer {key}"}
        return ChatOllama(model=settings.llm_model, base_url=settings.llm_base_url or None,
                          temperature=TEMPERATURE, client_kwargs=client)
    raise ValueError("no language model is configured (POLICY_ASSISTANT_LLM_PROVIDER=none)")
