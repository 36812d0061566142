"""The shape of tests/data/eval_cases.jsonl, checked without the model: counts per category,
ids, kinds, that every clause_key quotes the cleaned corpus and that every calc amount is what
the calculators give for the inputs the case records."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest

from assistant.config import REPO_ROOT
from assistant.corpus.library import load_library
from assistant.maintenance.evaluate import CATEGORIES, DEV_CASES, EVAL_CASES, fold_for_compare, load_cases, score_case
from tests.fuyang import compute

CASES = load_cases(EVAL_CASES)
FACT_FIELDS = {"id", "category", "kind", "turns", "clause_key", "facts", "status", "forbidden"}
CALC_FIELDS = {"id", "category", "kind", "turns", "amount_yuan", "inputs", "forbidden"}
NOT_STATED_FIELDS = {"id", "category", "kind", "turns", "facts", "forbidden", "fraud"}
STATUSES = {"answered", "calculated", "needs_info", "not_eligible", "not_found", "refused"}


def by_kind(kind: str) -> list[dict]:
    return [case for case in CASES if case["kind"] == kind]


def test_at_least_80_cases_and_12_in_every_category():
    counts = Counter(case["category"] for case in CASES)
    assert len(CASES) >= 80
    assert set(counts) == set(CATEGORIES)
    assert all(counts[category] >= 12 for category in CATEGORIES), counts


def test_ids_are_unique_and_do_not_clash_with_the_dev_set():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    assert not set(ids) & {case["id"] for case in load_cases(DEV_CASES)}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_case_shape(case):
    assert case["kind"] in CATEGORIES[case["category"]]
    assert case["turns"] and all(isinstance(turn, str) and turn.strip() for turn in case["turns"])
    fields = {"fact": FACT_FIELDS, "calc": CALC_FIELDS, "not_stated": NOT_STATED_FIELDS}[case["kind"]]
    assert set(case) <= fields, set(case) - fields
    for group in case.get("facts", []):
        assert group and all(isinstance(alt, str) and alt for alt in group)
    assert all(isinstance(word, str) and word for word in case.get("forbidden", []))
    if case["kind"] == "fact":
        assert case["clause_key"] and case["facts"]
        assert case.get("status", "answered") in STATUSES
    if case["category"] == "follow_up":
        assert 2 <= len(case["turns"]) <= 3
    else:
        assert len(case["turns"]) == 1
    if case["category"] == "long":
        assert 60 <= len(case["turns"][0]) <= 200


def test_the_not_stated_category_holds_a_few_named_but_unquantified_items():
    named = [case for case in CASES if case["category"] == "not_stated" and case["kind"] == "fact"]
    assert 2 <= len(named) <= 4
    assert all(case["status"] == "not_found" for case in named)


@pytest.fixture(scope="module")
def folded_clauses() -> list[str]:
    return [fold_for_compare(clause.text) for document in load_library(REPO_ROOT / "corpus").documents
            for clause in document.clauses]


@pytest.mark.parametrize("case", by_kind("fact"), ids=lambda c: c["id"])
def test_clause_key_quotes_the_cleaned_corpus(case, folded_clauses):
    key = fold_for_compare(case["clause_key"])
    assert any(key in text for text in folded_clauses), case["clause_key"]


@pytest.mark.parametrize("case", by_kind("calc"), ids=lambda c: c["id"])
def test_calc_amount_is_what_the_calculator_gives(case):
    result = compute(case["inputs"]["item"], case["inputs"]["values"]).amount_yuan
    if case["amount_yuan"] is None:
        assert result is None or result <= 0
    else:
        assert result == Decimal(str(case["amount_yuan"]))


def reply(status="not_found", answer="", citations=(), amounts=()):
    return {"status": status, "answer": answer, "citations": [{"text": text} for text in citations],
            "calculations": [{"amount_yuan": amount} for amount in amounts]}


def test_not_stated_scoring():
    case = {"kind": "not_stated", "facts": [["未规定"]], "forbidden": ["500万元"]}
    assert all(score_case(case, [reply(answer="本政策未规定聚能工厂的金额。")]).values())
    assert not score_case(case, [reply(answer="可补500万元，本政策未规定细则。")])["forbidden"]
    assert not score_case(case, [reply(status="answered", answer="未规定")])["not_stated"]
    assert not score_case(case, [reply(status="refused", answer="未规定")])["not_stated"]
    assert score_case({**case, "fraud": True}, [reply(status="refused", answer="未规定")])["not_stated"]
    assert not score_case(case, [reply(answer="未规定", amounts=[1000])])["not_stated"]
    # the facts of a not_stated case are looked for in the answer alone, not in the citations
    assert not score_case(case, [reply(answer="查无此项", citations=["未规定"])])["facts"]


def test_fact_status_is_checked_when_the_case_names_one():
    case = {"kind": "fact", "clause_key": "1+N", "facts": [["未规定"]], "status": "answered"}
    good = reply(status="answered", answer="未规定比例", citations=["探索实施“1+N”技术改造试点补助"])
    assert score_case(case, [good]) == {"facts": True, "citation": True, "status": True}
    assert not score_case(case, [{**good, "status": "not_found"}])["status"]


def test_eval_file_is_one_json_object_a_line():
    for line in EVAL_CASES.read_text(encoding="utf-8").splitlines():
        assert isinstance(json.loads(line), dict)
