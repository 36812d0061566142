"""The Gradio app: chat for enterprises and hotline staff, plus the calculator, eligibility and
policy tabs. The chat calls `Assistant.reply`; the tabs call the calculators."""

from __future__ import annotations

import html
import logging
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import gradio as gr

from assistant.contract import Reply, Status
from assistant.corpus.library import Library
from assistant.corpus.policy import Validity
from assistant.integrations.llm.streaming import reply_stream, streams
from assistant.language.text import Script
from assistant.storage.feedback import FeedbackIn, FeedbackStore
from assistant.storage.sessions import new_session_id
from assistant.web.chat_view import (
    DISCLAIMER,
    ClauseIndex,
    compact_markdown,
    compact_text,
    full_markdown,
    growing_prefixes,
    md_escape,
    question_markdown,
    valid_text,
)
from assistant.web.guards import rate_limited_text, rate_notice
from assistant.web.tab_views import policy_html, validity_badge
from assistant.web.tabs import calculator_tab, eligibility_tab, policy_tab

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
TITLE = "富阳区“未来工厂”政策助手"
EXAMPLES = [
    "工业机器人购置补贴标准是什么？",
    "我们买了工业机器人，花了420万，补贴多少",
    "被认定为市级“智能工厂”能拿多少补助？",
    "这个政策的有效期到什么时候？",
    "小微企业首次购买云服务有什么补助？",
    "數字工程服務商怎麼資助？",
]
# Seconds between the growing prefixes of an answer: fast enough that nobody waits for the
# effect, slow enough to see the answer arrive rather than pop in.
TYPING_DELAY = 0.03
# Policies named in the title bar: the header is one line, and a library may hold thousands in force.
HEADER_POLICIES = 3


def _messages(turns: list[dict], compact: bool, index: ClauseIndex) -> list[dict]:
    messages = []
    for turn in turns:
        reply = Reply.model_validate(turn["reply"])
        shown = compact_markdown(reply, index) if compact else full_markdown(reply, index)
        messages += [{"role": "user", "content": question_markdown(turn["question"])},
                     {"role": "assistant", "content": shown}]
    return messages


