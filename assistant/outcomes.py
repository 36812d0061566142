"""What one turn decided, as types: each becomes a Reply in one place (core.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from assistant.contract import Citation
from assistant.corpus.documents import ClauseRef
from calculators import Calculation, EligibilityReport


@dataclass(frozen=True)
class Refused:
    rule: str


@dataclass(frozen=True)
class InputError:
    """Input the assistant cannot use; `code` names the problem for API clients."""

    code: str
    message: str
    items: tuple[str, ...] = ()
    # The question still open, asked again after the error.
    follow_up: str | None = None


@dataclass(frozen=True)
class NeedsInput:
    items: tuple[str, ...]
    follow_up: str
    # Said before the question: why it is asked ("没能把…读成一个确定的金额。").
    preface: str | None = None
    # A choice of item rather than a figure ("机器换人还是工厂物联网？").
    choosing_item: bool = False


@dataclass(frozen=True)
class Calculated:
    """At least one calculation; not eligible when none of them is."""

    items: tuple[str, ...]
    calculations: tuple[Calculation, ...]
    # Several items asked together ("两项一共多少"): the reply adds them up.
    total: bool = False

    @property
    def total_yuan(self) -> Decimal:
        """The sum of the items with a figure, one not eligible counting 0."""
        return sum((c.amount_yuan or Decimal(0) for c in self.calculations if c.eligible), Decimal(0))

    @property
    def eligible(self) -> bool:
        return any(c.eligible for c in self.calculations)


@dataclass(frozen=True)
class PolicyCheck:
    """One policy's part of the check-up."""

    doc_id: str
    in_force: bool
    report: EligibilityReport


@dataclass(frozen=True)
class CheckupReport:
    # Each policy with something to say about the enterprise, the one in force first; none until
    # the enterprise has said something.
    checks: tuple[PolicyCheck, ...] = ()


@dataclass(frozen=True)
class NotStated:
    """The policy does not answer the question; `reasons` say what it does not state."""

    foreign_place: str = ""
    reasons: tuple[str, ...] = ()
    # The clauses the reasons speak of ("what the clause does say"), cited with the reply.
    locations: tuple[ClauseRef, ...] = ()
    # The policies the reasons speak of beside those of `locations`: the reply says whether they are in force.
    policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answered:
    text: str
    citations: tuple[Citation, ...]
    # Calculations behind the answer, when the strategy ran calculators (a model's tool calls).
    calculations: tuple[Calculation, ...] = ()
    # Said beside the answer, in Simplified or English (e.g. that it is the plain answer given
    # in place of a model's); the validity warnings are added when the Reply is made.
    warnings: tuple[str, ...] = ()


CalculatorOutcome = Calculated | NeedsInput | InputError
Outcome = Refused | InputError | NeedsInput | Calculated | CheckupReport | NotStated | Answered
