"""Input checks that come before understanding: a message that is no question at all.

Instructions the assistant will not follow are recognised while understanding the message,
from corpus/vocabulary/refusals.yaml."""

from __future__ import annotations

from assistant.language.text import Script
from assistant.language.wording import wording

# The refusal entry (corpus/vocabulary/refusals.yaml) whose reply says why deception is refused.
FRAUD_REFUSAL = "fraud"


def refusal_text(script: Script, rule: str | None, policies: str) -> str:
    """The reply to a refused request: for help with deceiving the subsidy process, why not in
    one sentence; for anything else (instructions to change or reveal the assistant's rules), that
    it only answers from `policies` (how the reply names the library's policy or policies)."""
    say = wording(script)
    return say("refusal.fraud") if rule == FRAUD_REFUSAL else say("refusal.other", policies=policies)


def input_error(message: object, max_chars: int, script: Script) -> tuple[str, str] | None:
    """(code, message) when the message cannot be a question: empty or over the length limit."""
    say = wording(script)
    if not isinstance(message, str) or not message.strip():
        return "empty_message", say("input.empty")
    if len(message) > max_chars:
        return "message_too_long", say("input.too_long", length=len(message), limit=max_chars)
    return None