def build_ui(assistant, today: Callable[[], date], feedback: FeedbackStore | None = None) -> gr.Blocks:
    index = ClauseIndex(assistant.library, assistant.rulebook)

    def policy_warnings() -> list[str]:
        # The calculators know nothing of dates; the chat's own validity check covers the tabs.
        every_policy = {policy.doc_id for policy in assistant.library.policies}
        return assistant.warnings_for(every_policy, today(), Script.SIMPLIFIED)

    def safe_reply(session: str, message: str) -> Reply:
        try:
            return assistant.reply(session, message, today())
        except Exception:
            # The person gets a reference to quote to the admin, never the traceback.
            error_id = uuid.uuid4().hex[:8]
            log.exception("chat reply failed (error id %s)", error_id)
            return Reply(session=session, status=Status.ERROR,
                         answer=f"抱歉，系统暂时出错，请稍后再试。如多次出现，请把错误编号 {error_id} 告知管理员。")

    def respond(message: str, session: str | None, turns: list[dict] | None, compact: bool,
                request: gr.Request):
        session = session or new_session_id()
        turns = list(turns or [])
        question = valid_text(message)
        earlier = _messages(turns, compact, index)
        asked = {"role": "user", "content": question_markdown(question)}

        def typing(text: str) -> list[dict]:
            return earlier + [asked, {"role": "assistant", "content": text}]

        wait = rate_notice(request)
        if wait is not None:
            # Over the per-client limit (guards.GradioRateLimit): say so; the question stays in the box.
            notice = rate_limited_text(wait) + "您的问题还在输入框里，稍后按回车即可重新发送。"
            yield typing(notice), question, session, turns, gr.skip()
            return
        yield typing("正在查询政策原文…"), "", session, turns, gr.skip()
        reply: Reply | None = None
        streamed = False
        if streams(assistant):
            # A language model writes the answer: its words are shown as they come, then the Reply
            # replaces them (after the grounding guard: the plain answer and its warning if refused).
            for update in reply_stream(lambda: safe_reply(session, question)):
                if isinstance(update, Reply):
                    reply = update
                else:
                    streamed = True
                    yield typing(md_escape(update) + " ▌"), "", session, turns, gr.skip()
        reply = reply or safe_reply(session, question)
        for prefix in [] if streamed else growing_prefixes(reply.answer)[:-1]:
            yield typing(md_escape(prefix) + " ▌"), "", session, turns, gr.skip()
            time.sleep(TYPING_DELAY)
        turns.append({"question": question, "reply": reply.model_dump(mode="json")})
        yield _messages(turns, compact, index), "", session, turns, compact_text(reply, index)

    def rerender(turns: list[dict] | None, compact: bool):
        return _messages(turns or [], compact, index)

    def new_conversation():
        return [], "", None, [], "", gr.update(visible=False)

    def on_like(turns: list[dict] | None, session: str | None, data: gr.LikeData):
        position = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turns = turns or []
        if feedback is None or not isinstance(data.liked, bool) or not 0 <= position // 2 < len(turns):
            return None, gr.update(visible=False), "", ""
        turn = turns[position // 2]
        reply = Reply.model_validate(turn["reply"])
        feedback_id = feedback.add(FeedbackIn(
            session=session, question=turn["question"] or "（空消息）", status=reply.status,
            citations=reply.citations, rating="up" if data.liked else "down"))
        thanks = "已记录您的好评，谢谢！" if data.liked else "已记录。哪里不对？补充一句能帮我们改进（可选）："
        return feedback_id, gr.update(visible=True), thanks, ""

    def save_comment(feedback_id: int | None, comment: str):
        if feedback is not None and feedback_id and comment and comment.strip():
            feedback.set_comment(feedback_id, comment.strip())
            return gr.update(visible=False), "", "意见已保存，谢谢！"
        return gr.update(visible=False), "", ""

    with gr.Blocks(title=TITLE) as ui:
        session = gr.State(None)
        turns = gr.State([])
        feedback_id = gr.State(None)
        header = gr.HTML(_header(assistant.library, today()), elem_id="app-header", js_on_load=None)
        with gr.Tabs(elem_id="main-tabs"):
            with gr.Tab("政策问答", id="chat", elem_id="tab-chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=7, min_width=420):
                        chatbot = gr.Chatbot(
                            label="政策问答", show_label=False, elem_id="chatbot", height=600,
                            buttons=["copy"], watermark=DISCLAIMER, feedback_options=("Like", "Dislike"),
                            placeholder="您好！我根据《富阳区“未来工厂”实施意见》原文回答补贴政策问题，"
                                        "也可以帮您测算补助金额。请在下方输入问题，或点击右侧的常见问题。",
                            layout="panel", autoscroll=True,
                            # Answers are the app's own Markdown and HTML; no math, no custom tags,
                            # and the sanitizer stays on. User text is inert already (md_escape).
                            latex_delimiters=[], sanitize_html=True, allow_tags=False)
                        with gr.Row(elem_id="ask-row"):
                            question = gr.Textbox(show_label=False, lines=1, max_lines=5, scale=8, elem_id="question",
                                                  placeholder="输入问题，例如：买了420万的工业机器人能补多少？（回车发送）",
                                                  autofocus=True)
                            send = gr.Button("发送", variant="primary", scale=1, min_width=90, elem_id="send")
                        gr.HTML(f'<div class="disclaimer-bar">⚠ {DISCLAIMER}</div>', js_on_load=None)
                    with gr.Column(scale=4, min_width=300, elem_id="side-panel"):
                        compact = gr.Checkbox(False, label="电话简答模式（只显示要点、数字和条款出处）",
                                              elem_id="compact")
                        phone = gr.Textbox(label="答复稿（可复制或照读）", lines=7, max_lines=14, interactive=False,
                                           buttons=["copy"], elem_id="phone-text",
                                           placeholder="提问后，这里给出最后一条答复的简明版本。")
                        examples = gr.Dataset(components=[question], samples=[[q] for q in EXAMPLES],
                                              label="常见问题（点击即问）", elem_id="examples", layout="table")
                        with gr.Group(visible=False, elem_id="feedback-panel") as feedback_panel:
                            feedback_note = gr.Markdown()
                            comment = gr.Textbox(show_label=False, lines=2, elem_id="feedback-comment",
                                                 placeholder="例如：金额不对 / 没找到条款（请勿填写手机号等个人信息）")
                            save = gr.Button("提交意见", size="sm", elem_id="feedback-save")
                        saved_note = gr.Markdown(elem_id="feedback-saved")
                        clear = gr.Button("开始新对话", size="sm", elem_id="new-chat")
            with gr.Tab("补贴测算", id="calculator", elem_id="tab-calculator"):
                calculator_tab(index, policy_warnings)
            with gr.Tab("政策体检", id="eligibility", elem_id="tab-eligibility"):
                eligibility_tab(index, policy_warnings)
            with gr.Tab("政策原文", id="policy", elem_id="tab-policy"):
                policy = policy_tab(assistant.library, today)

        # Dates move on while a server runs: the badges are drawn again on every page load.
        ui.load(lambda: (_header(assistant.library, today()), policy_html(assistant.library, today())),
                None, [header, policy], api_visibility="private", queue=False)
        chat_outputs = [chatbot, question, session, turns, phone]
        ask_inputs = [question, session, turns, compact]
        question.submit(respond, ask_inputs, chat_outputs, api_name="chat")
        send.click(respond, ask_inputs, chat_outputs, api_visibility="private")
        examples.click(lambda sample: sample[0], examples, question, api_visibility="private", queue=False).then(
            respond, ask_inputs, chat_outputs, api_visibility="private")
        compact.change(rerender, [turns, compact], chatbot, api_visibility="private", queue=False)
        conversation = [chatbot, question, session, turns, phone, feedback_panel]
        clear.click(new_conversation, None, conversation, api_visibility="private", queue=False)
        # The chatbot's own bin icon empties the view; the conversation behind it must go too.
        chatbot.clear(new_conversation, None, conversation, api_visibility="private", queue=False)
        chatbot.like(on_like, [turns, session], [feedback_id, feedback_panel, feedback_note, saved_note],
                     api_visibility="private")
        save.click(save_comment, [feedback_id, comment], [feedback_panel, comment, saved_note],
                   api_visibility="private")
    return ui


def _header(library: Library, today: date) -> str:
    """The policies in force, newest first (else the library's first policy), each with its badge;
    the others counted."""
    ordered = library.ordered(today)
    in_force = [policy for policy in ordered if policy.validity(today) is Validity.IN_FORCE]
    shown = (in_force or ordered[:1])[:HEADER_POLICIES]
    sources = " ".join(f"依据《{html.escape(policy.meta.title)}》{validity_badge(policy.meta, today)}"
                       for policy in shown)
    others = len(library.policies) - len(shown)
    if others:
        sources += f" · 政策库另有{others}份（见“政策原文”）"
    return f'<div class="app-title"><h1>{TITLE}</h1><div class="app-sub">{sources}</div></div>'


def head_html() -> str:
    """The page script: a citation link opens the policy tab at its clause."""
    return f"<script>{(STATIC / 'app.js').read_text(encoding='utf-8')}</script>"


def css() -> str:
    return (STATIC / "app.css").read_text(encoding="utf-8")
