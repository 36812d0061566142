"""`Assistant.reply(session, message, today)`: the one function every interface calls.

    message + conversation state ─► understand ─► Question
        refuse ─► Refused · check-up ─► Checkup · calculate / answer pending ─► CalculatorDialogue
        ask ─► retrieve ─► in scope? ─► Answered | NotStated
    ─► Reply (validity warnings, the user's script) ─► state saved, one writer per session
"""

from __future__ import annotations

import logging
from datetime import date

from assistant.answering import extractive
from assistant.answering.calculations import calculated_text, error_text, needs_input_text, to_contract
from assistant.answering.direct import DirectAnswers
from assistant.answering.english import Glossary
from assistant.answering.strategy import AnsweringStrategy, ExtractiveAnswerer, no_figure_set
from assistant.config import Settings, get_settings
from assistant.contract import Citation, Reply, Status
from assistant.corpus.documents import Clause, ClauseRef, DocumentMeta, rule_clause
from assistant.corpus.library import Library, load_library
from assistant.dialogue.calculator import CalculatorDialogue
from assistant.dialogue.checkup import Checkup, questionnaire, report_text
from assistant.dialogue.state import CheckupState, ConversationState
from assistant.integrations.llm import configured_answerer
from assistant.integrations.retriever import PolicyRetriever
from assistant.outcomes import Answered, Calculated, CheckupReport, InputError, NeedsInput, NotStated, Outcome, Refused
from assistant.retrieval.chroma_index import ChromaVectors, build_index, chroma_client
from assistant.retrieval.embeddings import Embedder, QueryCache
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import tokenizer_for
from assistant.storage.sessions import SessionStore, new_session_id
from assistant.understanding import guard
from assistant.understanding.examples import ExampleRouter
from assistant.understanding.policy_map import PolicyMap
from assistant.understanding.question import Intent, Question
from assistant.understanding.text import Script, detect_script, to_script, to_simplified
from assistant.understanding.understand import Understanding
from assistant.understanding.vocabulary import Vocabulary

log = logging.getLogger(__name__)


def not_found_text(script: Script, foreign: str) -> str:
    if script is Script.ENGLISH:
        scope = f" It covers Fuyang District only, not {foreign}." if foreign else ""
        return ("The Fuyang “Future Factory” policy does not answer this question, so I can't give an answer "
                f"from it.{scope} Try asking about its subsidies, goals, tasks or validity.")
    scope = f"该政策只适用于杭州市富阳区，不涉及{foreign}。" if foreign else ""
    return ("富阳区制造业数字化改造（“未来工厂”）政策原文中没有找到能回答这个问题的条款，"
            f"因此无法作答。{scope}您可以询问该政策的补助标准、目标任务、适用对象或有效期。")


def id_reused_text(script: Script) -> str:
    if script is Script.ENGLISH:
        return "This request id was already used for another message in this conversation; send a new id."
    return "该请求编号（id）已在本会话中用于另一条消息，请为新消息使用新的编号。"


