"""Shared fixtures: every test runs against its own data dir; the embedding model is the one
`make model` prepared (converted once per machine, never downloaded)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assistant.config import Settings, get_settings, set_offline_environment

set_offline_environment()  # before any test imports chromadb, gradio or transformers
from assistant.maintenance.model_prep import prepare_model


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return prepare_model(get_settings().prepared_model_dir, progress=False)


@pytest.fixture(scope="session")
def settings(tmp_path_factory, model_dir) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(data_dir=data_dir, embedding_model=str(model_dir))


@pytest.fixture(scope="session")
def assistant(settings):
    from assistant.core import Assistant

    return Assistant.from_settings(settings)


@pytest.fixture
def cli_env(settings, monkeypatch):
    """Points the CLI (in this process or a child) at the test data dir."""
    monkeypatch.setenv("POLICY_ASSISTANT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", settings.embedding_model)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
