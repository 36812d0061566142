"""The portal REST API against live servers: every endpoint, every error code, CORS and the
file routes. Expected figures come from the calculators, never from constants here."""

from __future__ import annotations

import http.client
import threading
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest

from assistant.storage.sqlite_feedback import SqliteFeedbackStore
from tests.fuyang import check_eligibility, compute, load_rules
from tests.live_server import BrokenAssistant, GatedAssistant, server_settings, start_server

PORTAL = "https://portal.example.gov.cn"
ROBOT_QUESTION = "我们买了工业机器人，花了420万，补贴多少"


@pytest.fixture(scope="module")
def live(assistant, settings, tmp_path_factory):
    web = server_settings(settings, tmp_path_factory.mktemp("api"), cors_origins=[PORTAL],
                          max_request_bytes=32 * 1024)
    server = start_server(assistant, web)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(live):
    with httpx.Client(base_url=live.url, timeout=60) as session:
        yield session


def expect_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"].strip()
    assert "Traceback" not in response.text
    return body["error"]


def test_health(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["documents"] and body["documents"][0]["in_force"] is False


def test_chat_answers_with_citations_and_the_expiry_warning(client):
    reply = client.post("/api/chat", json={"message": "工业机器人购置补贴标准是什么？", "id": "q-1"}).json()
    assert reply["status"] == "answered"
    assert reply["id"] == "q-1"
    assert reply["citations"] and reply["citations"][0]["location"] == "三、专项政策（二）"
    assert reply["warnings"], "the policy expired on 2025-12-31, so the reply must warn"


def test_chat_session_carries_a_follow_up(client):
    first = client.post("/api/chat", json={"message": "机器人购置补贴怎么算"}).json()
    second = client.post("/api/chat", json={"session": first["session"], "message": "420万"}).json()
    assert second["session"] == first["session"]


def test_chat_calculator_question_returns_the_amount(client):
    expected = float(compute("robot_purchase", {"robot_purchase_yuan": Decimal(4_200_000)}).amount_yuan)
    reply = client.post("/api/chat", json={"message": ROBOT_QUESTION}).json()
    assert reply["status"] == "calculated", reply["answer"]
    assert expected in [c["amount_yuan"] for c in reply["calculations"]]


@pytest.mark.parametrize("message", ["", "   \n "])
def test_chat_empty_message_is_400(client, message):
    error = expect_error(client.post("/api/chat", json={"message": message}), 400, "empty_message")
    assert error["reply"]["status"] == "error"


def test_chat_too_long_message_is_413(client, assistant):
    message = "机" * (assistant.settings.max_message_chars + 1)
    error = expect_error(client.post("/api/chat", json={"message": message}), 413, "message_too_long")
    assert str(assistant.settings.max_message_chars) in error["message"]


@pytest.mark.parametrize("body, code", [
    (b"{not json", "invalid_json"),
    (b'{"session": "s"}', "invalid_request"),
    (b'{"message": 42}', "invalid_request"),
    (b"[]", "invalid_request"),
])
def test_chat_bad_body_is_400(client, body, code):
    response = client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    expect_error(response, 400, code)


def test_items_list_every_rule_with_its_inputs(client):
    items = client.get("/api/items").json()["items"]
    rules = load_rules()
    assert [item["item"] for item in items] == list(rules)
    robot = next(item for item in items if item["item"] == "robot_purchase")
    spec = rules["robot_purchase"].input("robot_purchase_yuan")
    described = next(i for i in robot["inputs"] if i["name"] == spec.name)
    assert described | {"label": spec.label.zh, "unit": "yuan", "kind": "money", "required": True} == described
    recognition = next(it for it in items if it["item"] == "future_factory_recognition")
    level = next(i for i in recognition["inputs"] if i["name"] == "level")
    assert level["kind"] == "choice"
    assert [c["value"] for c in level["choices"]] == rules["future_factory_recognition"].input("level").choice_values


@pytest.mark.parametrize("typed, yuan", [("420万", 4_200_000), ("五百萬元", 5_000_000), ("1.2亿", 120_000_000),
                                         (3_000_000, 3_000_000), ("3,000,000元", 3_000_000)])
def test_calculate_reads_amounts_as_people_write_them(client, typed, yuan):
    expected = compute("robot_purchase", {"robot_purchase_yuan": Decimal(yuan)})
    calc = client.post("/api/calculate", json={"item": "robot_purchase",
                                               "inputs": {"robot_purchase_yuan": typed}}).json()
    assert calc["amount_yuan"] == float(expected.amount_yuan)
    assert calc["inputs"]["robot_purchase_yuan"] == yuan
    assert calc["formula"] == expected.formula and calc["clause"] == expected.clause


def test_calculate_condition_answered_no_is_not_eligible(client):
    calc = client.post("/api/calculate", json={"item": "robot_purchase", "inputs": {
        "robot_purchase_yuan": "420万", "meets_gb_t_12643": "否"}}).json()
    assert calc["eligible"] is False and calc["amount_yuan"] == 0 and calc["reason"]


def test_calculate_unknown_item_is_404(client):
    expect_error(client.post("/api/calculate", json={"item": "free_money", "inputs": {}}), 404, "unknown_item")


def test_calculate_missing_input_is_400_and_names_it(client):
    error = expect_error(client.post("/api/calculate", json={"item": "robot_purchase", "inputs": {}}),
                         400, "missing_inputs")
    assert error["missing"] == ["robot_purchase_yuan"]


@pytest.mark.parametrize("inputs", [{"robot_purchase_yuan": "很多钱"}, {"robot_purchase_yuan": -5},
                                    {"no_such_input": 1}, {"robot_purchase_yuan": True}])
def test_calculate_bad_input_is_400(client, inputs):
    expect_error(client.post("/api/calculate", json={"item": "robot_purchase", "inputs": inputs}),
                 400, "invalid_input")


def test_eligibility_reports_items_amounts_and_conditions(client):
    profile = {"robot_purchase_yuan": "420万", "future_factory_level": "市级“智能工厂”", "is_sme": "是"}
    expected = check_eligibility({"robot_purchase_yuan": Decimal(4_200_000),
                                  "future_factory_level": "city_smart_factory", "is_sme": True})
    report = client.post("/api/eligibility", json={"profile": profile}).json()
    assert [i["item"] for i in report["items"]] == [i.item for i in expected.items]
    assert report["possible_total_yuan"] == float(expected.possible_total_yuan)
    robot = next(i for i in report["items"] if i["item"] == "robot_purchase")
    assert {c["state"] for c in robot["conditions"]} <= {"met", "not_met", "unknown"}
    assert robot["calculation"]["amount_yuan"] == float(
        next(i for i in expected.items if i.item == "robot_purchase").calculation.amount_yuan)


@pytest.mark.parametrize("profile", [{"no_such_field": 1}, {"robot_purchase_yuan": "不知道多少"},
                                     {"is_sme": "也许"}])
def test_eligibility_bad_profile_is_400(client, profile):
    expect_error(client.post("/api/eligibility", json={"profile": profile}), 400, "invalid_input")


def test_feedback_is_stored_with_personal_numbers_masked(client, live):
    reply = client.post("/api/chat", json={"message": "工业机器人购置补贴标准是什么？"}).json()
    response = client.post("/api/feedback", json={
        "session": reply["session"], "question": "我电话13812345678，机器人补贴多少？", "status": reply["status"],
        "citations": reply["citations"], "rating": "down", "comment": "身份证330183199001011234 说得不清楚"})
    assert response.status_code == 201
    stored = SqliteFeedbackStore(live.settings.feedback_db_path, mask=True).get(response.json()["id"])
    assert "13812345678" not in stored["question"] and "机器人补贴多少" in stored["question"]
    assert "330183199001011234" not in stored["comment"]
    assert stored["status"] == "answered" and stored["rating"] == "down"
    assert stored["citations"][0]["location"] == reply["citations"][0]["location"]


def test_feedback_needs_a_known_rating(client):
    expect_error(client.post("/api/feedback", json={"question": "q", "rating": "meh"}), 400, "invalid_request")


def test_unknown_api_path_is_404_in_the_same_shape(client):
    expect_error(client.get("/api/nothing-here"), 404, "not_found")


def test_request_body_over_the_limit_is_413(client, live):
    body = b'{"message": "' + b"a" * live.settings.max_request_bytes + b'"}'
    expect_error(client.post("/api/chat", content=body, headers={"content-type": "application/json"}),
                 413, "request_too_large")


def test_chunked_body_over_the_limit_is_413(client, live):
    def chunks():
        for _ in range(live.settings.max_request_bytes // 1024 + 2):
            yield b"a" * 1024

    response = client.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
    expect_error(response, 413, "request_too_large")


def test_docs_openapi_embed_and_web_component_are_served(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/chat", "/api/calculate", "/api/items", "/api/health", "/api/eligibility",
            "/api/feedback"} <= set(spec["paths"])
    assert {"400", "413", "429", "503"} <= set(spec["paths"]["/api/chat"]["post"]["responses"])
    for page in ("/docs", "/embed"):
        response = client.get(page)
        assert response.status_code == 200 and "text/html" in response.headers["content-type"]
        assert "src=\"http" not in response.text and "href=\"http" not in response.text, "no CDN"
    loader = client.get("/gradio.js")
    assert loader.status_code == 200 and "javascript" in loader.headers["content-type"]
    bundle = loader.text.split('"')[1].removeprefix("./")
    assert client.get(f"/{bundle}").status_code == 200


TRAVERSALS = [
    "/gradio_api/file=/etc/passwd",
    "/file=../../etc/passwd",
    "/file=/etc/passwd",
    "/gradio_api/file=../../../../../../etc/passwd",
    "/gradio_api/file=%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/gradio_api/file=..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/gradio_api/file/../../../../etc/passwd",
    "/static/../../../../../../etc/passwd",
    "/assets/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/gradio_api/file=http://127.0.0.1:1/",
    "/gradio_api/proxy=http://127.0.0.1:1/",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_file_routes_refuse_paths_outside_the_app(live, path):
    # Raw http.client: httpx would normalise "../" away before it ever reached the server.
    address = urlsplit(live.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    assert response.status in (403, 404), (path, response.status)
    assert "root:" not in body


@pytest.mark.parametrize("secret", ["pyproject.toml", "corpus/documents.yaml"])
def test_file_route_refuses_the_projects_own_files(client, secret):
    from assistant.config import REPO_ROOT

    response = client.get(f"/gradio_api/file={REPO_ROOT / secret}")
    assert response.status_code in (403, 404)


def test_feedback_database_is_not_downloadable(client, live):
    client.post("/api/feedback", json={"question": "q", "rating": "up"})
    assert client.get(f"/gradio_api/file={live.settings.feedback_db_path}").status_code in (403, 404)


def test_cors_allows_only_the_listed_origins(client):
    def preflight(origin: str) -> httpx.Response:
        return client.options("/api/chat", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type"})

    assert preflight(PORTAL).headers.get("access-control-allow-origin") == PORTAL
    assert "access-control-allow-origin" not in preflight("https://evil.example").headers
    for path in ("/api/health", "/config"):
        allowed = client.get(path, headers={"Origin": PORTAL})
        refused = client.get(path, headers={"Origin": "https://evil.example"})
        assert allowed.headers.get("access-control-allow-origin") == PORTAL, path
        assert "access-control-allow-origin" not in refused.headers, path


def test_rate_limit_is_429_per_client(assistant, settings, tmp_path_factory):
    limit = 3
    server = start_server(assistant, server_settings(settings, tmp_path_factory.mktemp("limited"),
                                                     rate_limit_per_minute=limit))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as limited:
            statuses = [limited.post("/api/calculate", json={"item": "robot_purchase",
                                                             "inputs": {"robot_purchase_yuan": "420万"}}).status_code
                        for _ in range(limit)]
            assert statuses == [200] * limit
            over = limited.post("/api/chat", json={"message": "机器人补贴"})
            expect_error(over, 429, "rate_limited")
            assert int(over.headers["retry-after"]) >= 1
            assert limited.get("/api/health").status_code == 200, "reading endpoints stay open"
    finally:
        server.stop()


def test_overload_is_503_and_the_waiting_chat_still_answers(assistant, settings, tmp_path_factory):
    gated = GatedAssistant(assistant)
    # No wait for a slot: the second chat is refused at once (waiting chats: tests/test_load_limits.py).
    server = start_server(gated, server_settings(settings, tmp_path_factory.mktemp("gated"), max_concurrent_chats=1,
                                                 chat_queue_wait_seconds=0))
    first: dict = {}

    def ask() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as own:
            first["response"] = own.post("/api/chat", json={"message": "工业机器人购置补贴标准是什么？"})

    worker = threading.Thread(target=ask)
    try:
        worker.start()
        assert gated.waiting.wait(30), "the first chat never reached the assistant"
        with httpx.Client(base_url=server.url, timeout=60) as second:
            response = second.post("/api/chat", json={"message": "政策有效期到什么时候？"})
        expect_error(response, 503, "overloaded")
        assert response.headers.get("retry-after")
    finally:
        gated.gate.set()
        worker.join(timeout=60)
        server.stop()
    assert first["response"].status_code == 200


def test_server_error_is_a_500_without_a_traceback(assistant, settings, tmp_path_factory):
    server = start_server(BrokenAssistant(assistant), server_settings(settings, tmp_path_factory.mktemp("broken")))
    try:
        response = httpx.post(f"{server.url}/api/chat", json={"message": "机器人补贴"}, timeout=60)
    finally:
        server.stop()
    expect_error(response, 500, "internal_error")
    assert BrokenAssistant.SECRET not in response.text



@pytest.mark.parametrize("messages, code", [
    (["机器人购置款-300万，补多少"], "invalid_amount"),
    (["机器换人项目总投资300万，其中设备200万，软件130万，补多少"], "parts_mismatch"),
])
def test_each_chat_error_has_its_own_code(client, messages, code):
    session = f"codes-{code}"
    for message in messages:
        response = client.post("/api/chat", json={"session": session, "message": message})
    error = expect_error(response, 400, code)
    assert error["reply"]["status"] == "error" and error["reply"]["error_code"] == code


class BusySessionAssistant(BrokenAssistant):
    """The real assistant whose session stays held by another turn past the store's wait."""

    def reply(self, *args, **kwargs):
        from assistant.storage.sessions import SessionBusy

        raise SessionBusy("session s-1 is busy")


def test_a_session_held_too_long_by_another_turn_is_a_503_to_retry(assistant, settings, tmp_path_factory):
    server = start_server(BusySessionAssistant(assistant), server_settings(settings, tmp_path_factory.mktemp("busy")))
    try:
        response = httpx.post(f"{server.url}/api/chat", json={"message": "机器人补贴", "session": "s-1"}, timeout=60)
    finally:
        server.stop()
    expect_error(response, 503, "session_busy")
    assert int(response.headers["retry-after"]) >= 1
