"""Input checks that come before understanding: a message that is no question at all.

Instructions the assistant will not follow are recognised while understanding the message,
from corpus/vocabulary/refusals.yaml."""

from __future__ import annotations

from assistant.language.text import Script

# The refusal entry (corpus/vocabulary/refusals.yaml) whose reply says why deception is refused.
FRAUD_REFUSAL = "fraud"


def refusal_text(script: Script, rule: str | None = None) -> str:
    """The reply to a refused request: for help with deceiving the subsidy process, why not in
    one sentence; for anything else (instructions to change or reveal the assistant's rules), that
    it only answers from the policy."""
    english = script is Script.ENGLISH
    if rule == FRAUD_REFUSAL:
        if english:
            return ("I can't help inflate, fabricate or disguise invoices, contracts or figures: a subsidy may "
                    "only be claimed for real spending, reported truthfully, and obtaining public funds with "
                    "false materials is against the law. I can explain the policy's conditions and amounts "
                    "so you can apply honestly.")
        return ("抱歉，不能协助虚报、伪造或变造发票、合同、投资额等申报材料：补助只能按真实发生的投入如实申报，"
                "以虚假材料骗取财政资金属于违法行为。如需了解如实申报的条件和补助标准，我可以根据政策原文解答。")
    if english:
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
