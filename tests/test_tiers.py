"""The fast tier stays fast: its assistant is the real one minus the model, and building it or
answering with it never imports the model stack."""

import subprocess
import sys

from assistant.retrieval.dense import InMemoryVectors
from assistant.retrieval.embeddings import HashingEmbedder
from tests.conftest import MODEL_MODULES

PROBE = f"""
import sys
from datetime import date
from assistant.config import Settings
from tests.conftest import build_fast_assistant
settings = Settings(data_dir=sys.argv[1])
assistant = build_fast_assistant(settings)
assert assistant.reply(None, "工业机器人补贴多少", date(2026, 11, 26)).citations
loaded = [name for name in {MODEL_MODULES!r} if name in sys.modules]
assert not loaded, loaded
"""


def test_the_assistant_fixture_is_the_fast_one(assistant):
    assert isinstance(assistant.retriever.dense, InMemoryVectors)
    assert isinstance(assistant.retriever.dense.embedder, HashingEmbedder)


def test_building_and_answering_fast_loads_no_model(tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "data")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
