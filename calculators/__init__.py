"""Subsidy calculators: a policy's figures and their legal source live in its rules.yaml
(corpus/policies/<policy>/rules.yaml), read into a RuleBook that every entry point is given.

Pure Python: the logic in small functions, no global rules. Nothing here imports the chat,
retrieval or UI stack.
"""

from .eligibility import check_eligibility
from .engine import compute, match_items, missing_inputs
from .errors import CalculatorError, MissingInputsError
from .models import Choice, Condition, Input, Rule
from .money import format_rate, format_yuan, parse_yuan
from .profile import EnterpriseProfile
from .reading import AmountError, YesNoError, read_yes_no, read_yuan
from .results import Calculation, ConditionCheck, EligibilityReport, ItemAssessment
from .rulebook import Overlap, PolicyInfo, RuleBook, read_rulebook

__all__ = [
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
    "Overlap",
    "PolicyInfo",
    "Rule",
    "RuleBook",
    "YesNoError",
    "check_eligibility",
    "compute",
    "format_rate",
    "format_yuan",
    "match_items",
    "missing_inputs",
    "parse_yuan",
    "read_rulebook",
    "read_yes_no",
    "read_yuan",
]
