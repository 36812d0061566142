"""Errors raised by the calculators; every message is Chinese so the chat can show it as is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Input


class CalculatorError(ValueError):
    """Invalid request: unknown item or input, bad amount or choice, inconsistent parts.

    Subclasses ValueError so that pydantic validators calling the money parser turn it
    into an ordinary ValidationError.
    """


class MissingInputsError(CalculatorError):
    """`compute` was called without a required input; `missing` lists them in asking order."""

    def __init__(self, item_id: str, missing: list[Input]):
        self.item_id = item_id
        self.missing = missing
        labels = "、".join(f"“{item.label.zh}”" for item in missing)
        super().__init__(f"缺少必填信息：{labels}")
