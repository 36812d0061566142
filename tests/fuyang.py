"""The Fuyang policy's rules for tests: its rules.yaml read as the calculators read it, and the
calculators' entry points bound to that book, so a test names an item as a user does
(`compute("robot_purchase", …)`). The product never reads rules this way: an Assistant gets its
library's rulebook passed in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import calculators
from assistant.config import REPO_ROOT
from calculators import Calculation, EligibilityReport, EnterpriseProfile, Input, Rule, read_rulebook

CORPUS = REPO_ROOT / "corpus"
FUYANG_DIR = CORPUS / "policies" / "fuyang-future-factory-2021"
FUYANG_ID = FUYANG_DIR.name
RULES_PATH = FUYANG_DIR / "rules.yaml"
RULEBOOK = read_rulebook(RULES_PATH)


def load_rules() -> dict[str, Rule]:
    return dict(RULEBOOK.by_id)


def get_rule(item: str) -> Rule:
    return RULEBOOK.rule(item)


def compute(item: str, inputs: Mapping[str, Any]) -> Calculation:
    return calculators.compute(RULEBOOK.rule(item), inputs)


def missing_inputs(item: str, inputs: Mapping[str, Any]) -> list[Input]:
    return calculators.missing_inputs(RULEBOOK.rule(item), inputs)


def check_eligibility(profile: EnterpriseProfile | Mapping[str, Any]) -> EligibilityReport:
    return calculators.check_eligibility(RULEBOOK, profile)


def match_items(text: str) -> list[str]:
    return calculators.match_items(RULEBOOK, text)
