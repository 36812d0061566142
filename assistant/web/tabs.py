"""The calculator, eligibility-check and policy tabs. Each calls the calculators, nothing more."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

import gradio as gr

from assistant.corpus.library import Library
from assistant.web.chat_view import ClauseIndex
from assistant.web.forms import (
    BOOL_CHOICES,
    UNKNOWN,
    FormError,
    ProfileField,
    profile_fields,
    read_inputs,
    read_profile,
)
from assistant.web.tab_views import calculation_html, eligibility_html, message_html, policy_html
from calculators import CalculatorError, MissingInputsError, check_eligibility, compute
from calculators.models import Input

log = logging.getLogger(__name__)

DEFAULT_ITEM = "robot_purchase"
MONEY_HINT = "单位：元，可写“420万”“1.2亿”“五百万元”"


def _item_label(rule) -> str:
    return f"{rule.clause.removeprefix('三、专项政策')} {rule.title}"


def _input_component(rule_id: str, spec: Input) -> gr.components.Component:
    required = "（必填）" if spec.required else ""
    if spec.kind == "money":
        default = "" if spec.default is None else str(spec.default)
        return gr.Textbox(label=f"{spec.label.zh}{required}", info=f"{spec.ask.zh} {MONEY_HINT}",
                          placeholder="例如：420万", value=default, elem_id=f"calc-{rule_id}-{spec.name}")
    if spec.kind == "bool":
        return gr.Radio(BOOL_CHOICES, value=UNKNOWN, label=f"{spec.label.zh}{required}", info=spec.ask.zh,
                        elem_id=f"calc-{rule_id}-{spec.name}")
    choices = [(c.label.zh, c.value) for c in spec.choices or []]
    if not spec.required and spec.default is None:
        choices.append((UNKNOWN, UNKNOWN))
    return gr.Dropdown(choices, value=spec.default, label=f"{spec.label.zh}{required}", info=spec.ask.zh,
                       elem_id=f"calc-{rule_id}-{spec.name}")


def calculator_tab(index: ClauseIndex, warnings: Callable[[], list[str]]) -> None:
    rules = index.rulebook.by_id
    slots: list[tuple[str, str]] = []  # (rule id, input name), one per input component below
    components: list[gr.components.Component] = []
    groups = []
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=360):
            item = gr.Dropdown([(_item_label(rule), rule.id) for rule in rules.values()], value=DEFAULT_ITEM,
                               label="补助项目（按政策“三、专项政策”条款排列）", elem_id="calc-item")
            for rule in rules.values():
                with gr.Group(visible=rule.id == DEFAULT_ITEM, elem_classes="calc-inputs") as group:
                    for spec in rule.inputs:
                        components.append(_input_component(rule.id, spec))
                        slots.append((rule.id, spec.name))
                groups.append(group)
            button = gr.Button("计算补助金额", variant="primary", elem_id="calc-run")
        with gr.Column(scale=6, min_width=360):
            result = gr.HTML(message_html("选择补助项目并填写数据后点击“计算补助金额”。金额可写“420万”等形式；"
                                          "不清楚的条件选“不确定”，结果会列出待确认事项。", "info"),
                             elem_id="calc-result", js_on_load=None)

    def show_item(item_id: str):
        return [gr.update(visible=rule_id == item_id) for rule_id in rules]

    def calculate(item_id: str, *values):
        raw = {name: value for (rule_id, name), value in zip(slots, values, strict=True) if rule_id == item_id}
        try:
            calc = compute(rules[item_id], read_inputs(rules[item_id], raw))
        except MissingInputsError as exc:
            return message_html(f"{exc}。请填写后再算。")
        except (CalculatorError, FormError) as exc:
            return message_html(str(exc))
        except Exception:
            log.exception("calculator tab failed for %s", item_id)
            return message_html("计算时出现系统错误，请稍后再试。")
        return calculation_html(calc, index, warnings())

    item.change(show_item, item, groups, api_visibility="private", queue=False)
    # Portals use POST /api/calculate; this endpoint serves the tab and stays out of the API page.
    # preprocess=False: the values arrive as sent, so the readers refuse a list as POST /api/calculate
    # does, where a Textbox would have passed on its str() (str(["1"]) was read as 1 yuan).
    button.click(calculate, [item, *components], result, api_name="calculate", api_visibility="undocumented",
                 preprocess=False)


def _profile_component(field: ProfileField) -> gr.components.Component:
    # Two fields a row at most: long Chinese labels squeezed into narrow columns wrap badly.
    common: dict[str, Any] = {"label": field.label, "elem_id": f"profile-{field.name}", "min_width": 240}
    if field.kind == "money":
        return gr.Textbox(placeholder="例如：420万（不清楚可留空）", **common)
    if field.kind == "bool":
        return gr.Radio(BOOL_CHOICES, value=UNKNOWN, **common)
    return gr.Dropdown([*field.choices, (UNKNOWN, UNKNOWN)], value=UNKNOWN, **common)


def eligibility_tab(index: ClauseIndex, warnings: Callable[[], list[str]]) -> None:
    fields = profile_fields(index.rulebook)
    components: list[gr.components.Component] = []
    gr.Markdown("填写企业已知的情况，不清楚的留空或选“不确定”。体检会列出每个相关补助项目、金额，"
                "以及每个条件是 ✓ 已满足、✗ 不满足 还是 ? 待确认。", elem_classes="tab-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=6, min_width=360):
            sections = list(dict.fromkeys(field.section for field in fields))
            for number, section in enumerate(sections):
                with gr.Accordion(section, open=number < 3):
                    with gr.Row():
                        for field in (f for f in fields if f.section == section):
                            components.append(_profile_component(field))
            button = gr.Button("开始政策体检", variant="primary", elem_id="eligibility-run")
        with gr.Column(scale=5, min_width=360):
            report = gr.HTML(message_html("填写左侧企业情况后点击“开始政策体检”。", "info"),
                             elem_id="eligibility-result", js_on_load=None)

    def run_check(*values):
        raw = {field.name: value for field, value in zip(fields, values, strict=True)}
        try:
            result = check_eligibility(index.rulebook, read_profile(index.rulebook, raw))
        except (CalculatorError, FormError) as exc:
            return message_html(str(exc))
        except ValueError as exc:  # pydantic's ValidationError: a value of the wrong type
            return message_html(f"企业情况填写有误：{exc.errors()[0]['msg'] if hasattr(exc, 'errors') else exc}")
        except Exception:
            log.exception("eligibility tab failed")
            return message_html("体检时出现系统错误，请稍后再试。")
        return eligibility_html(result, index, warnings())

    button.click(run_check, components, report, api_name="eligibility", api_visibility="undocumented",
                 preprocess=False)  # values as sent: see the calculator's button


def policy_tab(library: Library, today: Callable[[], date]) -> gr.HTML:
    return gr.HTML(policy_html(library, today()), elem_id="policy-text", js_on_load=None)
