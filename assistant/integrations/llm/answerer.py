"""A language model as an answering strategy, never less trustworthy than the extractive one.

For an ASK turn: the extractive answer first (the scope decision and the fallback); a question
the policy does not answer gets that reply and the model is not asked. Otherwise the model's
turn (loop.py) runs within one deadline; its answer goes through the guard; the citations and
calculations of the Answered come from the tool results. A model that is unreachable, slow,
failing, or whose answer the guard refuses gives way to the extractive answer with a warning."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import date

from assistant.answering import extractive
from assistant.answering.strategy import AnsweringStrategy
from assistant.contract import Citation
from assistant.corpus.documents import Clause, ClauseRef
from assistant.dialogue.state import ConversationState
from assistant.integrations.llm.guard import GroundingGuard, comparable
from assistant.integrations.llm.loop import ModelTurn, ToolLoop, TurnRequest
from assistant.integrations.llm.streaming import GatedSink, TokenSink, current_sink
from assistant.language.text import Script
from assistant.outcomes import Answered, NotStated
from assistant.understanding.question import Question
from calculators import RuleBook

log = logging.getLogger(__name__)

# Model turns running at once. The web app answers at most a few chats at a time
# (max_concurrent_chats, ui_concurrency_limit: 4 each); a turn finding every slot taken waits
# within its own deadline and then gets the plain answer.
MAX_PARALLEL_TURNS = 8
# Earlier questions kept for rewriting follow-ups: enough for "and that one?" two or three turns
# on, little enough to keep the rewrite prompt short.
MAX_RECENT_QUESTIONS = 4
# A remembered question is cut to this length (the rewrite needs its topic, not a pasted text).
MAX_REMEMBERED_CHARS = 200
# Clauses cited when the answer names none of the retrieved locations: the best two results.
UNNAMED_CITATIONS = 2
# The log line `make eval` counts: one per ASK turn of a model-configured assistant.
TURN_LOG = "llm-turn outcome=%s"

REPLACED_WARNING = {
    "zh": "模型生成的回答未通过与政策原文的核对（含原文中没有的数字、引文或内部说明），"
          "已改为系统直接摘录政策原文的答复。",
    "en": "The model's answer did not pass the check against the policy text (figures, quotations or instructions "
          "not found in it), so this is the plain answer taken directly from the policy.",
}
UNAVAILABLE_WARNING = {
    "zh": "语言模型暂时无法作答，以下是系统直接摘录政策原文的答复。",
    "en": "The language model could not answer just now, so this is the plain answer taken directly from the policy.",
}


def warning_for(kind: dict[str, str], script: Script) -> str:
    return kind["en" if script is Script.ENGLISH else "zh"]


def describe(exc: BaseException) -> str:
    """The error's kind and HTTP status for the log; never its message (it may echo a request)."""
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")


