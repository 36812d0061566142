"""Hostile and random input against a live server: every bad body is a 4xx in the documented
error shape, never a 5xx, and the kept-alive connection it came on keeps working."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.fuyang import load_rules
from tests.live_server import BrokenAssistant, server_settings, start_server

# Enough to find what a type confusion or an encoding slip does, quick enough for the fast tier.
FUZZ = hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENDPOINTS = ["/api/chat", "/api/calculate", "/api/eligibility", "/api/feedback", "/api/items", "/api/no-such-thing",
             "/api/chat/extra", "/api/%ED%A0%80"]
CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "application/problem+json", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/xml"]
DEEP = 10_000  # nesting of the deepest body sent: far past the parser's recursion limit
SIXTY_DIGITS = "9" * 60 + "亿"


@pytest.fixture(scope="module")
def live(assistant, settings, tmp_path_factory):
    server = start_server(assistant, server_settings(settings, tmp_path_factory.mktemp("hostile")))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(live):
    with httpx.Client(base_url=live.url, timeout=60) as session:
        yield session


def local_port(response: httpx.Response) -> int:
    """The client side port of the connection a response came on: a new port means a new connection."""
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def check(client: httpx.Client, response: httpx.Response) -> None:
    """The one rule: no 5xx; a 4xx in the error shape; the connection still answers."""
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["message"], str) and error["message"].strip()
        assert "Traceback" not in response.text
    still_connected(client, response)


def still_connected(client: httpx.Client, response: httpx.Response) -> None:
    after = client.get("/api/health")
    assert after.status_code == 200
    assert local_port(after) == local_port(response), "the kept-alive connection was dropped"


def post(client: httpx.Client, path: str, body: bytes, content_type: str = "application/json") -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return client.post(path, content=body, headers=headers)


# ---- values ---------------------------------------------------------------------------------

lone_surrogates = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
hostile_text = st.one_of(
    st.text(max_size=40),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=5), lone_surrogates, st.text(max_size=5)),
    st.sampled_from([SIXTY_DIGITS, "1" + "0" * 27 + "元", "1e300", "NaN", "Infinity", "-1", "420万", "是", "不确定",
                     "[1]", "{'a': 1}", "\x00", "<script>alert(1)</script>", "robot_purchase"]),
)
hostile_numbers = st.one_of(
    st.integers(), st.integers(min_value=10**20, max_value=10**60), st.just(10**27),
    st.floats(allow_nan=True, allow_infinity=True), st.just(1e300), st.just(-1e300),
)
leaves = st.one_of(st.none(), st.booleans(), hostile_numbers, hostile_text)
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(hostile_text, inner, max_size=3)),
                      max_leaves=8)


# Each endpoint's fields, plus one no endpoint has.
FIELDS = {
    "/api/chat": ["message", "session", "id"],
    "/api/calculate": ["item", "inputs"],
    "/api/eligibility": ["profile"],
    "/api/feedback": ["question", "rating", "comment", "status", "citations", "session"],
}


def fields_of(path: str) -> list[str]:
    return [*FIELDS[path], "unexpected"]


@st.composite
def shaped_bodies(draw) -> tuple[str, Any]:
    """A body of one endpoint's shape with a hostile value in any of its fields (and inside
    `inputs` and `profile`, under names the calculators know)."""
    path = draw(st.sampled_from(ENDPOINTS[:4]))
    body: dict[str, Any] = {"message": "机器人补贴多少", "item": "robot_purchase", "inputs": {}, "profile": {},
                            "question": "q", "rating": "up"}
    body = {key: value for key, value in body.items() if key in fields_of(path)}
    for name in draw(st.lists(st.sampled_from(fields_of(path)), min_size=1, max_size=3)):
        body[name] = draw(values)
    if path in ("/api/calculate", "/api/eligibility") and draw(st.booleans()):
        rule = load_rules()["robot_purchase"]
        name = draw(st.sampled_from([*rule.input_names, "is_sme", "future_factory_level", "no_such_field"]))
        body["inputs" if path == "/api/calculate" else "profile"] = {name: draw(values)}
    return path, body


def encode(value: Any, how: str) -> bytes:
    """JSON text the way a careless client might send it: escaped, raw UTF-8 (lone surrogates
    as the invalid bytes they would be), or UTF-16."""
    text = json.dumps(value, ensure_ascii=how == "escaped", allow_nan=True)
    if how == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    return text.encode("utf-8", "surrogatepass")


# ---- the fuzz tests -------------------------------------------------------------------------

@FUZZ
@given(request=shaped_bodies(), how=st.sampled_from(["escaped", "raw", "raw", "utf-16"]))
def test_any_field_of_any_type_is_never_a_server_error(client, request, how):
    path, body = request
    check(client, post(client, path, encode(body, how)))


raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda v: json.dumps(v, allow_nan=True).encode("utf-8", "surrogatepass"), values),
    st.integers(min_value=1, max_value=DEEP).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=DEEP).map(lambda n: b'{"message":' * n + b'"x"' + b"}" * n),
    st.sampled_from([b"", b"null", b"{}", b"[]", b'"message"', b"1e400", b"-" + b"9" * 5000, b"NaN", b"{,}",
                     b'{"message": "a", "message": "b"}', b'{"message": "\\ud800"}', b'{"message": "\\udfff\\ud800"}',
                     b'{"message": "\xed\xa0\x80"}', b'{"message": "\xff\xfe"}', b"\xef\xbb\xbf{}",
                     b'{"profile": {"robot_purchase_yuan": 1e300}}', b'{"item": "robot_purchase", "inputs": '
                     b'{"robot_purchase_yuan": ' + b"1" + b"0" * 27 + b"}}"]),
)


@FUZZ
@given(path=st.sampled_from(ENDPOINTS), body=raw_bodies, content_type=st.sampled_from(CONTENT_TYPES))
def test_any_bytes_to_any_endpoint_are_never_a_server_error(client, path, body, content_type):
    check(client, post(client, path, body, content_type))


# ---- the cases seen, one by one -------------------------------------------------------------

ROBOT = {"item": "robot_purchase", "inputs": {"robot_purchase_yuan": "420万"}}


@pytest.mark.parametrize("path, body, status, code", [
    ("/api/chat", b'{"message": "\\ud800"}', 400, "invalid_json"),
    ("/api/chat", b'{"message": "\xed\xa0\x80"}', 400, "invalid_json"),
    ("/api/chat", b'{"message": "\xff\xfe"}', 400, "invalid_json"),
    ("/api/calculate", b'{"item": "\\ud800", "inputs": {}}', 400, "invalid_json"),
    ("/api/feedback", b'{"question": "q", "rating": "up", "citations": [{"doc_id": "\\udc00", "location": "x", '
                      b'"text": "y", "source": "s"}]}', 400, "invalid_json"),
    ("/api/calculate", json.dumps({"item": "robot_purchase", "inputs": {"robot_purchase_yuan": 10**27}}).encode(),
     400, "invalid_input"),
    ("/api/calculate", json.dumps({"item": "robot_purchase", "inputs": {"robot_purchase_yuan": SIXTY_DIGITS}},
                                  ensure_ascii=False).encode(), 400, "invalid_input"),
    ("/api/eligibility", b'{"profile": {"robot_purchase_yuan": 1e300}}', 400, "invalid_input"),
    ("/api/eligibility", b'{"profile": {"robot_purchase_yuan": 1e400}}', 400, "invalid_json"),
    ("/api/calculate", b'{"item": "robot_purchase", "inputs": {"robot_purchase_yuan": NaN}}', 400, "invalid_json"),
    ("/api/calculate", b'{"item": "robot_purchase", "inputs": {"robot_purchase_yuan": [1]}}', 400, "invalid_input"),
    ("/api/calculate", b'{"item": "robot_purchase", "inputs": {"robot_purchase_yuan": ["420\xe4\xb8\x87"]}}',
     400, "invalid_input"),
    ("/api/calculate", b'{"item": "robot_purchase", "inputs": {"robot_purchase_yuan": {"a": 1}}}',
     400, "invalid_input"),
    ("/api/calculate", b'{"item": "robot_purchase", "inputs": {"robot_purchase_yuan": true}}', 400, "invalid_input"),
    ("/api/eligibility", b'{"profile": {"future_factory_level": [1]}}', 400, "invalid_input"),
    ("/api/chat", b"[" * DEEP + b"]" * DEEP, 400, "invalid_json"),
    ("/api/chat", b'{"message": "a", "message": "b"}', 400, "invalid_json"),
    ("/api/chat", b"", 400, "invalid_request"),
])
def test_each_hostile_body_seen_is_a_4xx_with_its_code(client, path, body, status, code):
    response = post(client, path, body)
    check(client, response)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text


@pytest.mark.parametrize("content_type, status, code", [
    ("text/plain", 415, "unsupported_media_type"), ("", 415, "unsupported_media_type"),
    ("application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("multipart/form-data; boundary=x", 403, "uploads_disabled"),
])
def test_a_body_not_declared_json_is_refused(client, content_type, status, code):
    response = post(client, "/api/calculate", json.dumps(ROBOT).encode(), content_type)
    check(client, response)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_strict_json_still_takes_what_json_allows(client):
    emoji = client.post("/api/chat", content='{"message": "机器人补贴多少\\ud83d\\ude00"}'.encode(),
                        headers={"content-type": "application/json; charset=utf-8"})
    assert emoji.status_code == 200, emoji.text
    calc = post(client, "/api/calculate", b"\xef\xbb\xbf" + json.dumps(ROBOT).encode())
    assert calc.status_code == 200 and math.isclose(calc.json()["inputs"]["robot_purchase_yuan"], 4_200_000)


def test_an_unexpected_error_is_a_500_that_keeps_the_connection(assistant, settings, tmp_path_factory):
    server = start_server(BrokenAssistant(assistant), server_settings(settings, tmp_path_factory.mktemp("broken-500")))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            response = client.post("/api/chat", json={"message": "机器人补贴"})
            assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
            assert BrokenAssistant.SECRET not in response.text
            still_connected(client, response)
    finally:
        server.stop()


def calculator_tab_result(client: httpx.Client, money: Any) -> str:
    """The calculator tab's event through Gradio's HTTP API, the money box filled with `money`."""
    config = client.get("/config").json()
    event = next(d for d in config["dependencies"] if d.get("api_name") == "calculate")
    components = {c["id"]: c.get("props", {}) for c in config["components"]}
    data = []
    for component in event["inputs"]:
        elem = components[component].get("elem_id")
        data.append("robot_purchase" if elem == "calc-item" else
                    money if elem == "calc-robot_purchase-robot_purchase_yuan" else components[component].get("value"))
    event_id = client.post("/gradio_api/call/calculate", json={"data": data}).json()["event_id"]
    stream = client.get(f"/gradio_api/call/calculate/{event_id}").text
    return json.loads(stream.split("data:", 1)[1].strip().splitlines()[0])[0]


@pytest.mark.parametrize("money", [["1"], {"a": 1}, [1]])
def test_the_calculator_tab_refuses_a_list_or_object_for_money(client, money):
    shown = calculator_tab_result(client, money)
    assert "notice-error" in shown and "可补助" not in shown, shown
    assert "可补助" in calculator_tab_result(client, "420万")
