"""Errors raised by the calculators; every message is Chinese so the chat can show it as is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from pydantic import ValidationError


class _Label(Protocol):
    @property
    def zh(self) -> str: ...


class _Input(Protocol):
    """What an error says of a missing input (models.Input has it): its name and label."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> _Label: ...


class CalculatorError(ValueError):
    """Invalid request: unknown item or input, bad amount or choice, inconsistent parts.

    Subclasses ValueError so that pydantic validators calling the money parser turn it
    into an ordinary ValidationError. `code` names the kind of problem for API clients.
    """

    code = "invalid_input"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class MissingInputsError(CalculatorError):
    """`compute` was called without a required input; `missing` lists them in asking order."""

    code = "missing_inputs"

    def __init__(self, item_id: str, missing: Sequence[_Input]):
        self.item_id = item_id
        self.missing = missing
        labels = "、".join(f"“{item.label.zh}”" for item in missing)
        super().__init__(f"缺少必填信息：{labels}")


def validation_message(exc: ValidationError, labels: Mapping[str, str]) -> str:
    """What pydantic found wrong, in Chinese, each field named by its label.

    A reader's own message (read_yuan, read_yes_no) is kept as is; pydantic's English one
    is only a fallback for values of the wrong shape.
    """
    parts = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        label = labels.get(name, name)
        cause = (error.get("ctx") or {}).get("error")
        if error["type"] == "extra_forbidden":
            parts.append(f"没有名为“{name}”的输入项")
        elif error["type"] == "missing":
            parts.append(f"缺少必填信息：“{label}”")
        elif isinstance(cause, ValueError):
            parts.append(f"{label}：{cause}")
        else:
            parts.append(f"{label}：取值无效（{error['msg']}）")
    return "；".join(parts)
