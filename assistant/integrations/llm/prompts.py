"""The model's instructions, read from the text files in assistant/prompts/, and what the guard
needs to recognise them in an answer: the canary of this process and the instructions' text."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from string import Template

from assistant.corpus.documents import DocumentMeta
from assistant.language.text import Script

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
# An answer holding this many consecutive characters of the instructions (spaces aside) repeats
# them: the rules are sentences of 20–60 characters, while the phrases an answer may share
# with them ("政策原文未作规定", a clause location) are under 15.
ECHO_MIN_CHARS = 30
# Bytes of randomness in the canary: 16 hex digits never occur in a policy answer by chance.
CANARY_BYTES = 8
_PLACEHOLDER = re.compile(r"\$[a-z_]+")
_SPACES = re.compile(r"\s+")

LANGUAGE_RULES = {
    Script.SIMPLIFIED: "\n9. 用户使用简体中文，请用简体中文回答。",
    Script.TRADITIONAL: "\n9. 用户使用繁体中文，请用繁体中文回答（引用原文时照抄原文字句）。",
    Script.ENGLISH: ("\n9. The user writes in English: answer in English. Quote the policy's Chinese words "
                     "unchanged inside 「」, and give every amount exactly as the tools give it."),
}


def _squeezed(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Prompts:
    system: Template
    rewrite: str
    question: Template
    canary: str

    @classmethod
    def load(cls, folder: Path = PROMPTS_DIR) -> Prompts:
        """The prompt files, with a canary drawn once for this process."""
        return cls(system=Template((folder / "system.txt").read_text(encoding="utf-8")),
                   rewrite=(folder / "rewrite.txt").read_text(encoding="utf-8").strip(),
                   question=Template((folder / "question.txt").read_text(encoding="utf-8")),
                   canary=f"CANARY-{secrets.token_hex(CANARY_BYTES)}")

    def system_text(self, script: Script) -> str:
        return self.system.substitute(language=LANGUAGE_RULES[script], canary=self.canary)

    def question_text(self, meta: DocumentMeta, question: str, context: str) -> str:
        return self.question.substitute(
            title=meta.title, issuer=meta.issuer, in_force_from=meta.in_force_from.isoformat(),
            in_force_until=meta.in_force_until.isoformat(), department=meta.department_full or meta.department,
            context=context, question=question).strip()

    def instruction_pieces(self) -> list[str]:
        """The fixed text of the instructions (placeholders left out), spaces removed: what an
        answer must not repeat. The question template is left out: it carries the policy's title."""
        texts = [self.system.template, self.rewrite, *LANGUAGE_RULES.values()]
        return [_squeezed(piece) for text in texts for piece in _PLACEHOLDER.split(text) if piece.strip()]


class EchoDetector:
    """Finds a stretch of ECHO_MIN_CHARS characters of the instructions, or the canary, in a text."""

    def __init__(self, prompts: Prompts, min_chars: int = ECHO_MIN_CHARS) -> None:
        self.canary = prompts.canary.lower()
        self.min_chars = min_chars
        self._stretches = {piece[i:i + min_chars] for piece in prompts.instruction_pieces()
                           for i in range(len(piece) - min_chars + 1)}

    def problems(self, text: str) -> list[str]:
        found = []
        if self.canary in text.lower():
            found.append("the answer contains the canary of the instructions")
        squeezed = _squeezed(text)
        if any(squeezed[i:i + self.min_chars] in self._stretches for i in range(len(squeezed) - self.min_chars + 1)):
            found.append(f"the answer repeats {self.min_chars}+ characters of the instructions")
        return found
