"""What a person typed is shown as they typed it: never markup, a link, math or HTML; and what a
client sends as a form value is a string or a number, never a list read as one."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assistant.web.chat_view import md_escape, question_markdown, valid_text
from assistant.web.forms import FormError, read_inputs, read_profile
from tests.fuyang import RULEBOOK, get_rule

# CommonMark: a backslash before ASCII punctuation shows the punctuation and nothing else.
_ESCAPE_PAIR = re.compile(r"\\([!-/:-@\[-`{-~])")
# What would still mean something to GitHub-flavoured Markdown, KaTeX or HTML once the escape
# pairs are taken out: markup characters, autolink triggers, list, rule and heading openers.
_LIVE = re.compile(r"[`*_{}\[\]<>#|~$&@\\]|://|www\.|^\s*(?:[-+=]|\d+[.)])", re.IGNORECASE | re.MULTILINE)
FRAGMENTS = ["https://example.com", "HTTP://a.b/c?d=e", "ftp://x.y", "www.example.com", "WWW.gov.cn", "a@b.cn",
             "$$x^2$$", "$x$", "\\(x\\)", "\\[x\\]", "<b>x</b>", "<img src=x onerror=alert(1)>", "&lt;", "&#60;",
             "[a](javascript:alert(1))", "![i](x.png)", "**粗**", "_斜_", "~~删~~", "`code`", "| a | b |", "1. ",
             "2) ", "# ", "- ", "+ ", "= ", "> ", "---", "\n", "\n\n", "    ", "\\", "机器人补贴420万"]
typed = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=12).map("".join)


def as_read(markdown: str) -> str:
    return _ESCAPE_PAIR.sub(r"\1", markdown)


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=typed)
def test_escaped_text_reads_exactly_as_typed(text):
    assert as_read(md_escape(text)) == text


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=typed)
def test_escaped_text_leaves_nothing_live(text):
    # Each escape pair stands in as a plain letter: it shows one character and means nothing.
    assert _LIVE.search(_ESCAPE_PAIR.sub("x", md_escape(text))) is None


@pytest.mark.parametrize("text, shown", [
    ("https://example.com", "https\\://example.com"),
    ("$$x^2$$", "\\$\\$x^2\\$\\$"),
    ("<b>x</b>", "\\<b\\>x\\</b\\>"),
    ("www.gov.cn", "www\\.gov.cn"),
    ("a@b.cn", "a\\@b.cn"),
    ("\\(x\\)", "\\\\(x\\\\)"),
    ("&lt;", "\\&lt;"),
    ("1. 机器人", "1\\. 机器人"),
])
def test_what_each_kind_of_markup_becomes(text, shown):
    assert md_escape(text) == shown


def test_the_users_question_is_escaped_and_cut():
    assert question_markdown("看 https://example.com") == "看 https\\://example.com"
    assert question_markdown("  ") == "（空消息）"
    long = "<b>" + "机" * 400
    shown = question_markdown(long)
    assert shown.startswith("\\<b\\>") and "共403字" in shown and "<b>" not in shown


def test_text_from_a_client_is_text_that_can_be_written_back():
    assert valid_text("a\ud800b") == "a\ufffdb"
    assert valid_text("机器人😀") == "机器人😀"
    assert valid_text(["机器人"]) == "" and valid_text(None) == ""
    valid_text("x\udfff").encode("utf-8")


def test_the_chatbot_renders_no_math_and_keeps_its_sanitizer(assistant):
    import gradio as gr

    from assistant.web.ui import build_ui

    ui = build_ui(assistant, date.today)
    chatbot = next(block for block in ui.blocks.values() if getattr(block, "elem_id", None) == "chatbot")
    assert isinstance(chatbot, gr.Chatbot)
    assert chatbot.latex_delimiters == []
    assert chatbot.sanitize_html is True and chatbot.allow_tags is False


@pytest.mark.parametrize("value", [[1], ["420万"], {"a": 1}, [[1]], "42\ud800万"])
def test_a_money_value_is_a_string_or_a_number(value):
    with pytest.raises(FormError, match="机器人购置款"):
        read_inputs(get_rule("robot_purchase"), {"robot_purchase_yuan": value})


@pytest.mark.parametrize("field, value", [("robot_purchase_yuan", [1]), ("is_sme", ["是"]),
                                          ("future_factory_level", {"a": 1}), ("future_factory_level", ["x"])])
def test_a_profile_value_is_a_string_a_number_or_a_bool(field, value):
    with pytest.raises(FormError):
        read_profile(RULEBOOK, {field: value})


def test_strings_numbers_and_bools_are_still_read():
    robot = get_rule("robot_purchase")
    assert read_inputs(robot, {"robot_purchase_yuan": "420万"})["robot_purchase_yuan"] == 4_200_000
    assert read_inputs(robot, {"robot_purchase_yuan": 4_200_000})["robot_purchase_yuan"] == 4_200_000
    assert read_profile(RULEBOOK, {"is_sme": True, "robot_purchase_yuan": 1.5e6}).is_sme is True
