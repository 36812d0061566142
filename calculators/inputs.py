"""Turning what a user (or the chat layer) supplied into clean values, and saying what is missing.

A value of None counts as "not supplied", so the chat layer can pass every slot it tracks;
so does a value that reads as unknown ("不确定", "not sure", blank). Money and yes/no are read
by calculators.reading, the readers every entry point shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import CalculatorError
from .models import Input, Rule
from .money import format_yuan
from .reading import AmountError, YesNoError, is_unknown, read_yes_no, read_yuan


def normalize_inputs(rule: Rule, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Validate every supplied input of `rule` and return them in the rule's input order.

    Money becomes Decimal yuan, bools become bool, choices become their value; a value
    read as unknown is left out like None. When all parts of a summed base are given
    (equipment + software), the base is derived from them; when the base is given as
    well, the parts must add up to it.
    """
    if not isinstance(inputs, Mapping):
        raise CalculatorError("输入应为“名称: 值”的键值对")
    supplied: dict[str, Any] = {}
    for name, raw in inputs.items():
        if name not in rule.input_names:
            known = "、".join(rule.input_names) or "无"
            raise CalculatorError(f"“{rule.title}”没有名为“{name}”的输入项（可用：{known}）")
        value = normalize_value(rule.input(name), raw)
        if value is not None:
            supplied[name] = value
    _reconcile_parts(rule, supplied)
    return {name: supplied[name] for name in rule.input_names if name in supplied}


def normalize_value(spec: Input, raw: Any) -> Any:
    """The clean value of one input, or None when it is not given or not known."""
    if raw is None:
        return None
    if spec.kind == "money":
        return _money(spec, raw)
    if spec.kind == "bool":
        return _yes_no(spec, raw)
    return _choice(spec, raw)


def _money(spec: Input, raw: Any) -> Decimal | None:
    try:
        return read_yuan(raw, allow_zero=spec.allow_zero)
    except AmountError as exc:
        raise AmountError(f"{spec.label.zh}：{exc.message}", f"{spec.label.en}: {exc.message_en}") from exc


def _yes_no(spec: Input, raw: Any) -> bool | None:
    try:
        return read_yes_no(raw)
    except YesNoError as exc:
        raise YesNoError(f"{spec.label.zh}：{exc}") from exc


def _choice(spec: Input, raw: Any) -> str | None:
    if is_unknown(raw):
        return None
    if isinstance(raw, str):
        wanted = raw.strip()
        for choice in spec.choices or []:
            names = {choice.value, choice.label.zh, *choice.aliases}
            if wanted in names or wanted.lower() == choice.label.en.lower():
                return choice.value
    options = "、".join(choice.label.zh for choice in spec.choices or [])
    raise CalculatorError(f"{spec.label.zh}：取值“{raw}”无效（可选：{options}）")


def _reconcile_parts(rule: Rule, supplied: dict[str, Any]) -> None:
    base = rule.base
    if base is None or not base.parts:
        return
    given = [part for part in base.parts if part in supplied]
    if not given:
        return
    part_sum = sum((supplied[part] for part in given), Decimal(0))
    names = " + ".join(rule.input(part).label.zh for part in given)
    base_label = rule.input(base.input).label.zh
    if base.input in supplied:
        total = supplied[base.input]
        if len(given) == len(base.parts) and part_sum != total:
            raise CalculatorError(
                f"{names}之和（{format_yuan(part_sum)}）与{base_label}（{format_yuan(total)}）不一致",
                code="parts_mismatch",
            )
        if part_sum > total:
            raise CalculatorError(
                f"{names}（{format_yuan(part_sum)}）超过了{base_label}（{format_yuan(total)}）",
                code="parts_mismatch",
            )
    elif len(given) == len(base.parts):
        if part_sum == 0:
            raise CalculatorError(f"{base_label}：金额必须大于0")
        supplied[base.input] = part_sum


def missing_required(rule: Rule, supplied: Mapping[str, Any]) -> list[Input]:
    """Required inputs not supplied, in the order to ask them.

    A summed base counts as supplied once all its parts are. When only some parts are
    known, ask for the remaining parts rather than for the total.
    """
    missing: list[Input] = []
    for spec in rule.inputs:
        if not spec.required or spec.name in supplied:
            continue
        base = rule.base
        if (base is not None and spec.name == base.input and base.parts
                and any(part in supplied for part in base.parts)):
            missing.extend(rule.input(part) for part in base.parts if part not in supplied)
            continue
        missing.append(spec)
    return missing


def with_defaults(rule: Rule, supplied: Mapping[str, Any]) -> tuple[dict[str, Any], list[Input]]:
    """Supplied values plus defaults of the optional inputs not supplied.

    Also returns the inputs that fell back to a default, so the caller can say so.
    """
    values = dict(supplied)
    defaulted: list[Input] = []
    for spec in rule.inputs:
        if spec.name not in values and spec.default is not None:
            values[spec.name] = spec.default
            defaulted.append(spec)
    return {name: values[name] for name in rule.input_names if name in values}, defaulted


def describe_value(spec: Input, value: Any) -> str:
    """A value as a person reads it: 80万元, 是, 市级“智能工厂”."""
    if spec.kind == "money":
        return format_yuan(value)
    if spec.kind == "bool":
        return "是" if value else "否"
    return spec.choice(value).label.zh
