"""Scoring a case set: every turn through `policy-assistant batch`, one session per case, and each
case's checks on its last reply, as tests/data/README.md describes them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
import uuid
from collections import defaultdict
from pathlib import Path

from assistant.corpus.documents import PINYIN_NOTE
from assistant.language.text import to_simplified

_QUOTES_SPACES = re.compile(r"[\s\"'“”‘’「」『』]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")
_PUNCTUATION = str.maketrans("（），％：", "(),%:")


def fold_for_compare(text: str) -> str:
    text = to_simplified(PINYIN_NOTE.sub("", text))
    text = text.translate(_PUNCTUATION)
    text = _THOUSANDS.sub("", unicodedata.normalize("NFKC", text))
    return _QUOTES_SPACES.sub("", text)


def load_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_batch(cases: list[dict], today: str | None, log: list[str] | None = None,
              env: dict[str, str] | None = None) -> dict[str, list[dict]]:
    """Every turn of every case through the CLI, one session per case; replies grouped by case.
    The CLI's log lines (stderr) are added to `log` when one is given; `env` adds settings
    (POLICY_ASSISTANT_…) for this run only."""
    # Sessions of their own per run: a stored session with the same request id would replay its
    # earlier reply (idempotent retries) instead of answering again.
    run_tag = uuid.uuid4().hex[:8]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as handle:
        for case in cases:
            for turn_no, message in enumerate(case["turns"]):
                handle.write(json.dumps({"id": f"{case['id']}#{turn_no}", "session": f"eval-{run_tag}-{case['id']}",
                                         "message": message}, ensure_ascii=False) + "\n")
    command = [sys.executable, "-m", "assistant.cli"] + (["--today", today] if today else []) + ["batch", handle.name]
    finished = subprocess.run(command, check=True, capture_output=True, text=True,
                              env={**os.environ, **(env or {})})
    output = finished.stdout
    if log is not None:
        log += finished.stderr.splitlines()
    replies: dict[str, list[dict]] = defaultdict(list)
    for line in output.splitlines():
        reply = json.loads(line)
        replies[reply["id"].split("#")[0]].append(reply)
    return replies


def _has_every_group(groups: list[list[str]], haystack: str) -> bool:
    """One alternative of every group occurs in the (folded) haystack."""
    return all(any(fold_for_compare(alt) in haystack for alt in group) for group in groups)


def score_case(case: dict, replies: list[dict]) -> dict[str, bool]:
    """Every check of one case on its last reply, by name; the case passes when all are true."""
    last = replies[-1]
    # Each item's amount, and the sum when several items were asked together.
    amounts = [c.get("amount_yuan") for c in last.get("calculations", [])] + [last.get("total_yuan")]
    answer = fold_for_compare(last["answer"])
    scores: dict[str, bool]
    if case["kind"] == "refused":
        return {"refused": last["status"] == "refused" and not any(a and a > 0 for a in amounts)}
    if case["kind"] == "out_of_scope":
        return {"out_of_scope": last["status"] in {"not_found", "refused"} and not any(amounts)}
    if case["kind"] == "not_stated":
        # The policy does not answer it: say so, claim no amount; refusing is right only for fraud.
        allowed = {"not_found", "refused"} if case.get("fraud") else {"not_found"}
        scores = {"not_stated": last["status"] in allowed and not any(a and a > 0 for a in amounts)}
        if case.get("facts"):
            scores["facts"] = _has_every_group(case["facts"], answer)
    elif case["kind"] == "calc":
        expected = case["amount_yuan"]
        if expected is None:
            scores = {"calculation": not any(a and a > 0 for a in amounts)}
        else:
            scores = {"calculation": any(a is not None and abs(a - expected) <= 1 for a in amounts)}
    else:
        cited = [fold_for_compare(c["text"]) for c in last.get("citations", [])]
        key = fold_for_compare(case["clause_key"])
        scores = {"facts": _has_every_group(case["facts"], answer + "".join(cited)),
                  "citation": any(key in text for text in cited)}
        if "status" in case:
            scores["status"] = last["status"] == case["status"]
    if case.get("forbidden"):
        # Figures of nearby clauses that a caller would take for the answer.
        scores["forbidden"] = not any(fold_for_compare(word) in answer for word in case["forbidden"])
    return scores


def passes(case: dict, replies: list[dict]) -> bool:
    return all(score_case(case, replies).values())


def passes_in(replies: dict[str, list[dict]], case: dict) -> bool:
    return passes(case, replies[case["id"]])
