"""What forms and REST bodies send, turned into what the calculators take.

The calculators own every rule about values (which amounts may be 0, which choices
exist) and the readers for money and yes/no (calculators.reading), so a form, a REST body,
an LLM tool and the chat read "300万", "五百万元", "是" or "不确定" the same way. This module
adds the field's label to what cannot be read, and reads a choice by its label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from calculators import (
    AmountError,
    CalculatorError,
    EnterpriseProfile,
    Input,
    Rule,
    RuleBook,
    YesNoError,
    read_yes_no,
    read_yuan,
)
from calculators.profile import GENERAL_FIELDS, build_profile
from calculators.reading import is_unknown

UNKNOWN = "不确定"
YES, NO = "是", "否"
BOOL_CHOICES = [YES, NO, UNKNOWN]
GENERAL_SECTION = "企业基本情况"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class FormError(ValueError):
    """A value a person typed that cannot be read; the message is Chinese, for them."""


def read_money(value: Any) -> Decimal | None:
    """Yuan from a number or from text in any form people write amounts in; None if not known.

    0 passes: whether an input may be 0 is the calculators' call, made per input."""
    try:
        return read_yuan(value, allow_zero=True)
    except AmountError as exc:
        raise FormError(str(exc)) from exc


def read_yes(value: Any) -> bool | None:
    """是 / 否 (or yes, 有, 没有 …) as bool; None for 不确定 or blank."""
    try:
        return read_yes_no(value)
    except YesNoError as exc:
        raise FormError(str(exc)) from exc


def _read(kind: str, label: str, value: Any) -> Any:
    """One value by its field's kind. Money and yes/no go to their readers as sent (a list is
    refused there, never read as the text "[1]"); a choice is one value, never a list or an object."""
    if isinstance(value, str) and _LONE_SURROGATE.search(value):
        raise FormError(f"{label}：含有无效字符")
    try:
        if kind == "money":
            return read_money(value)
        if kind == "bool":
            return read_yes(value)
    except FormError as exc:
        raise FormError(f"{label}：{exc}") from exc
    if isinstance(value, (list, dict)):
        raise FormError(f"{label}：应填写一个选项，收到的是{'列表' if isinstance(value, list) else '对象'}")
    return None if is_unknown(value) else value


def read_value(spec: Input, value: Any) -> Any:
    """One input's value, or None when the person left it open."""
    return _read(spec.kind, spec.label.zh, value)


def read_inputs(rule: Rule, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Calculator inputs for `rule`; unknown names are left for the calculator to reject."""
    if not isinstance(raw, Mapping):
        raise FormError("inputs 应为“名称: 值”的对象")
    known = set(rule.input_names)
    return {name: read_value(rule.input(name), value) if name in known else value
            for name, value in raw.items()}


def input_description(spec: Input) -> dict[str, Any]:
    return {
        "name": spec.name, "label": spec.label.zh, "label_en": spec.label.en,
        "unit": spec.unit, "kind": spec.kind, "required": spec.required,
        "default": float(spec.default) if isinstance(spec.default, Decimal) else spec.default,
        "choices": [{"value": c.value, "label": c.label.zh, "label_en": c.label.en}
                    for c in spec.choices or []] or None,
        "ask": spec.ask.zh,
    }


def items_catalog(rulebook: RuleBook) -> list[dict[str, Any]]:
    return [{"item": rule.id, "doc_id": rule.doc_id, "title": rule.title, "title_en": rule.title_en,
             "clause": rule.clause, "calculation": rule.calculation, "quote": rule.quote,
             "inputs": [input_description(spec) for spec in rule.inputs]}
            for rule in rulebook.rules]


@dataclass(frozen=True)
class ProfileField:
    name: str
    kind: str  # bool | money | choice
    label: str
    section: str
    choices: tuple[tuple[str, str], ...] = ()  # (label, value)


def _linked_input(rulebook: RuleBook, field: str) -> tuple[str, Input] | None:
    """The calculator input a profile field feeds, with its clause. A field may feed it
    through a derived property (effective_<field>)."""
    for rule in rulebook.rules:
        for spec in rule.inputs:
            if spec.profile_field in {field, f"effective_{field}"}:
                return rule.clause, spec
    return None


def profile_fields(rulebook: RuleBook) -> list[ProfileField]:
    """Every EnterpriseProfile field as a form field, general facts first, then by clause."""
    fields = []
    for name, info in EnterpriseProfile.model_fields.items():
        linked = _linked_input(rulebook, name)
        section = GENERAL_SECTION if name in GENERAL_FIELDS or not linked else linked[0]
        choices: tuple[tuple[str, str], ...]
        if name.endswith("_yuan"):
            kind, choices = "money", ()
        elif info.annotation == bool | None:
            kind, choices = "bool", ()
        else:
            kind = "choice"
            spec = linked[1] if linked else None
            choices = tuple((c.label.zh, c.value) for c in (spec.choices if spec else None) or [])
        fields.append(ProfileField(name, kind, info.description or name, section, choices))
    clause_order = [GENERAL_SECTION] + list(dict.fromkeys(rule.clause for rule in rulebook.rules))
    return sorted(fields, key=lambda f: clause_order.index(f.section))


def read_profile(rulebook: RuleBook, raw: Mapping[str, Any]) -> EnterpriseProfile:
    """An EnterpriseProfile from form or JSON values; labels, 是/否 and 不确定 are accepted."""
    if not isinstance(raw, Mapping):
        raise FormError("企业情况应为“字段: 值”的对象")
    by_name = {field.name: field for field in profile_fields(rulebook)}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        field = by_name.get(name)
        if field is None:
            raise FormError(f"企业情况没有名为“{name}”的字段")
        value = _read(field.kind, field.label, value)
        if value is not None and field.kind == "choice":
            value = dict(field.choices).get(str(value).strip(), value)
        if value is not None:
            values[name] = value
    try:
        return build_profile(values)
    except CalculatorError as exc:
        raise FormError(str(exc)) from exc
