"""The app in a real browser: Debian's Chromium driven by Playwright, headless.

`make browser` installs Chromium (and the CJK fonts the screenshots need); no browser is
ever downloaded. Screenshots land in artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from assistant.storage.sqlite_feedback import SqliteFeedbackStore
from calculators import format_yuan
from tests.conftest import free_port
from tests.fuyang import compute
from tests.live_server import SCREENSHOTS, server_settings, start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Long enough for a cold answer on a slow CI machine, short enough that a hang fails the run.
STEP_TIMEOUT_MS = 45_000
# Every document reports what its Content-Security-Policy blocked, so a test fails when the policy
# (assistant/web/headers.py) stops the app from working, not only when a step times out.
REPORT_CSP = ("document.addEventListener('securitypolicyviolation', e => console.error("
              "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
# Typed into the chat and /embed: a bare URL, display math and an HTML tag, which must all show as typed.
TYPED_MARKUP = "看看 https://example.com 和 $$x^2$$ 以及 <b>x</b>"

# The whole app as a person sees it: the real model behind it, and a browser.
pytestmark = pytest.mark.slow


class PortalPage(BaseHTTPRequestHandler):
    """A government portal on another origin that embeds the app as a web component."""

    body = b""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def portal_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def live(real_assistant, real_settings, tmp_path_factory, portal_port):
    web = server_settings(real_settings, tmp_path_factory.mktemp("browser"),
                          cors_origins=[f"http://127.0.0.1:{portal_port}"])
    server = start_server(real_assistant, web)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "Chromium is missing: run `make browser` (apt-get install chromium)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """What the pages' Content-Security-Policy blocked during the test; the page fixture fails
    the test when anything was, unless the test expected it and emptied the list."""
    return []


@pytest.fixture
def page(browser, csp_violations):
    context = browser.new_context(viewport={"width": 1400, "height": 950}, locale="zh-CN")
    context.add_init_script(REPORT_CSP)
    opened = context.new_page()
    opened.set_default_timeout(STEP_TIMEOUT_MS)
    opened.on("console", lambda message: csp_violations.append(message.text)
              if "Content Security Policy" in message.text or "CSP violation" in message.text else None)
    yield opened
    context.close()
    assert not csp_violations, csp_violations


def ask(page: Page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def shoot(page: Page, name: str, full_page: bool = False) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def test_ask_see_the_answer_open_its_source_and_jump_to_the_clause(page, live):
    page.goto(live.url)
    expect(page.locator("#examples")).to_contain_text("工业机器人购置补贴标准是什么？")
    shoot(page, "00-start.png")
    ask(page, "工业机器人购置补贴标准是什么？")
    last = page.locator("#chatbot .bot-row").last
    source = last.locator("details.source").first
    expect(source).to_be_visible()
    expect(last).to_contain_text("10%")
    expect(last.locator(".warning")).to_contain_text("已过期")
    expect(page.locator(".disclaimer-bar")).to_contain_text("AI生成，仅供参考，以正式文件为准")
    expect(page.locator("#phone-text textarea")).to_have_value(re.compile(re.escape("三、专项政策（二）")))
    shoot(page, "01-answer.png")

    source.locator("summary").click()
    quote = source.locator("blockquote")
    expect(quote).to_be_visible()
    expect(quote).to_contain_text("GB/T12643-2013")
    shoot(page, "02-source-open.png")

    source.locator("a.policy-link").click()
    clause = page.locator("#clause-fuyang-future-factory-2021-s3-i2")
    expect(clause).to_be_visible()
    expect(clause).to_contain_text("机器人购置款的10%")
    expect(page.locator("#policy-text .badge").first).to_contain_text("已过期")
    shoot(page, "03-policy-clause.png")


def test_calculator_question_in_chat_and_compact_mode(page, live):
    expected = compute("robot_purchase", {"robot_purchase_yuan": Decimal(4_200_000)})
    page.goto(live.url)
    page.locator("#examples").get_by_text("我们买了工业机器人，花了420万，补贴多少").click()
    card = page.locator("#chatbot .bot-row").last.locator(".calc-card")
    expect(card).to_contain_text(f"可补助 {format_yuan(expected.amount_yuan)}")
    expect(card).to_contain_text(expected.formula)
    shoot(page, "04-chat-calculation.png")

    page.locator("#compact input").check()
    expect(page.locator("#chatbot .bot-row").last).not_to_contain_text("填入数据")
    expect(page.locator("#chatbot .bot-row").last).to_contain_text(format_yuan(expected.amount_yuan))
    shoot(page, "05-compact-mode.png")


def test_feedback_with_a_comment_is_stored(page, live):
    page.goto(live.url)
    ask(page, "这个政策的有效期到什么时候？")
    answer = page.locator("#chatbot .bot-row").last
    expect(answer.locator(".disclaimer")).to_be_visible()
    answer.hover()
    # Gradio labels the thumbs in the browser's language: 踩 in a zh-CN browser.
    page.locator('#chatbot button[aria-label="踩"]').last.click()
    expect(page.locator("#feedback-comment textarea")).to_be_visible()
    page.locator("#feedback-comment textarea").fill("希望说明到期后怎么办，联系电话0571-63311234")
    page.locator("#feedback-save").click()
    expect(page.locator("#feedback-saved")).to_contain_text("意见已保存")
    shoot(page, "06-feedback.png")
    store = SqliteFeedbackStore(live.settings.feedback_db_path, mask=True)
    latest = store.get(max_feedback_id(store))
    assert latest["rating"] == "down" and latest["question"] == "这个政策的有效期到什么时候？"
    assert "63311234" not in latest["comment"] and "到期后怎么办" in latest["comment"]


def max_feedback_id(store: SqliteFeedbackStore) -> int:
    with sqlite3.connect(store.path) as db:
        return db.execute("SELECT MAX(id) FROM feedback").fetchone()[0]


def test_empty_and_over_long_input_show_a_clear_message(page, live):
    page.goto(live.url)
    page.locator("#send").click()
    expect(page.locator("#chatbot .bot-row").last).to_contain_text("消息为空")
    # The disclaimer closes a finished answer; a question typed while one still streams is dropped.
    expect(page.locator("#chatbot .bot-row").last.locator(".disclaimer")).to_be_visible()
    ask(page, "补" * 2100)
    expect(page.locator("#chatbot .bot-row").last).to_contain_text("消息过长")
    expect(page.locator("#chatbot .bot-row").last.locator(".disclaimer")).to_be_visible()
    shoot(page, "07-input-errors.png")


def test_calculator_tab(page, live):
    expected = compute("robot_purchase", {"robot_purchase_yuan": Decimal(120_000_000)})
    page.goto(live.url)
    page.get_by_role("tab", name="补贴测算").click()
    page.locator("#calc-robot_purchase-robot_purchase_yuan textarea, #calc-robot_purchase-robot_purchase_yuan input") \
        .first.fill("1.2亿")
    page.locator("#calc-run").click()
    result = page.locator("#calc-result .result")
    expect(result).to_contain_text(format_yuan(expected.amount_yuan))
    expect(result).to_contain_text(expected.formula)
    expect(result).to_contain_text("三、专项政策（二）")
    expect(result.locator(".warning")).to_contain_text("已过期")
    shoot(page, "08-calculator.png")

    page.locator("#calc-robot_purchase-robot_purchase_yuan textarea, #calc-robot_purchase-robot_purchase_yuan input") \
        .first.fill("好多钱")
    page.locator("#calc-run").click()
    expect(page.locator("#calc-result .notice-error")).to_contain_text("机器人购置款")


def test_eligibility_tab(page, live):
    page.goto(live.url)
    page.get_by_role("tab", name="政策体检").click()
    page.locator("#profile-robot_purchase_yuan textarea, #profile-robot_purchase_yuan input").first.fill("420万")
    page.locator("#profile-robots_meet_gb_t_12643").get_by_text("是", exact=True).click()
    page.locator("#eligibility-run").click()
    report = page.locator("#eligibility-result .report")
    expect(report).to_contain_text("工业机器人购置补助")
    expect(report.locator(".cond-met").first).to_be_visible()
    shoot(page, "09-eligibility.png", full_page=True)


def test_embed_page_for_an_iframe(page, live):
    page.goto(f"{live.url}/embed")
    page.locator("#message").fill("工业机器人购置补贴标准是什么？")
    page.locator("#send").click()
    answer = page.locator(".msg.bot").last
    expect(answer).to_contain_text("10%")
    answer.locator("summary").first.click()
    expect(answer.locator("blockquote").first).to_contain_text("GB/T12643-2013")
    shoot(page, "10-embed.png")


def test_web_component_on_another_origin(page, live, portal_port):
    PortalPage.body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>富阳区政府门户</title>'
        f'<script type="module" src="{live.url}/gradio.js"></script></head>'
        '<body><h1>富阳区人民政府 · 企业服务</h1>'
        f'<gradio-app src="{live.url}/"></gradio-app></body></html>'
    ).encode()
    portal = ThreadingHTTPServer(("127.0.0.1", portal_port), PortalPage)
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{portal_port}/")
        ask(page, "工业机器人购置补贴标准是什么？")
        expect(page.locator("#chatbot .bot-row").last.locator("details.source").first).to_be_visible()
        shoot(page, "11-web-component.png")
    finally:
        portal.shutdown()
        portal.server_close()


def test_typed_markup_shows_as_typed_in_the_chat_and_embed(page, live):
    page.goto(live.url)
    ask(page, TYPED_MARKUP)
    expect(page.locator("#chatbot .bot-row").last.locator(".disclaimer")).to_be_visible()
    shown = page.locator("#chatbot .user-row").last
    expect(shown).to_have_text(TYPED_MARKUP)
    expect(shown.locator("a")).to_have_count(0)  # no autolink
    expect(shown.locator(".katex, math")).to_have_count(0)  # no math
    expect(shown.locator("b, strong")).to_have_count(0)  # no HTML
    shoot(page, "12-typed-markup.png")

    page.goto(f"{live.url}/embed")
    page.locator("#message").fill(TYPED_MARKUP)
    page.locator("#send").click()
    expect(page.locator(".msg.bot")).to_have_count(1)
    typed = page.locator(".msg.user").last
    expect(typed).to_have_text(TYPED_MARKUP)
    expect(typed.locator("a, b, .katex")).to_have_count(0)


def test_only_a_listed_portal_may_frame_the_embed_page(page, live, portal_port, csp_violations):
    PortalPage.body = (
        '<!doctype html><html><head><meta charset="utf-8"><title>门户</title></head><body>'
        f'<iframe id="assistant" src="{live.url}/embed" onload="this.dataset.loaded = 1" '
        'style="width: 420px; height: 640px"></iframe></body></html>'
    ).encode()
    unlisted_port = free_port()
    portals = [ThreadingHTTPServer(("127.0.0.1", port), PortalPage) for port in (portal_port, unlisted_port)]
    for portal in portals:
        threading.Thread(target=portal.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{portal_port}/")
        expect(page.frame_locator("#assistant").locator("#message")).to_be_visible()
        page.goto(f"http://127.0.0.1:{unlisted_port}/")
        page.wait_for_function("document.getElementById('assistant').dataset.loaded === '1'")
        expect(page.frame_locator("#assistant").locator("#message")).to_have_count(0)
        assert any("frame-ancestors" in text for text in csp_violations), csp_violations
        csp_violations.clear()  # the one violation this test is about
    finally:
        for portal in portals:
            portal.shutdown()
            portal.server_close()
