"""Figures in a message: each amount with the words before it ("设备投入40万元" → 设备投入).

The amounts come from calculators.reading.find_amounts, the one money scanner. The label
needs a word splitter, which the caller passes in: the project passes Tokenizer.words
(assistant/language/tokenizer.py), which keeps the policy's own terms whole. Labels then
depend on that dictionary only, not on what else the process happened to load first.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.understanding.question import Figure
from calculators.reading import find_amounts, fold_same_length

Words = Callable[[str], list[tuple[str, int, int]]]  # text -> (word, start, end), as jieba.tokenize

_CLAUSE_END = "，,。；;！!？?、\n"
# Words that stand between a label and its figure without telling figures apart ("投资为300万",
# "合计约300万"): copulas, "about", and the Chinese words for a total, as people write them
# before an amount. Stripped from the end of the label, longest match first where they nest.
_FILLERS = ("为", "是", "约", "大约", "大概", "共", "共计", "合计", "总计", "总共", "达", "高达")
_LABEL_WINDOW = 30  # characters before a figure to split; a label is the last word or two
_LABEL_MAX = 12


def find_figures(text: str, words: Words) -> list[Figure]:
    """Every money amount in text, in order, each with its label. Never raises on a str."""
    folded = fold_same_length(text)  # same length as text, so spans carry over
    figures: list[Figure] = []
    for amount in find_amounts(text):
        label = _label(folded, figures[-1].end if figures else 0, amount.start, words)
        figures.append(Figure(value_yuan=amount.value_yuan, raw=amount.raw, start=amount.start,
                              end=amount.end, label=label, unit_missing=amount.unit_missing))
    return figures


def _label(s: str, lo: int, hi: int, words: Words) -> str:
    """The last word or two before the amount in its clause: '设备投入', '花了', '投资了'."""
    prefix = s[max(lo, hi - _LABEL_WINDOW):hi]  # splitting a whole document would be slow
    cut = max((prefix.rfind(c) for c in _CLAUSE_END), default=-1)
    prefix = prefix[cut + 1:].rstrip(" \t:=")
    while stripped := next((w for w in _FILLERS if prefix.endswith(w)), ""):
        prefix = prefix[: -len(stripped)].rstrip(" \t:=")
    found = [(w, a) for w, a, _ in words(prefix) if w.strip()]
    if not found:
        return ""
    # Two words keep a verb with its object ("设备|投入") or with its 了 ("拿|了"), which is what
    # callers need to tell amounts apart, without dragging in the rest of the clause.
    start = found[max(0, len(found) - 2)][1]
    return prefix[start:].strip()[-_LABEL_MAX:]
