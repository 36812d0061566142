"""Subsidy calculators for 三、专项政策 of the Fuyang "未来工厂" implementing opinions.

Pure Python: the figures and their legal source live in rules.yaml, the logic in small
functions. Nothing here imports the chat, retrieval or UI stack.
"""

from .eligibility import check_eligibility
from .engine import (
    RULES_PATH,
    compute,
    get_rule,
    load_rulebook,
    load_rules,
    match_items,
    missing_inputs,
    read_rulebook,
)
from .errors import CalculatorError, MissingInputsError
from .models import Choice, Condition, Input, Rule, RuleBook
from .money import format_rate, format_yuan, parse_yuan
from .profile import EnterpriseProfile
from .reading import AmountError, YesNoError, read_yes_no, read_yuan
from .results import Calculation, ConditionCheck, EligibilityReport, ItemAssessment

__all__ = [
    "RULES_PATH",
    "AmountError",
    "Calculation",
    "CalculatorError",
    "Choice",
    "Condition",
    "ConditionCheck",
    "EligibilityReport",
    "EnterpriseProfile",
    "Input",
    "ItemAssessment",
    "MissingInputsError",
    "Rule",
    "RuleBook",
    "YesNoError",
    "check_eligibility",
    "compute",
    "format_rate",
    "format_yuan",
    "get_rule",
    "load_rulebook",
    "load_rules",
    "match_items",
    "missing_inputs",
    "parse_yuan",
    "read_rulebook",
    "read_yes_no",
    "read_yuan",
]