class Assistant:
    """Turns (session, message, today) into a Reply. Every part is passed in; `from_settings`
    builds the real ones, tests pass fakes."""

    def __init__(self, *, settings: Settings, library: Library,
                 vocabulary: Vocabulary, retriever: HybridRetriever, sessions: SessionStore,
                 answerer: AnsweringStrategy | None = None, examples: ExampleRouter | None = None) -> None:
        """`answerer` answers ASK turns; the extractive one built from these parts by default.
        `examples` reads what a message asks when no cue does (none: cues alone)."""
        self.settings = settings
        self.library = library
        self.documents = documents = library.documents
        self.rulebook = rulebook = library.rulebook
        self.retriever = retriever
        self.sessions = sessions
        corrections = {wrong: right for d in documents for wrong, right in d.meta.corrections.items()}
        glossary = Glossary.from_folder(settings.corpus_dir / "vocabulary")
        policy_map = PolicyMap(documents, rulebook, vocabulary, retriever.tokenizer,
                               [(entry.zh, entry.en) for entry in glossary.entries])
        self.understanding = Understanding(vocabulary, rulebook, retriever.tokenizer, corrections, policy_map, examples,
                                           policy_index=retriever.lexical)
        self.calculator = CalculatorDialogue(rulebook, vocabulary)
        self.checkup = Checkup(rulebook, vocabulary)
        self.direct = direct = DirectAnswers(rulebook, vocabulary, retriever.tokenizer.domain_terms, glossary)
        # The plain answerer quotes one clause per question, so a message of several questions is
        # answered one by one; a model answerer searches as often as the message needs.
        self.extractive = ExtractiveAnswerer(retriever, rulebook, vocabulary, documents, direct, top_k=settings.top_k)
        self.answerer: AnsweringStrategy = answerer or self.extractive
        self.all_documents = {d.meta.doc_id for d in documents}
        self.clauses: dict[ClauseRef, tuple[Clause, str]] = {
            clause.ref: (clause, document.meta.title) for document in documents for clause in document.clauses}

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, progress: bool = False) -> Assistant:
        """The product: the e5 model, the Chroma index (updated when the corpus changed), the
        SQLite sessions, the vocabulary in corpus/vocabulary/."""
        settings = settings or get_settings()
        library = load_library(settings.corpus_dir)
        for problem in library.problems:
            log.warning("policy left out: %s", problem)
        documents = library.documents
        vocabulary = Vocabulary(settings.corpus_dir / "vocabulary")
        embedder = QueryCache(Embedder.from_settings(settings))
        client = chroma_client(settings)
        report = build_index(settings, documents, embedder, progress=progress, client=client)
        if report.embedded or report.removed:
            log.info(report.summary())
        dense = ChromaVectors(client, settings, embedder)  # follows `index --rebuild` while serving
        assistant = cls(settings=settings, library=library, vocabulary=vocabulary,
                        retriever=HybridRetriever(documents, tokenizer_for(settings), dense, vocabulary),
                        sessions=SessionStore(settings.sessions_db, settings.session_ttl_seconds),
                        examples=ExampleRouter.from_folder(settings.corpus_dir / "vocabulary", embedder,
                                                           cache_dir=settings.cache_dir / "examples")
                        if settings.use_examples else None)
        # The extractive answerer, or a language model with it as the fallback (LLM_PROVIDER).
        assistant.answerer = configured_answerer(settings, assistant)
        return assistant

    def langchain_retriever(self, k: int | None = None) -> PolicyRetriever:
        return PolicyRetriever(hybrid=self.retriever, k=k or self.settings.top_k)

    def warm_up(self) -> None:
        self.retriever.retrieve("工业机器人补贴", k=1)

    def meta_for(self, doc_id: str) -> DocumentMeta:
        return next(d.meta for d in self.documents if d.meta.doc_id == doc_id)

    # ── one turn ───────────────────────────────────────────────────────────────────────
    def reply(self, session: str | None, message: object, today: date, request_id: str | None = None) -> Reply:
        session = session or new_session_id()
        script = detect_script(message) if isinstance(message, str) else Script.SIMPLIFIED
        problem = guard.input_error(message, self.settings.max_message_chars, script)
        if problem:
            code, text = problem
            return Reply(id=request_id, session=session, status=Status.ERROR, answer=to_script(text, script),
                         error_code=code)
        assert isinstance(message, str)
        with self.sessions.turn(session, request_id, message) as turn:
            if turn.replay is not None:  # a retry of an answered request: its reply, the state unchanged
                return Reply.model_validate_json(turn.replay)
            if turn.conflict:
                return Reply(id=request_id, session=session, status=Status.ERROR, error_code="id_reused",
                             answer=to_script(id_reused_text(script), script))
            state = turn.state
            question = self.understanding.understand(message, state)
            outcome = self.decide(question, state, today)
            self._remember(question, outcome, state)
            reply = self.render(outcome, question.script, today).model_copy(
                update={"id": request_id, "session": session})
            turn.reply = reply.model_dump_json()  # saved with the state, in one transaction
        return reply

    def decide(self, question: Question, state: ConversationState, today: date) -> Outcome:
        if question.intent is Intent.REFUSE:
            return Refused(question.refusal or "")
        unstated = self._unstated(question)
        if unstated:
            return unstated
        if question.intent is not Intent.CHECKUP:
            state.checkup = CheckupState()  # anything else ends a check-up
        if question.intent is Intent.CHECKUP:
            return self.checkup.turn(question, state)
        if question.intent is Intent.CALCULATE and question.item and len(question.entities.items) <= 1 \
                and self.rulebook.rule(question.item).calculation == "no_figure":
            # "运营费用按多少比例补": the item sets no figure to compute, which is what the policy does not state.
            state.topic.item = question.item
            return no_figure_set(self.rulebook.rule(question.item), question.script)
        if question.intent in {Intent.CALCULATE, Intent.ANSWER_PENDING, Intent.EXPLAIN}:
            return self.calculator.turn(question, state)
        # A question asked in the middle of a calculation ("软件算不算在门槛里") leaves the
        # question asked back, and every figure given, where they were.
        if question.own_case:
            self.calculator.note(question, state)
        return self._each_question(question, state, today) or self.answerer.answer(question, state, today)

    def _each_question(self, question: Question, state: ConversationState, today: date) -> Answered | None:
        """"…哪个机构牵头？另外首席信息官有什么要求？": questions asked one after another, each read and
        answered on its own, so an item named in one does not decide the clause of the other. Only
        when every one is a question for the text answered from a clause of its own; else None."""
        if len(question.questions) < 2 or self.answerer is not self.extractive:
            return None
        answers: list[Answered] = []
        topic = state.topic.model_copy(deep=True)
        for text in question.questions:
            asked = self.understanding.understand(text, state)
            if asked.intent is Intent.CALCULATE and not asked.input_figures:
                # "一是国家级平台认定了给多少": a level's amount among other questions is quoted with its clause.
                asked = asked.model_copy(update={"intent": Intent.ASK})
            answer = self.answerer.answer(asked, state, today) if asked.intent is Intent.ASK else None
            if not isinstance(answer, Answered) or not answer.citations \
                    or any(answer.citations[0] == earlier.citations[0] for earlier in answers):
                state.topic = topic  # the message is answered as one question, from where it began
                return None
            answers.append(answer)
            self._note_topic(asked, answer, state)  # the next question may lean on this one
        citations: list = []
        for answer in answers:
            citations += [citation for citation in answer.citations if citation not in citations]
        return Answered("\n".join(answer.text for answer in answers), tuple(citations))

    def _unstated(self, question: Question) -> NotStated | None:
        """What no clause decides (money the policy never sets, one firm's chances, legal advice),
        said before any clause is looked for. A message that gives figures for a calculation is not
        turned away for a word beside them."""
        if question.intent not in {Intent.ASK, Intent.CALCULATE} or (question.input_figures
                                                                    and not question.outside_asked):
            return None
        reasons = self.direct.not_decided(question, self.documents[0].meta)
        return NotStated(reasons=tuple(reasons)) if reasons else None

    def _remember(self, question: Question, outcome: Outcome, state: ConversationState) -> None:
        state.language = question.script
        state.turns += 1
        state.facts.update(question.entities.facts)
        self._note_topic(question, outcome, state)

    @staticmethod
    def _note_topic(question: Question, outcome: Outcome, state: ConversationState) -> None:
        if isinstance(outcome, Answered) and outcome.citations:
            top = outcome.citations[0]
            state.topic.clause, state.topic.doc_id = to_simplified(top.location), top.doc_id
            state.topic.asked = [kind.value for kind in question.asked]
            levels = {level.value for level in question.entities.levels if level.item == state.topic.item}
            state.topic.level = levels.pop() if len(levels) == 1 else None

    # ── outcome → Reply ────────────────────────────────────────────────────────────────
    def render(self, outcome: Outcome, script: Script, today: date) -> Reply:
        """The Reply for an outcome, in the user's script; session and id are set by the caller."""
        session = ""
        if isinstance(outcome, Refused):
            refusal = self.understanding.vocabulary.refusal_named(outcome.rule)
            own = refusal.reply.get("en" if script is Script.ENGLISH else "zh") if refusal else None
            return Reply(session=session, status=Status.REFUSED,
                         answer=to_script(own or guard.refusal_text(script, outcome.rule), script))
        if isinstance(outcome, InputError):
            return Reply(session=session, status=Status.ERROR, answer=to_script(error_text(outcome), script),
                         error_code=outcome.code)
        if isinstance(outcome, NeedsInput):
            citations = self.cite([rule_clause(self.rulebook.rule(item)) for item in outcome.items], script)
            text = needs_input_text(outcome, script, self.rulebook)
            return self._with_warnings(Reply(
                session=session, status=Status.NEEDS_INFO, answer=to_script(text, script),
                citations=citations, follow_up=to_script(outcome.follow_up, script)), today, script)
        if isinstance(outcome, Calculated):
            citations = self.cite([rule_clause(self.rulebook.rule(item)) for item in outcome.items], script)
            status = Status.CALCULATED if outcome.eligible else Status.NOT_ELIGIBLE
            text = calculated_text(outcome, script, self.rulebook)
            return self._with_warnings(Reply(
                session=session, status=status, answer=to_script(text, script),
                citations=citations, calculations=[to_contract(c) for c in outcome.calculations],
                total_yuan=float(outcome.total_yuan) if outcome.total else None), today, script)
        if isinstance(outcome, CheckupReport):
            return self._checkup_reply(outcome, today, script)
        if isinstance(outcome, NotStated):
            text = "\n".join(outcome.reasons) if outcome.reasons else not_found_text(script, outcome.foreign_place)
            # Nothing is cited; when the caller asked about this policy (what it does not state),
            # say whether it is in force. A question about something else gets no policy warning.
            warnings = self.warnings_for(self.all_documents, today, script) if outcome.reasons else []
            return Reply(session=session, status=Status.NOT_FOUND, answer=to_script(text, script), warnings=warnings,
                         citations=self.cite(list(outcome.locations), script))
        reply = self._with_warnings(Reply(session=session, status=Status.ANSWERED,
                                          answer=to_script(outcome.text, script), citations=list(outcome.citations),
                                          calculations=[to_contract(c) for c in outcome.calculations]), today, script)
        said = [to_script(warning, script) for warning in outcome.warnings]
        return reply.model_copy(update={"warnings": [*reply.warnings, *said]})

    def _checkup_reply(self, outcome: CheckupReport, today: date, script: Script) -> Reply:
        report = outcome.report
        if report is None or not (report.items or report.not_eligible):
            ask = to_script(questionnaire(script), script)
            return Reply(session="", status=Status.NEEDS_INFO, answer=ask, follow_up=ask,
                         warnings=self.warnings_for(self.all_documents, today, script))
        assessed = [*report.items, *report.not_eligible]
        calculations = [to_contract(item.calculation) for item in assessed if item.calculation]
        status = Status.CALCULATED if any(c.eligible for c in calculations) else Status.NOT_ELIGIBLE
        if not calculations:
            status = Status.ANSWERED
        return self._with_warnings(Reply(
            session="", status=status, answer=to_script(report_text(report, script), script),
            citations=self.cite([ClauseRef(item.doc_id, item.clause) for item in assessed], script),
            calculations=calculations), today, script)

    def cite(self, clauses: list[ClauseRef], script: Script) -> list[Citation]:
        """One citation per distinct clause, in the order given."""
        return [extractive.cite(*self.clauses[ref], script) for ref in dict.fromkeys(clauses)]

    def _with_warnings(self, reply: Reply, today: date, script: Script) -> Reply:
        warnings = self.warnings_for({c.doc_id for c in reply.citations}, today, script)
        return reply.model_copy(update={"warnings": warnings})

    def warnings_for(self, doc_ids: set[str], today: date, script: Script) -> list[str]:
        warnings = []
        for doc_id in sorted(doc_ids):
            warning = extractive.validity_warning(self.meta_for(doc_id), today, script)
            if warning:
                warnings.append(to_script(warning, script))
        return warnings

