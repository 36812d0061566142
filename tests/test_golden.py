"""Runs every case in tests/golden/*.yaml against calculators.compute.

A case:
    name: 购置420万元工业机器人，补助42万元   # what a policy officer reads
    item: robot_purchase                      # rule id in calculators/rules.yaml
    input: {robot_purchase_yuan: 420万元}     # amounts may be written as the policy writes them
    output:                                   # every key is optional
      eligible: true
      amount_yuan: 42万元                     # null for items the policy gives no figure for
      cap_yuan: 100万元
      cap_applied: false
      formula_contains: ...                   # text, or a list of texts
      reason_contains: ...
      notes_contain: ...
      inputs: {investment_yuan: 230万元}      # some normalized inputs
    error: 金额必须大于0                      # instead of output: compute must raise this
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from calculators import CalculatorError, parse_yuan
from tests.fuyang import compute

GOLDEN_DIR = Path(__file__).parent / "golden"
OUTPUT_KEYS = {"eligible", "amount_yuan", "cap_yuan", "cap_applied", "formula_contains",
               "reason_contains", "notes_contain", "open_conditions_contain", "inputs"}


def _cases() -> list[Any]:
    params = []
    for path in sorted(GOLDEN_DIR.glob("*.yaml")):
        for number, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")), 1):
            # pytest escapes non-ASCII ids, so the id stays ASCII and the Chinese name
            # goes into the failure message.
            params.append(pytest.param(case, id=f"{path.stem}-{number:02d}-{case['item']}"))
    return params


def _texts(expected: str | list[str]) -> list[str]:
    return [expected] if isinstance(expected, str) else list(expected)


def _money(expected: Any) -> Any:
    return None if expected is None else parse_yuan(expected)


CASES = _cases()


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_golden(case: dict[str, Any]) -> None:
    try:
        _check(case)
    except AssertionError as exc:
        raise AssertionError(f"{case['name']}\n{exc}") from exc


def _check(case: dict[str, Any]) -> None:
    assert set(case) <= {"name", "item", "input", "output", "error"}
    if "error" in case:
        with pytest.raises(CalculatorError) as raised:
            compute(case["item"], case.get("input") or {})
        assert case["error"] in str(raised.value)
        return

    result = compute(case["item"], case.get("input") or {})
    expected = case["output"]
    assert set(expected) <= OUTPUT_KEYS, f"unknown output keys: {set(expected) - OUTPUT_KEYS}"
    if "eligible" in expected:
        assert result.eligible is expected["eligible"], result.reason
    if "amount_yuan" in expected:
        assert result.amount_yuan == _money(expected["amount_yuan"]), result.formula
    if "cap_yuan" in expected:
        assert result.cap_yuan == _money(expected["cap_yuan"])
    if "cap_applied" in expected:
        assert result.cap_applied is expected["cap_applied"], result.formula
    for text in _texts(expected.get("formula_contains", [])):
        assert text in result.formula
    for text in _texts(expected.get("reason_contains", [])):
        assert result.reason is not None and text in result.reason
    for text in _texts(expected.get("notes_contain", [])):
        assert any(text in note for note in result.notes), result.notes
    for text in _texts(expected.get("open_conditions_contain", [])):
        assert any(text in condition for condition in result.open_conditions), result.open_conditions
    for name, value in (expected.get("inputs") or {}).items():
        actual = result.inputs[name]
        assert actual == (parse_yuan(value) if isinstance(actual, Decimal) else value)
