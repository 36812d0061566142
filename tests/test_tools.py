"""The calculators and the eligibility check as LangChain tools."""

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import StructuredTool
from pydantic import ValidationError

from assistant.integrations.tools import all_tools, eligibility_tool
from tests.fuyang import RULEBOOK, load_rules


@pytest.fixture(scope="module")
def tools():
    return {tool.name: tool for tool in all_tools(RULEBOOK)}


def call(tool, args):
    message = tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args})
    assert isinstance(message, ToolMessage)
    return message


def test_one_tool_per_item_plus_the_eligibility_check(tools):
    assert set(tools) == set(load_rules()) | {"eligibility_check"}
    assert all(isinstance(tool, StructuredTool) for tool in tools.values())


def test_calculator_tool_returns_content_and_artifact_with_clause(tools):
    message = call(tools["robot_purchase"], {"robot_purchase_yuan": "420万"})
    assert "42万元" in message.content
    assert message.artifact["calculation"]["amount_yuan"] == "420000.00"
    assert message.artifact["clause"]["location"] == "三、专项政策（二）"
    assert "10%" in message.artifact["clause"]["text"]


def test_schema_comes_from_the_rules(tools):
    schema = tools["machine_replacement"].args_schema.model_json_schema()
    assert "investment_yuan" in schema["properties"] and "equipment_yuan" in schema["properties"]
    with pytest.raises(ValidationError):
        tools["robot_purchase"].args_schema.model_validate({"robot_purchase_yuan": 1, "unknown": 2})


def test_bad_amounts_become_tool_errors_not_numbers(tools):
    message = call(tools["robot_purchase"], {"robot_purchase_yuan": "-5万"})
    assert message.status == "error" or "金额" in message.content
    assert message.artifact is None


def test_eligibility_tool_lists_items_with_conditions():
    message = call(eligibility_tool(RULEBOOK), {"robot_purchase_yuan": "300万", "iot_investment_yuan": "60万"})
    items = {item["item"]: item for item in message.artifact["items"]}
    assert {"robot_purchase", "factory_iot"} <= set(items)
    assert "30万元" in message.content
