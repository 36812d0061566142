"""Input checks that come before understanding: a message that is no question at all.

Instructions the assistant will not follow are recognised while understanding the message,
from corpus/vocabulary/refusals.yaml."""

from __future__ import annotations

from assistant.understanding.text import Script


def refusal_text(script: Script) -> str:
    if script is Script.ENGLISH:
        return ("I can't do that. I only answer questions about the Fuyang manufacturing digital "
                "transformation (“Future Factory”) policy, from its text.")
    return "抱歉，这个请求我不能执行。我只根据富阳区制造业数字化改造（“未来工厂”）政策原文回答相关问题。"


def input_error(message: object, max_chars: int, script: Script) -> tuple[str, str] | None:
    """(code, message) when the message cannot be a question: empty or over the length limit."""
    english = script is Script.ENGLISH
    if not isinstance(message, str) or not message.strip():
        return "empty_message", ("The message is empty: please type a question." if english
                                 else "消息为空，请输入您的问题。")
    if len(message) > max_chars:
        return "message_too_long", (
            f"The message is {len(message)} characters long; the limit is {max_chars}. Please shorten it."
            if english else f"消息过长（{len(message)}字），上限为{max_chars}字，请精简后再问。")
    return None