class ModelAnswerer:
    """AnsweringStrategy: the model through `loop`, the extractive `fallback` behind it."""

    streams = True

    def __init__(self, loop: ToolLoop, fallback: AnsweringStrategy, guard: GroundingGuard,
                 clauses: Mapping[ClauseRef, tuple[Clause, str]], rulebook: RuleBook, *, deadline_seconds: float,
                 parallel_turns: int = MAX_PARALLEL_TURNS) -> None:
        self.loop = loop
        self.fallback = fallback
        self.guard = guard
        self.clauses = clauses
        self.rulebook = rulebook
        self.deadline_seconds = deadline_seconds
        self._slots = threading.BoundedSemaphore(parallel_turns)

    def answer(self, question: Question, state: ConversationState, today: date) -> Answered | NotStated:
        plain = self.fallback.answer(question, state, today)
        if isinstance(plain, NotStated):
            log.info(TURN_LOG, "not_stated")
            return plain  # the model never overrules the scope decision
        history = tuple(state.recent_questions)
        state.recent_questions = [*history, question.text[:MAX_REMEMBERED_CHARS]][-MAX_RECENT_QUESTIONS:]
        topic = self._topic(state)
        request = TurnRequest(question.text, question.script, history, topic,
                              rewrite=bool(history or topic) and (question.follow_up or not question.entities.items))
        sink = current_sink()
        gated = GatedSink(sink) if sink is not None else None
        try:
            turn = self._run(request, gated)
        except TimeoutError:
            log.warning("the model gave no answer within %.1f s; the plain answer is given", self.deadline_seconds)
            return self._plain(plain, question.script, UNAVAILABLE_WARNING, "unavailable")
        except Exception as exc:  # unreachable, 429, 5xx, a malformed response: the plain answer
            log.warning("the model could not answer (%s); the plain answer is given", describe(exc))
            return self._plain(plain, question.script, UNAVAILABLE_WARNING, "unavailable")
        finally:
            if gated is not None:
                gated.close()
        if turn.text is None:
            log.warning("the model was still calling tools after %d steps; the plain answer is given", turn.steps)
            return self._plain(plain, question.script, UNAVAILABLE_WARNING, "unavailable")
        citations = self._citations(turn.text, turn, question.script)
        problems = self.guard.problems(turn.text, turn.evidence, plain.text)
        if not citations:
            problems.append("no clause was retrieved or calculated")
        if not turn.text.strip():
            problems.append("the answer is empty")
        if problems:
            log.warning("the model's answer was replaced by the plain one: %s; answer: %r",
                        "; ".join(problems), turn.text[:500])
            return self._plain(plain, question.script, REPLACED_WARNING, "replaced")
        log.info(TURN_LOG, "answered")
        return Answered(turn.text, tuple(citations), calculations=tuple(turn.evidence.calculations))

    def _run(self, request: TurnRequest, sink: TokenSink | None) -> ModelTurn:
        """The model's turn in a daemon thread, given up at the deadline (the thread then ends on
        its client's own timeout; nothing it returns is used)."""
        started = time.monotonic()
        if not self._slots.acquire(timeout=self.deadline_seconds):
            raise TimeoutError
        result: dict[str, object] = {}
        done = threading.Event()

        def work() -> None:
            try:
                result["turn"] = self.loop.run(request, sink)
            except BaseException as exc:  # handed to the waiting turn
                result["error"] = exc
            finally:
                self._slots.release()
                done.set()

        threading.Thread(target=work, name="llm-turn", daemon=True).start()
        if not done.wait(max(0.0, self.deadline_seconds - (time.monotonic() - started))):
            raise TimeoutError
        error = result.get("error")
        if isinstance(error, BaseException):
            raise error
        turn = result["turn"]
        assert isinstance(turn, ModelTurn)
        return turn

    def _plain(self, plain: Answered, script: Script, warning: dict[str, str], outcome: str) -> Answered:
        log.info(TURN_LOG, outcome)
        return Answered(plain.text, plain.citations, calculations=plain.calculations,
                        warnings=(*plain.warnings, warning_for(warning, script)))

    def _topic(self, state: ConversationState) -> str:
        if state.topic.item:
            rule = self.rulebook.rule(state.topic.item)
            return f"{rule.title}（{rule.clause}）"
        return state.topic.clause or ""

    def _citations(self, text: str, turn: ModelTurn, script: Script) -> list[Citation]:
        """The clauses the answer names among those the tools returned, and every calculation's
        clause; when it names none, the best results retrieved."""
        found = [ref for ref in dict.fromkeys(turn.evidence.clauses) if ref in self.clauses]
        answer = comparable(text)
        calculated = {ClauseRef(c.doc_id, c.clause) for c in turn.evidence.calculations}
        chosen = [ref for ref in found
                  if comparable(ref.location) in answer or ref in calculated] or found[:UNNAMED_CITATIONS]
        return [extractive.cite(*self.clauses[ref], script) for ref in chosen]
