"""`Assistant.reply(session, message, today)`: the one function every interface calls."""

from __future__ import annotations

import logging
from datetime import date
from functools import cached_property

from calculators import RuleBook, get_rule, load_rulebook

from assistant.answering import extractive as answer
from assistant.understanding import guard
from assistant.config import Settings, get_settings
from assistant.contract import Citation, Reply, Status
from assistant.corpus.documents import Clause, Document, load_corpus
from assistant.dialogue.checkup import Checkup, CheckupOutcome, questionnaire, report_text
from assistant.answering.calculations import outcome_text, to_contract
from assistant.dialogue.calculator import Dialogue, Outcome
from assistant.integrations.retriever import PolicyRetriever
from assistant.retrieval.chroma_index import ChromaVectors, build_index, chroma_client, collection
from assistant.retrieval.embeddings import Embedder
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import tokenizer_for
from assistant.storage.sessions import SessionStore, new_session_id
from assistant.understanding.text import Script, detect_script, to_script

log = logging.getLogger(__name__)


def not_found_text(script: Script, signals: dict) -> str:
    foreign = signals.get("foreign_place")
    if script is Script.ENGLISH:
        scope = f" It covers Fuyang District only, not {foreign}." if foreign else ""
        return ("The Fuyang “Future Factory” policy does not answer this question, so I can't give an answer "
                f"from it.{scope} Try asking about its subsidies, goals, tasks or validity.")
    scope = f"该政策只适用于杭州市富阳区，不涉及{foreign}。" if foreign else ""
    return ("富阳区制造业数字化改造（“未来工厂”）政策原文中没有找到能回答这个问题的条款，"
            f"因此无法作答。{scope}您可以询问该政策的补助标准、目标任务、适用对象或有效期。")


