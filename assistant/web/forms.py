"""What forms and REST bodies send, turned into what the calculators take.

The calculators own every rule about values (which amounts may be 0, which choices
exist); this module only reads the ways people write them: money as "300万", "1.2亿" or
"五百万元", yes/no as 是/否, a choice by its label, and "不确定" or blank for "not known".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from calculators import CalculatorError, EnterpriseProfile, Input, get_rule, load_rules, parse_yuan
from calculators.profile import GENERAL_FIELDS

from assistant.understanding.amounts import AmountError, parse_amount

UNKNOWN = "不确定"
YES, NO = "是", "否"
BOOL_CHOICES = [YES, NO, UNKNOWN]
GENERAL_SECTION = "企业基本情况"


class FormError(ValueError):
    """A value a person typed that cannot be read; the message is Chinese, for them."""


def read_money(value: Any) -> Decimal | None:
    """Yuan from a number or from text in any form people write amounts in."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise FormError(f"金额格式无法识别：{value!r}")
    if isinstance(value, (int, float, Decimal)):
        return parse_yuan(value)
    text = str(value).strip()
    if not text or text == UNKNOWN:
        return None
    try:
        return parse_amount(text)
    except AmountError as exc:
        # parse_amount wants a positive amount; zero ("此前已获0元") and signs are the
        # calculators' call, made per input, so pass those on when the text is a plain number.
        try:
            return parse_yuan(text)
        except CalculatorError:
            raise FormError(str(exc)) from exc


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in {"", UNKNOWN})


def read_value(spec: Input, value: Any) -> Any:
    """One input's value, or None when the person left it open."""
    if _blank(value):
        return None
    if spec.kind == "money":
        try:
            return read_money(value)
        except FormError as exc:
            raise FormError(f"{spec.label.zh}：{exc}") from exc
    return value


def read_inputs(item_id: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Calculator inputs for `item_id`; unknown names are left for the calculator to reject."""
    if not isinstance(raw, Mapping):
        raise FormError("inputs 应为“名称: 值”的对象")
    rule = get_rule(item_id)
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


def items_catalog() -> list[dict[str, Any]]:
    return [{"item": rule.id, "title": rule.title, "title_en": rule.title_en, "clause": rule.clause,
             "calculation": rule.calculation, "quote": rule.quote,
             "inputs": [input_description(spec) for spec in rule.inputs]}
            for rule in load_rules().values()]


@dataclass(frozen=True)
class ProfileField:
    name: str
    kind: str  # bool | money | choice
    label: str
    section: str
    choices: tuple[tuple[str, str], ...] = ()  # (label, value)


def _linked_input(field: str) -> tuple[str, Input] | None:
    """The calculator input a profile field feeds, with its clause. A field may feed it
    through a derived property (effective_<field>)."""
    for rule in load_rules().values():
        for spec in rule.inputs:
            if spec.profile_field in {field, f"effective_{field}"}:
                return rule.clause, spec
    return None


def profile_fields() -> list[ProfileField]:
    """Every EnterpriseProfile field as a form field, general facts first, then by clause."""
    fields = []
    for name, info in EnterpriseProfile.model_fields.items():
        linked = _linked_input(name)
        section = GENERAL_SECTION if name in GENERAL_FIELDS or not linked else linked[0]
        if name.endswith("_yuan"):
            kind, choices = "money", ()
        elif info.annotation == bool | None:
            kind, choices = "bool", ()
        else:
            kind = "choice"
            spec = linked[1] if linked else None
            choices = tuple((c.label.zh, c.value) for c in (spec.choices if spec else None) or [])
        fields.append(ProfileField(name, kind, info.description or name, section, choices))
    clause_order = [GENERAL_SECTION] + list(dict.fromkeys(rule.clause for rule in load_rules().values()))
    return sorted(fields, key=lambda f: clause_order.index(f.section))


def read_profile(raw: Mapping[str, Any]) -> EnterpriseProfile:
    """An EnterpriseProfile from form or JSON values; labels and 是/否 are accepted."""
    if not isinstance(raw, Mapping):
        raise FormError("企业情况应为“字段: 值”的对象")
    by_name = {field.name: field for field in profile_fields()}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        field = by_name.get(name)
        if field is None:
            raise FormError(f"企业情况没有名为“{name}”的字段")
        if _blank(value):
            continue
        if field.kind == "money":
            try:
                values[name] = read_money(value)
            except FormError as exc:
                raise FormError(f"{field.label}：{exc}") from exc
        elif field.kind == "bool" and isinstance(value, str):
            if value.strip() not in {YES, NO}:
                raise FormError(f"{field.label}：请填“是”“否”或“不确定”")
            values[name] = value.strip() == YES
        elif field.kind == "choice":
            labels = dict(field.choices)
            values[name] = labels.get(str(value).strip(), value)
        else:
            values[name] = value
    return EnterpriseProfile.model_validate(values)
