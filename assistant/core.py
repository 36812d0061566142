"""`Assistant.reply(session, message, today)`: the one function every interface calls.

    message + conversation state ─► understand ─► Question
        refuse ─► Refused · check-up ─► Checkup · calculate / answer pending ─► CalculatorDialogue
        ask ─► retrieve ─► in scope? ─► Answered | NotStated
    ─► Reply (validity warnings, the user's script) ─► state saved, one writer per session
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from assistant.answering.direct import DirectAnswers
from assistant.answering.english import Glossary
from assistant.answering.library import LibraryAnswers
from assistant.answering.replies import ReplyWriter, id_reused_text
from assistant.answering.strategy import AnsweringStrategy, ExtractiveAnswerer, no_figure_set
from assistant.config import Settings, get_settings
from assistant.contract import Reply, Status
from assistant.corpus.documents import Document, DocumentMeta
from assistant.corpus.library import Library, load_library
from assistant.corpus.routing import PolicyRouter
from assistant.dialogue.calculator import CalculatorDialogue
from assistant.dialogue.checkup import Checkup
from assistant.dialogue.state import CheckupState, ConversationState
from assistant.language.text import Script, detect_script, to_script, to_simplified
from assistant.language.tokenizer import tokenizer_for
from assistant.language.vocabulary import Vocabulary
from assistant.outcomes import Answered, NotStated, Outcome, Refused
from assistant.retrieval.chroma_index import chroma_client
from assistant.retrieval.embeddings import Embedder, QueryCache
from assistant.retrieval.hybrid import HybridRetriever, LibraryClauses
from assistant.retrieval.indexes import open_indexes
from assistant.storage.sessions import SessionStore, new_session_id
from assistant.storage.stores import session_store
from assistant.understanding import guard
from assistant.understanding.examples import ExampleRouter
from assistant.understanding.policy_map import PolicyMap
from assistant.understanding.question import Intent, Question
from assistant.understanding.understand import Understanding

if TYPE_CHECKING:
    from assistant.integrations.llm import PolicyParts
    from assistant.integrations.retriever import PolicyRetriever

log = logging.getLogger(__name__)


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
        self.rulebook = rulebook = library.rulebook
        self.retriever = retriever
        self.sessions = sessions
        metas = [policy.meta for policy in library.policies]
        corrections = {wrong: right for meta in metas for wrong, right in meta.corrections.items()}
        glossary = Glossary.from_folder(settings.corpus_dir / "vocabulary")
        policy_map = PolicyMap(library.search_text, metas, rulebook, vocabulary, retriever.tokenizer,
                               [(entry.zh, entry.en) for entry in glossary.entries])
        self.understanding = Understanding(vocabulary, rulebook, retriever.tokenizer, corrections, policy_map, examples,
                                           policy_index=retriever.lexical)
        self.calculator = CalculatorDialogue(rulebook, vocabulary)
        self.checkup = Checkup(library, vocabulary)
        self.direct = direct = DirectAnswers(rulebook, vocabulary, retriever.tokenizer.domain_terms, glossary)
        # The plain answerer quotes one clause per question, so a message of several questions is
        # answered one by one; a model answerer searches as often as the message needs.
        self.extractive = ExtractiveAnswerer(retriever, rulebook, vocabulary, library, direct, top_k=settings.top_k)
        self.answerer: AnsweringStrategy = answerer or self.extractive
        self.router = PolicyRouter(library)
        self.library_answers = LibraryAnswers(library, self.router)
        self.replies = ReplyWriter(library, vocabulary)
        self.clauses = self.replies.clauses
        self.render = self.replies.render
        self.warnings_for = self.replies.warnings_for

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, progress: bool = False) -> Assistant:
        """The product: the e5 model, the saved indexes (brought up to date when the corpus
        changed), the session store, the vocabulary in corpus/vocabulary/."""
        settings = settings or get_settings()
        library = load_library(settings.corpus_dir, settings.library_snapshot)
        for problem in library.problems:
            log.warning("policy left out: %s", problem)
        vocabulary = Vocabulary(settings.corpus_dir / "vocabulary")
        embedder = QueryCache(Embedder.from_settings(settings))
        tokenizer = tokenizer_for(settings, library.user_dictionaries)
        indexes = open_indexes(settings, library, tokenizer, embedder, chroma_client(settings), progress)
        if indexes.report and (indexes.report.embedded or indexes.report.removed):
            log.info(indexes.report.summary())
        assistant = cls(settings=settings, library=library, vocabulary=vocabulary,
                        retriever=HybridRetriever(LibraryClauses(library), tokenizer, indexes.lexical,
                                                  indexes.dense, vocabulary),
                        sessions=session_store(settings),
                        examples=ExampleRouter.from_folder(settings.corpus_dir / "vocabulary", embedder,
                                                           cache_dir=settings.cache_dir / "examples")
                        if settings.use_examples else None)
        # The extractive answerer, or a language model with it as the fallback (LLM_PROVIDER).
        if settings.llm_provider != "none":
            # LangChain is imported only when a model answers: a process without one starts faster.
            from assistant.integrations.llm import configured_answerer

            assistant.answerer = configured_answerer(settings, assistant.policy_parts(), assistant.answerer)
        return assistant

    @property
    def documents(self) -> tuple[Document, ...]:
        """Every policy's text and clauses: reads them all; the answering path reads by policy."""
        return self.library.documents

    def langchain_retriever(self, k: int | None = None) -> PolicyRetriever:
        from assistant.integrations.retriever import PolicyRetriever

        return PolicyRetriever(hybrid=self.retriever, k=k or self.settings.top_k)

    def policy_parts(self) -> PolicyParts:
        from assistant.integrations.llm import PolicyParts

        """What a model answerer reads of this assistant's library."""
        return PolicyParts(self.documents, self.rulebook, self.clauses, self.langchain_retriever())

    def warm_up(self) -> None:
        self.retriever.retrieve("工业机器人补贴", k=1)

    def meta_for(self, doc_id: str) -> DocumentMeta:
        return self.library.policy(doc_id).meta

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
            question = self.understand(message, state, today)
            outcome = self.decide(question, state, today)
            self._remember(question, outcome, state)
            reply = self.render(outcome, question.script, today).model_copy(
                update={"id": request_id, "session": session})
            reply = self.replies.with_namesakes(reply, self.router.namesakes(self._items_of(reply, question, state),
                                                                             question.text), today, question.script)
            turn.reply = reply.model_dump_json()  # saved with the state, in one transaction
        return reply

    def understand(self, message: str, state: ConversationState, today: date) -> Question:
        """The message read, with the library's policies in the order it concerns them: a policy it
        names (kept for the turns after), the one the conversation named, then by validity."""
        named = self.router.named(message)
        if named:
            state.policy = named[0]
            message = self.router.without_names(message)
        return self.understanding.understand(message, state, self.router.order(today, *named, state.policy))

    def decide(self, question: Question, state: ConversationState, today: date) -> Outcome:
        if question.intent is Intent.REFUSE:
            return Refused(question.refusal or "")
        unstated = self._unstated(question)
        if unstated:
            return unstated
        if question.intent is not Intent.CHECKUP:
            state.checkup = CheckupState()  # anything else ends a check-up
        if question.intent is Intent.CHECKUP:
            return self.checkup.turn(question, state, today)
        if question.intent is Intent.ASK and self.library_answers.about_the_library(question):
            return self.library_answers.answer(question, today)
        if question.intent is Intent.CALCULATE and question.item and len(question.entities.items) <= 1 \
                and self.rulebook.rule(question.item).calculation == "no_figure":
            # "运营费用按多少比例补": the item sets no figure to compute, which is what the policy does not state.
            state.topic.item = question.item
            return no_figure_set(self.rulebook.rule(question.item), question.script)
        if question.intent in {Intent.CALCULATE, Intent.ANSWER_PENDING, Intent.EXPLAIN} \
                and self.calculator.takes(question, state):
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
            asked = self.understand(text, state, today)
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
        meta = self.library.policies[0].meta
        reasons = self.direct.not_decided(question, meta)
        return NotStated(reasons=tuple(reasons), policies=(meta.doc_id,)) if reasons else None

    @staticmethod
    def _items_of(reply: Reply, question: Question, state: ConversationState) -> list[str]:
        """The items a reply is about: those it computed, else the one the answer took up."""
        if reply.calculations:
            return [calculation.item for calculation in reply.calculations]
        if reply.status in {Status.ANSWERED, Status.NEEDS_INFO} and state.topic.item in question.entities.items:
            return [state.topic.item]
        return []

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
