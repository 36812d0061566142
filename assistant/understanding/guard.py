"""Input checks that come before any retrieval: bad input and instructions we will not follow."""

from __future__ import annotations

import re

from assistant.understanding.text import Script, fold

# Attempts to change the assistant's rules or extract its instructions, and requests to help
# deceive the subsidy process. These are refused outright rather than searched for.
_REFUSE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|forget|disregard|override)\b.{0,40}\b(rules?|instructions?|prompts?|guidelines?)\b",
        r"\b(reveal|show|print|repeat|leak)\b.{0,40}\b(system|hidden|secret|initial)\b.{0,20}\b(prompt|instructions?|rules?)\b",
        r"\b(jailbreak|developer mode|dan mode)\b",
        r"(忽略|忘记|无视|忘掉).{0,12}(规则|指令|提示|设定|要求)",
        r"(系统提示|隐藏指令|提示词|system prompt)",
        r"(伪造|造假|虚报|虚开|骗取|套取).{0,12}(发票|合同|材料|补贴|补助|资助|资金)?",
    )
]


def refusal_reason(message: str) -> str | None:
    folded = fold(message)
    for pattern in _REFUSE:
        if pattern.search(folded):
            return pattern.pattern
    return None


def refusal_text(script: Script) -> str:
    if script is Script.ENGLISH:
        return ("I can't do that. I only answer questions about the Fuyang manufacturing digital "
                "transformation (“Future Factory”) policy, from its text.")
    return "抱歉，这个请求我不能执行。我只根据富阳区制造业数字化改造（“未来工厂”）政策原文回答相关问题。"


def input_error(message: object, max_chars: int, script: Script) -> str | None:
    english = script is Script.ENGLISH
    if not isinstance(message, str) or not message.strip():
        return "The message is empty: please type a question." if english else "消息为空，请输入您的问题。"
    if len(message) > max_chars:
        return (f"The message is {len(message)} characters long; the limit is {max_chars}. Please shorten it."
                if english else f"消息过长（{len(message)}字），上限为{max_chars}字，请精简后再问。")
    return None
