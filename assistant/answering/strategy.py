"""Answering strategies: how an ASK turn becomes an answer. The extractive strategy (the
default) retrieves the clause, decides whether it states what was asked, and writes the direct
lead and the quote; another strategy (e.g. a language model) implements the same interface."""

from __future__ import annotations

import re
from datetime import date
from typing import Protocol

from assistant.answering import extractive
from assistant.answering.direct import DOCUMENT_KINDS, FIGURE_KINDS, ITEM_KINDS, DirectAnswers
from assistant.answering.policy_scope import PolicyScope
from assistant.answering.rule_facts import RuleFacts
from assistant.corpus.documents import ClauseRef, DocumentMeta, rule_clause
from assistant.corpus.library import Library
from assistant.dialogue.state import ConversationState
from assistant.language.text import MONEY_FIGURE, Script
from assistant.language.vocabulary import Vocabulary
from assistant.language.wording import wording
from assistant.outcomes import Answered, NotStated
from assistant.retrieval.hybrid import Hit, HybridRetriever
from assistant.understanding.question import Asked, Question
from calculators import Rule, RuleBook

_DIGIT = re.compile(r"\d")


def no_figure_set(rule: Rule, script: Script) -> NotStated:
    """An item that promises support but sets no figure, asked for one: not stated, citing its clause."""
    reason = RuleFacts(rule, script is Script.ENGLISH).no_figure() or ""
    return NotStated(reasons=(reason,), locations=(rule_clause(rule),))


# How many of the best clauses are weighed by how many of the question's policy terms they hold:
# the fused ranking's first three (hit@3 is 100 % on the blind and held-out retrieval sets).
TERMS_RERANK = 3
# A rate a clause states: a percentage or percentage points.
_RATE_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|个百分点)")


class AnsweringStrategy(Protocol):
    def answer(self, question: Question, state: ConversationState, today: date) -> Answered | NotStated:
        """The answer to an ASK turn; may set `state.topic.item` to the item the answer is about."""
        ...


