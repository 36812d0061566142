"""The Gradio app: every screen calls `Assistant.reply` or the calculators."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import gradio as gr

from assistant.contract import Reply

DISCLAIMER = "AI生成，仅供参考，以正式文件为准"


def render(reply: Reply) -> str:
    parts = [reply.answer]
    for calc in reply.calculations:
        parts.append(f"**{calc.title}**：{calc.formula}")
    for cite in reply.citations:
        parts.append(f"<details><summary>来源：{cite.source} {cite.location}</summary>\n\n> {cite.text}\n</details>")
    for warning in reply.warnings:
        parts.append(f"⚠️ {warning}")
    return "\n\n".join(parts)


def build_ui(assistant, today: Callable[[], date]) -> gr.Blocks:
    def respond(message: str, history: list, session: str | None):
        session = session or uuid.uuid4().hex
        return render(assistant.reply(session, message, today())), session

    with gr.Blocks(title="富阳区“未来工厂”政策助手") as ui:
        session = gr.State(None)
        gr.Markdown(f"## 富阳区“未来工厂”政策助手\n{DISCLAIMER}")
        gr.ChatInterface(respond, additional_inputs=[session], additional_outputs=[session],
                         examples=[["工业机器人补贴多少", None], ["政策有效期到哪天", None]],
                         api_name="chat")
    return ui
