"""Which policy of the library an answer rests on, and the clauses it finds kept to it.

A policy the caller named is the only one searched. Otherwise every policy is searched, and
when the best clause belongs to a policy further down the message's order (corpus/routing.py:
in force before expired) than another clause cited beside it, that other clause leads.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.answering.extractive import NEIGHBOUR_SHARE
from assistant.corpus.documents import ClauseRef
from assistant.corpus.library import Library
from assistant.dialogue.state import ConversationState
from assistant.retrieval.hybrid import Retrieval
from assistant.understanding.question import Question


class PolicyScope:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.policies = library.policies_by_id  # in folder order

    def document_for(self, question: Question, state: ConversationState) -> str | None:
        """The policy a question about "the document" means: the one named, the conversation's,
        else the first in the message's order."""
        for doc_id in (state.policy, state.topic.doc_id, *question.policies):
            if doc_id in self.policies:
                return doc_id
        return next(iter(self.policies), None)

    def closing_of(self, question: Question, state: ConversationState) -> ClauseRef | None:
        doc_id = self.document_for(question, state)
        if not doc_id:
            return None
        closing = [c.ref for c in self.library.policy(doc_id).document.clauses if c.kind == "closing"]
        return closing[-1] if closing else None

    def focus(self, retrieval: Retrieval, question: Question, state: ConversationState) -> Retrieval:
        hits = retrieval.hits
        if len({hit.clause.doc_id for hit in hits}) < 2:
            return retrieval
        if state.policy in self.policies:
            kept = [hit for hit in hits if hit.clause.doc_id == state.policy]
            return replace(retrieval, hits=kept) if kept else retrieval
        order = list(question.policies)

        def rank(doc_id: str) -> int:
            return order.index(doc_id) if doc_id in order else len(order)

        # Only clauses the answer would cite beside the best one may take its place.
        cited = [hit for hit in hits if hit.score >= NEIGHBOUR_SHARE * hits[0].score]
        best = min(cited, key=lambda hit: rank(hit.clause.doc_id))
        if best is hits[0]:
            return retrieval
        lead = replace(best, score=hits[0].score)
        return replace(retrieval, hits=[lead, *(hit for hit in hits if hit is not best)])