class ExtractiveAnswerer:
    def __init__(self, retriever: HybridRetriever, rulebook: RuleBook, vocabulary: Vocabulary,
                 library: Library, direct: DirectAnswers, *, top_k: int) -> None:
        self.retriever = retriever
        self.rulebook = rulebook
        self.vocabulary = vocabulary
        self.library = library
        self.direct = direct
        self.top_k = top_k
        self.scope = PolicyScope(library)

    def meta_for(self, doc_id: str) -> DocumentMeta:
        return self.library.policy(doc_id).meta

    def _ref(self, location: str) -> ClauseRef:
        """The first library clause at `location`, for a location understanding found by label."""
        found = self.library.first_clause_at(location)
        if found is None:
            raise LookupError(f"no policy of the library has a clause at {location}")
        return found.ref

    def answer(self, question: Question, state: ConversationState, today: date) -> Answered | NotStated:
        retrieval = self.retriever.retrieve(question.text, k=self.top_k,
                                            expanded=question.search_text, places=question.entities.places)
        retrieval = self.scope.focus(retrieval, question, state)
        foreign = str(retrieval.signals.get("foreign_place", ""))
        if foreign:
            return NotStated(foreign_place=foreign)
        items = list(dict.fromkeys([*([question.item] if question.item else []), *question.entities.items]))
        if question.follow_up and not items and question.entities.facts:
            # "如果是小微企业呢" on a clause: the items of that clause whose conditions the facts settle.
            items = self._items_settled_by(question.entities.facts, _topic_clause(state))
        if items:
            state.topic.item = items[0]
        unpaid_clauses = set(question.unpaid_levels.values())
        if unpaid_clauses and self._figure_asked(question) and all(
                self.rulebook.rule(item).clause in unpaid_clauses for item in items):
            # "市级聚能工厂补多少": a kind named beside the ladder that pays nothing for it.
            location = next(iter(question.unpaid_levels.values()))
            return NotStated(reasons=(self._unpaid(question, location, items),), locations=(self._ref(location),))
        anchor = self._anchor(question, items, state)
        if anchor:
            retrieval = self.retriever.promote(retrieval, anchor)
        else:
            covering = self._most_terms(question, retrieval.hits[:TERMS_RERANK])
            if covering is not None:
                retrieval = self.retriever.promote(retrieval, covering)
        # "机器人按多少比例补？物联网项目又是多少？": several items asked about, each in its own clause.
        each_clause = self._clauses_of_several(question, items)
        for ref in reversed(each_clause):
            retrieval = self.retriever.promote(retrieval, ref)
        if not (retrieval.in_scope or anchor) or not retrieval.hits:
            meta = self.meta_for(self.scope.document_for(question, state) or self.library.policies[0].doc_id)
            return NotStated(reasons=tuple(self.direct.build(question, [], None, meta, today).unstated),
                             policies=(meta.doc_id,))
        top = retrieval.hits[0]
        if not items:
            # "我们是做数字化改造服务的": the one item the answering clause pays becomes the topic, so a
            # figure in the next turn lands on it.
            paid = [rule.id for rule in self.rulebook.rules
                    if rule_clause(rule) == top.clause.ref and rule.calculation != "no_figure"]
            if len(paid) == 1:
                state.topic.item = paid[0]
        # An item gets its own sentence only when the answer rests on its clause: "到2025年培育多少家
        # 智能工厂" names an item's words but asks about the goals.
        items = [item for item in items if rule_clause(self.rulebook.rule(item)) in (each_clause or [top.clause.ref])]
        if question.unmentioned:
            # "二手设备算不算": the policy never speaks of what the question turns on.
            return NotStated(reasons=(self._unmentioned(question, top),), locations=(top.clause.ref,))
        if not items and question.text in self.vocabulary.number_wanted and not _DIGIT.search(top.clause.text):
            # "银行贷款能贷多少": the clause on the subject sets no number at all.
            return NotStated(reasons=(self._no_number(question, top),), locations=(top.clause.ref,))
        if not items and self._money_asked(question) and not MONEY_FIGURE.search(top.clause.text):
            # "首席信息官有补贴吗": the clause on the subject sets no money at all.
            return NotStated(reasons=(self._no_number(question, top),), locations=(top.clause.ref,))
        unset = [item for item in items[:1] if self.rulebook.rule(item).calculation == "no_figure"]
        if unset and _RATE_FIGURE.search(self.rulebook.rule(unset[0]).quote or "") and Asked.RATE in question.asked \
                and not set(question.asked) & {Asked.CAP, Asked.THRESHOLD}:
            # "新制造业计划的比例会不会上调", "补助比例提高多少": the clause states a rate (提高2个百分点),
            # which is what a question naming the rate asks, whatever else it says of money.
            unset = []
        if unset and set(question.asked) & {Asked.AMOUNT, Asked.RATE, Asked.CAP, Asked.THRESHOLD}:
            # "“1+N”试点补多少": the item promises support but sets no figure — what the policy does not state.
            return no_figure_set(self.rulebook.rule(unset[0]), question.script)
        direct = self.direct.build(question, items, top.clause, self.meta_for(top.clause.doc_id), today)
        if direct.unstated and not direct.lines:
            return NotStated(reasons=tuple(direct.unstated), policies=(top.clause.doc_id,))
        # An answer resting on a chosen clause cites that clause alone.
        hits = retrieval.hits[:len(each_clause) or 1] if anchor else retrieval.hits
        lead = direct.lines + direct.unstated
        qualifiers = self.vocabulary.qualifiers
        tokenizer = self.retriever.tokenizer
        answered_parts = [] if anchor else self._answer_parts(question)
        if len(answered_parts) >= 2:
            # Several questions answered by different clauses: each gets its own quote.
            texts, citations = [], []
            for number, (search_text, hit) in enumerate(answered_parts):
                text, cited = extractive.compose(search_text, [hit], tokenizer, question.script, qualifiers,
                                                 lead=lead if number == 0 else None)
                texts.append(text)
                citations += [c for c in cited if c not in citations]
            return Answered("\n".join(texts), tuple(citations))
        text, citations = extractive.compose(question.search_text, hits, tokenizer, question.script, qualifiers,
                                             lead=lead)
        return Answered(text, tuple(citations))

    def _said(self, question: Question, top: Hit) -> str:
        """The clause's one sentence nearest the question, for saying what it does state."""
        said = extractive.best_sentences(top.clause.text, question.search_text, self.retriever.tokenizer, limit=1)
        return said[0].rstrip("。；;") if said else ""

    def _unmentioned(self, question: Question, top: Hit) -> str:
        say = wording(question.script)
        terms = say.join([say("unstated.term", term=term) for term in question.unmentioned])
        return say("unstated.unmentioned", terms=terms, location=top.clause.location, quoted=self._said(question, top))

    def _figure_asked(self, question: Question) -> bool:
        if Asked.COUNT in question.asked:
            return False  # "到2025年培育多少家聚能工厂" counts factories, it asks for no money
        words = set(re.findall(r"[a-z]+", question.text))  # English money words count as whole words
        return bool(set(question.asked) & set(FIGURE_KINDS)) or question.text in self.vocabulary.number_wanted \
            or any(noun in question.text for noun in self.vocabulary.money_nouns["general"]) \
            or bool(words & set(self.vocabulary.money_nouns["general_en"]))

    def _unpaid(self, question: Question, location: str, items: list[str]) -> str:
        """That the kind asked about is not among the levels the clause pays, naming those levels
        without their figures (a caller would take one for the answer)."""
        english = question.script is Script.ENGLISH
        say = wording(question.script)
        named = say.join([say("unstated.term", term=self.direct.glossary.term(name) or name if english else name)
                          for name in question.unpaid_levels])
        ladders = [rule for rule in self.rulebook.rules if rule.clause == location and rule.calculation == "tiered"
                   and rule.tier_input and (not items or rule.id in items)]
        paid = [choice.label.en if english else choice.label.zh for rule in ladders
                for choice in rule.input(rule.tier_input or "").choices or [] if choice.value in
                {tier.level for tier in rule.tiers or []}]
        return say("unstated.unpaid", named=named, location=location, paid=say.join(paid))

    def _money_asked(self, question: Question) -> bool:
        """Whether some money is paid for it ("有补贴吗", "给不给奖励"), not whether the document
        still holds ("这个补贴今年还能申请吗")."""
        if set(question.asked) & set(DOCUMENT_KINDS):
            return False
        return question.text in self.vocabulary.yes_no_question and any(
            noun in question.text for noun in self.vocabulary.money_nouns["general"])

    def _no_number(self, question: Question, top: Hit) -> str:
        """What the clause on the subject says, and that it sets no figure."""
        return wording(question.script)("unstated.no_number", location=top.clause.location,
                                         quoted=self._said(question, top))

    def _most_terms(self, question: Question, hits: list[Hit]) -> ClauseRef | None:
        """Of the best clauses found, the one holding more of the question's words than the first
        ("赋能工场和智造工场的亩均产出": the goals name both places, 二（三） also their 亩均产出)."""
        terms = {word for word in self.retriever.tokenizer.tokens(question.search_text)
                 if len(word) >= 2 and word not in self.vocabulary.question_words
                 and not any(word in cues for cues in self.vocabulary.asked.values())}
        if not hits or not terms:
            return None
        # The policy is chosen first (PolicyScope.focus); the clause is chosen within it.
        hits = [hit for hit in hits if hit.clause.doc_id == hits[0].clause.doc_id]
        held = [sum(term in hit.clause.search_text for term in terms) for hit in hits]  # search_text is folded
        best = max(range(len(hits)), key=lambda i: (held[i], -i))
        return hits[best].clause.ref if held[best] > held[0] else None

    def _clauses_of_several(self, question: Question, items: list[str]) -> list[ClauseRef]:
        """The clauses of the items a message asks about together ("分别", or one question each),
        when they differ; empty otherwise."""
        several = len(question.parts) >= 2 or question.text in self.vocabulary.several
        if not several or not (set(question.asked) & ITEM_KINDS or question.text in self.vocabulary.number_wanted):
            return []
        clauses = list(dict.fromkeys(rule_clause(self.rulebook.rule(item)) for item in items))
        return clauses if len(clauses) >= 2 else []

    def _answer_parts(self, question: Question) -> list[tuple[str, Hit]]:
        """For a message asking several questions, each with the clause that answers it, when
        they are answered by different clauses."""
        answered: list[tuple[str, Hit]] = []
        for search_text in question.parts:
            found = self.retriever.retrieve(search_text, k=1, expanded=search_text, places=[])
            if found.in_scope and found.hits and all(found.hits[0].clause != hit.clause for _, hit in answered):
                answered.append((search_text, found.hits[0]))
        return answered

    def _items_settled_by(self, facts: dict[str, bool], clause: ClauseRef | None) -> list[str]:
        return [rule.id for rule in self.rulebook.rules if rule_clause(rule) == clause
                and any(rule.input(c.input).profile_field in facts for c in rule.conditions)]

    def _names_in(self, question: Question, ref: ClauseRef) -> bool:
        """The clause `ref` holds a term of the policy the question names, beyond its general words."""
        clause = self.library.clause_at(ref)
        return clause is not None and any(
            term in question.text and term in clause.text and term not in self.vocabulary.generic_terms
            for term in self.retriever.tokenizer.domain_terms)

    def _anchor(self, question: Question, items: list[str], state: ConversationState) -> ClauseRef | None:
        """The clause the answer must rest on, when the question says which: the item's, the
        topic's for a follow-up, the closing clause (dates, department) for one about the document."""
        asked = set(question.asked)
        topic = _topic_clause(state)
        if question.carried and topic and self._names_in(question, topic):
            return topic  # the last question asked again, of something its clause names too
        # Dates, validity, department and the repealed document are in the closing clause; who
        # adopted and issued it is in the notice, which retrieval finds on its own.
        if asked & (set(DOCUMENT_KINDS) - {Asked.ISSUER}) and not asked & ITEM_KINDS and not question.entities.items:
            return self.scope.closing_of(question, state)
        # Only the document has a term of validity: "机器人补贴管到哪一年" asks when the policy ends.
        if asked & {Asked.VALIDITY, Asked.REPEAL} and not asked & ITEM_KINDS:
            return self.scope.closing_of(question, state)
        # A level named ("And a digital workshop?") points at its item's ladder, unless the question
        # counts things ("到2025年创建多少家省级平台" is about the goals).
        levels_of_item = bool(items) and Asked.COUNT not in asked and any(
            level.item == items[0] for level in question.entities.levels)
        if items and (asked & ITEM_KINDS or question.follow_up or levels_of_item):
            return rule_clause(self.rulebook.rule(items[0]))
        if question.follow_up and topic:
            return topic
        return None


def _topic_clause(state: ConversationState) -> ClauseRef | None:
    topic = state.topic
    return ClauseRef(topic.doc_id, topic.clause) if topic.clause and topic.doc_id else None