class Assistant:
    """Turns (session, message, today) into a Reply. Every part is passed in; `from_settings`
    builds the real ones, tests pass fakes."""

    def __init__(self, *, settings: Settings, documents: tuple[Document, ...], rulebook: RuleBook,
                 retriever: HybridRetriever, sessions: SessionStore) -> None:
        self.settings = settings
        self.documents = documents
        self.rulebook = rulebook
        self.retriever = retriever
        self.tokenizer = retriever.tokenizer
        self.sessions = sessions
        self.checkup = Checkup()
        self.dialogue = Dialogue()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, progress: bool = False) -> Assistant:
        """The product: the e5 model, the Chroma index (updated when the corpus changed), the
        SQLite sessions."""
        settings = settings or get_settings()
        documents = load_corpus(settings.corpus_dir)
        embedder = Embedder.from_settings(settings)
        client = chroma_client(settings)
        report = build_index(settings, documents, embedder, progress=progress, client=client)
        if report.embedded or report.removed:
            log.info(report.summary())
        dense = ChromaVectors(collection(client, settings, embedder), embedder)
        return cls(settings=settings, documents=documents, rulebook=load_rulebook(),
                   retriever=HybridRetriever(documents, tokenizer_for(settings), dense),
                   sessions=SessionStore(settings.sessions_db, settings.session_ttl_seconds))

    def langchain_retriever(self, k: int | None = None) -> PolicyRetriever:
        return PolicyRetriever(hybrid=self.retriever, k=k or self.settings.top_k)

    def warm_up(self) -> None:
        self.retriever.retrieve("工业机器人补贴", k=1)

    def meta_for(self, doc_id: str):
        return next(d.meta for d in self.documents if d.meta.doc_id == doc_id)

    def reply(self, session: str | None, message: object, today: date, request_id: str | None = None) -> Reply:
        session = session or new_session_id()
        script = detect_script(message) if isinstance(message, str) else Script.SIMPLIFIED
        problem = guard.input_error(message, self.settings.max_message_chars, script)
        if problem:
            return Reply(id=request_id, session=session, status=Status.ERROR, answer=to_script(problem, script))
        assert isinstance(message, str)
        if guard.refusal_reason(message):
            return Reply(id=request_id, session=session, status=Status.REFUSED,
                         answer=to_script(guard.refusal_text(script), script))
        state = self.sessions.load(session)
        checkup = self.checkup.turn(state, message)
        outcome = None if checkup else self.dialogue.turn(state, message, script)
        if checkup:
            reply = self._checkup_reply(session, checkup, today, script)
        elif outcome:
            reply = self._calculator_reply(session, outcome, today, script)
        else:
            reply = self._answer_question(session, message, today, script)
        self.sessions.save(session, state)
        reply.id = request_id
        return reply

    def _calculator_reply(self, session: str, outcome: Outcome, today: date, script: Script) -> Reply:
        status = {"calculated": Status.CALCULATED, "not_eligible": Status.NOT_ELIGIBLE,
                  "needs_info": Status.NEEDS_INFO, "error": Status.ERROR}[outcome.kind]
        citations = [] if status is Status.ERROR else self.cite_locations(
            [get_rule(item).clause for item in outcome.items], script)
        return Reply(
            session=session, status=status, answer=to_script(outcome_text(outcome, script), script),
            citations=citations, calculations=[to_contract(c) for c in outcome.calculations],
            follow_up=to_script(outcome.follow_up, script) if outcome.follow_up else None,
            warnings=self.warnings_for({c.doc_id for c in citations}, today, script),
        )

    def _checkup_reply(self, session: str, checkup: CheckupOutcome, today: date, script: Script) -> Reply:
        report = checkup.report
        if checkup.problem:
            return Reply(session=session, status=Status.ERROR, answer=to_script(checkup.problem, script))
        if report is None or not (report.items or report.not_eligible):
            ask = to_script(questionnaire(script), script)
            return Reply(session=session, status=Status.NEEDS_INFO, answer=ask, follow_up=ask)
        assessed = [*report.items, *report.not_eligible]
        citations = self.cite_locations([item.clause for item in assessed], script)
        calculations = [to_contract(item.calculation) for item in assessed if item.calculation]
        status = Status.CALCULATED if any(c.eligible for c in calculations) else Status.NOT_ELIGIBLE
        if not calculations:
            status = Status.ANSWERED
        return Reply(session=session, status=status, answer=to_script(report_text(report, script), script),
                     citations=citations, calculations=calculations,
                     warnings=self.warnings_for({c.doc_id for c in citations}, today, script))

    @cached_property
    def clauses_by_location(self) -> dict[str, tuple[Clause, str]]:
        """Where calculator rules point (e.g. 三、专项政策（二）): the clause and its document title."""
        return {clause.location: (clause, document.meta.title)
                for document in self.documents for clause in document.clauses}

    def cite_locations(self, locations: list[str], script: Script) -> list[Citation]:
        """One citation per distinct location, in the order given."""
        return [answer.cite(*self.clauses_by_location[location], script) for location in dict.fromkeys(locations)]

    def _answer_question(self, session: str, message: str, today: date, script: Script) -> Reply:
        retrieval = self.retriever.retrieve(message, k=self.settings.top_k)
        item = self.dialogue.item_amount_asked(message)
        if item and retrieval.in_scope:
            retrieval = self.retriever.promote(retrieval, get_rule(item).clause)
        if not retrieval.in_scope or not retrieval.hits:
            return Reply(session=session, status=Status.NOT_FOUND,
                         answer=to_script(not_found_text(script, retrieval.signals), script))
        text, citations = answer.compose(message, retrieval.hits, self.tokenizer, script)
        return Reply(session=session, status=Status.ANSWERED, answer=to_script(text, script),
                     citations=citations, warnings=self.warnings_for({c.doc_id for c in citations}, today, script))

    def warnings_for(self, doc_ids: set[str], today: date, script: Script) -> list[str]:
        warnings = []
        for doc_id in sorted(doc_ids):
            warning = answer.validity_warning(self.meta_for(doc_id), today, script)
            if warning:
                warnings.append(to_script(warning, script))
        return warnings
