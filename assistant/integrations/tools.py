"""The calculators and the eligibility check as LangChain tools, ready for an LLM to call.

Each tool's content is the sentence a model can repeat; its artifact carries the full
calculation and the clause it rests on, so the caller can cite without trusting the model."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, create_model

from calculators import CalculatorError, EnterpriseProfile, Rule, RuleBook, check_eligibility, compute, format_yuan
from calculators.errors import validation_message

# The schemas only say what shape a model should send. The values are read inside the tool by
# the calculators' own readers (calculators.reading), so a tool accepts and refuses exactly what
# the REST form and the chat do, and a value it cannot read comes back as a ToolException.
_MONEY_SCHEMA = {"anyOf": [{"type": "number"}, {"type": "string"}]}
_YES_NO_SCHEMA = {"anyOf": [{"type": "boolean"}, {"type": "string"}]}
_MONEY_HINT = "（元；也接受“300万”“1.2亿”“三百万”这样的写法，不清楚可答“不确定”）"
_YES_NO_HINT = "（是/否；不清楚可答“不确定”）"


def _loose(schema: dict[str, Any]) -> Any:
    return Annotated[Any, WithJsonSchema(schema)]


def _field(rule: Rule, name: str) -> tuple[Any, Any]:
    spec = rule.input(name)
    description = f"{spec.label.zh} / {spec.label.en}"
    if spec.kind == "money":
        annotation, description = _loose(_MONEY_SCHEMA), description + _MONEY_HINT
    elif spec.kind == "bool":
        annotation, description = _loose(_YES_NO_SCHEMA), description + _YES_NO_HINT
    else:
        values = [choice.value for choice in spec.choices or []]
        annotation = _loose({"type": "string", "enum": values})
        description += "：" + "、".join(f"{c.value}={c.label.zh}" for c in spec.choices or [])
    return annotation, Field(... if spec.required else None, description=description)


def args_schema(rule: Rule) -> type[BaseModel]:
    fields: dict[str, Any] = {name: _field(rule, name) for name in rule.input_names}
    return create_model(f"{rule.id.title().replace('_', '')}Inputs",
                        __config__=ConfigDict(extra="forbid"), **fields)


def _schema_errors(labels: dict[str, str]) -> Callable[[ValidationError], str]:
    """Missing or unknown argument names, said in Chinese like every other refusal."""
    return lambda exc: validation_message(exc, labels)


def _calculator(rule: Rule):
    def run(**arguments: Any) -> tuple[str, dict]:
        try:
            calculation = compute(rule, arguments)
        except CalculatorError as exc:
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


def calculator_tools(rulebook: RuleBook) -> list[StructuredTool]:
    return [
        StructuredTool.from_function(
            func=_calculator(rule), name=rule.id, args_schema=args_schema(rule),
            description=f"{rule.title}（{rule.clause}）。{rule.title_en}. Computes the exact amount in yuan "
                        "from the policy's rule; never estimate amounts yourself.",
            response_format="content_and_artifact", handle_tool_error=True,
            handle_validation_error=_schema_errors({spec.name: spec.label.zh for spec in rule.inputs}),
        )
        for rule in rulebook.rules
    ]


def _profile_schema() -> type[BaseModel]:
    """EnterpriseProfile's fields, names and descriptions, with values left for its readers."""
    fields: dict[str, Any] = {}
    for name, info in EnterpriseProfile.model_fields.items():
        description = info.description or name
        if info.annotation == Decimal | None:
            annotation, description = _loose(_MONEY_SCHEMA), description + _MONEY_HINT
        elif info.annotation == bool | None:
            annotation, description = _loose(_YES_NO_SCHEMA), description + _YES_NO_HINT
        else:
            annotation = _loose({"type": "string"})
        fields[name] = (annotation, Field(None, description=description))
    return create_model("EnterpriseProfileArguments", __config__=ConfigDict(extra="forbid"), **fields)


def _eligibility(rulebook: RuleBook, profile: dict[str, Any]) -> tuple[str, dict]:
    try:
        report = check_eligibility(rulebook, profile)
    except CalculatorError as exc:
        raise ToolException(str(exc)) from exc
    lines = [f"{item.title}（{item.clause}）：{item.status}"
             + (f"，{format_yuan(item.calculation.amount_yuan)}" if item.calculation and item.calculation.amount_yuan
                is not None else "")
             for item in report.items]
    lines.append(f"已确认合计：{format_yuan(report.total_yuan)}；条件全部满足时最多：{format_yuan(report.possible_total_yuan)}")
    return "\n".join(lines), report.model_dump(mode="json")


def eligibility_tool(rulebook: RuleBook) -> StructuredTool:
    return StructuredTool.from_function(
        func=lambda **profile: _eligibility(rulebook, profile), name="eligibility_check", args_schema=_profile_schema(),
        description="政策体检：given what an enterprise bought, invested, was recognised as and already "
                    "received, lists every subsidy item it may qualify for with amounts and which "
                    "conditions are met, not met or still unknown.",
        response_format="content_and_artifact", handle_tool_error=True,
        handle_validation_error=_schema_errors(
            {name: info.description or name for name, info in EnterpriseProfile.model_fields.items()}),
    )


def all_tools(rulebook: RuleBook) -> list[StructuredTool]:
    return [*calculator_tools(rulebook), eligibility_tool(rulebook)]


__all__ = ["all_tools", "args_schema", "calculator_tools", "eligibility_tool"]
