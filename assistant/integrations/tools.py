"""The calculators and the eligibility check as LangChain tools, ready for an LLM to call.

Each tool's content is the sentence a model can repeat; its artifact carries the full
calculation and the clause it rests on, so the caller can cite without trusting the model."""

from __future__ import annotations

from typing import Any, Literal

from calculators import (CalculatorError, EnterpriseProfile, Rule, check_eligibility, compute,
                         format_yuan, load_rules)
from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, create_model

from assistant.understanding.amounts import AmountError, parse_amount

Money = float | str


def _field(rule: Rule, name: str) -> tuple[Any, Any]:
    spec = rule.input(name)
    description = f"{spec.label.zh} / {spec.label.en}"
    if spec.kind == "money":
        annotation: Any = Money
        description += "（元；也接受“300万”“1.2亿”这样的写法）"
    elif spec.kind == "bool":
        annotation = bool
    else:
        values = tuple(choice.value for choice in spec.choices or [])
        annotation = Literal[values]  # type: ignore[valid-type]
        description += "：" + "、".join(f"{c.value}={c.label.zh}" for c in spec.choices or [])
    default = ... if spec.required else None
    return (annotation if spec.required else annotation | None, Field(default, description=description))


def args_schema(rule: Rule) -> type[BaseModel]:
    fields = {name: _field(rule, name) for name in rule.input_names}
    return create_model(f"{rule.id.title().replace('_', '')}Inputs",
                        __config__=ConfigDict(extra="forbid"), **fields)


def _money_values(rule: Rule, arguments: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for name, value in arguments.items():
        if value is not None and rule.input(name).kind == "money" and isinstance(value, str):
            value = parse_amount(value)
        values[name] = value
    return values


def _calculator(rule: Rule):
    def run(**arguments: Any) -> tuple[str, dict]:
        try:
            calculation = compute(rule.id, _money_values(rule, arguments))
        except (CalculatorError, AmountError) as exc:
            raise ToolException(str(exc)) from exc
        if calculation.amount_yuan is None:
            content = f"{calculation.title}：政策未规定具体金额。{calculation.formula}"
        elif calculation.eligible:
            content = f"{calculation.title}：{calculation.formula}"
        else:
            content = f"{calculation.title}：不符合条件——{calculation.reason}"
        return content, {"calculation": calculation.model_dump(mode="json"),
                         "clause": {"location": calculation.clause, "text": calculation.quote}}

    return run


def calculator_tools() -> list[StructuredTool]:
    return [
        StructuredTool.from_function(
            func=_calculator(rule), name=rule.id, args_schema=args_schema(rule),
            description=f"{rule.title}（{rule.clause}）。{rule.title_en}. Computes the exact amount in yuan "
                        "from the policy's rule; never estimate amounts yourself.",
            response_format="content_and_artifact", handle_tool_error=True,
        )
        for rule in load_rules().values()
    ]


def _eligibility(**profile: Any) -> tuple[str, dict]:
    try:
        report = check_eligibility(EnterpriseProfile.model_validate(profile))
    except (CalculatorError, ValueError) as exc:
        raise ToolException(str(exc)) from exc
    lines = [f"{item.title}（{item.clause}）：{item.status}"
             + (f"，{format_yuan(item.calculation.amount_yuan)}" if item.calculation and item.calculation.amount_yuan
                is not None else "")
             for item in report.items]
    lines.append(f"已确认合计：{format_yuan(report.total_yuan)}；条件全部满足时最多：{format_yuan(report.possible_total_yuan)}")
    return "\n".join(lines), report.model_dump(mode="json")


def eligibility_tool() -> StructuredTool:
    return StructuredTool.from_function(
        func=_eligibility, name="eligibility_check", args_schema=EnterpriseProfile,
        description="政策体检：given what an enterprise bought, invested, was recognised as and already "
                    "received, lists every subsidy item it may qualify for with amounts and which "
                    "conditions are met, not met or still unknown.",
        response_format="content_and_artifact", handle_tool_error=True,
    )


def all_tools() -> list[StructuredTool]:
    return [*calculator_tools(), eligibility_tool()]


__all__ = ["all_tools", "args_schema", "calculator_tools", "eligibility_tool"]
