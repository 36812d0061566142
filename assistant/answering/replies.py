"""An outcome in words: the Reply every interface returns, in the caller's script, with the
clauses cited and a warning for each cited policy that is not in force on `today`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

from assistant.answering import extractive
from assistant.answering.calculations import calculated_text, error_text, needs_input_text, to_contract
from assistant.answering.extractive import capitalised, day_in
from assistant.contract import Citation, Reply, Status
from assistant.corpus.documents import Clause, ClauseRef, rule_clause
from assistant.corpus.library import Library
from assistant.corpus.policy import Validity
from assistant.dialogue.checkup import questionnaire, report_text
from assistant.language.text import Script, to_script
from assistant.language.vocabulary import Vocabulary
from assistant.language.wording import wording
from assistant.outcomes import Calculated, CheckupReport, InputError, NeedsInput, NotStated, Outcome, Refused
from assistant.understanding import guard
from calculators import Rule


def id_reused_text(script: Script) -> str:
    return wording(script)("id_reused")


class CitedClauses(Mapping[ClauseRef, tuple[Clause, str]]):
    """Clause and policy title by reference; a policy's text is read when one of its clauses is cited."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def __getitem__(self, ref: ClauseRef) -> tuple[Clause, str]:
        clause = self.library.clause_at(ref)
        if clause is None:
            raise KeyError(ref)
        return clause, self.library.policy(ref.doc_id).meta.title

    def __iter__(self) -> Iterator[ClauseRef]:
        return (clause.ref for document in self.library.documents for clause in document.clauses)

    def __len__(self) -> int:
        return sum(len(document.clauses) for document in self.library.documents)


class ReplyWriter:
    def __init__(self, library: Library, vocabulary: Vocabulary) -> None:
        self.library = library
        self.rulebook = library.rulebook
        self.vocabulary = vocabulary
        self.all_documents = {policy.doc_id for policy in library.policies}
        self.clauses = CitedClauses(library)

    def render(self, outcome: Outcome, script: Script, today: date) -> Reply:
        """The Reply for an outcome, in the user's script; session and id are set by the caller."""
        session = ""
        if isinstance(outcome, Refused):
            refusal = self.vocabulary.refusal_named(outcome.rule)
            own = refusal.reply.get("en" if script is Script.ENGLISH else "zh") if refusal else None
            text = own or guard.refusal_text(script, outcome.rule, self._policies(script))
            return Reply(session=session, status=Status.REFUSED, answer=to_script(text, script))
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
            names = {p.doc_id: p.meta.name_in(script is Script.ENGLISH) for p in self.library.policies}
            text = calculated_text(outcome, script, self.rulebook, names)
            return self._with_warnings(Reply(
                session=session, status=status, answer=to_script(text, script),
                citations=citations, calculations=[to_contract(c) for c in outcome.calculations],
                total_yuan=float(outcome.total_yuan) if outcome.total else None), today, script)
        if isinstance(outcome, CheckupReport):
            return self._checkup_reply(outcome, today, script)
        if isinstance(outcome, NotStated):
            text = "\n".join(outcome.reasons) if outcome.reasons else self.not_found_text(script, outcome.foreign_place)
            # When the caller asked about a policy (what it does not state), say whether that policy
            # is in force. A question about something else gets no policy warning.
            concerned = {ref.doc_id for ref in outcome.locations} | set(outcome.policies)
            warnings = self.warnings_for(concerned, today, script) if outcome.reasons else []
            return Reply(session=session, status=Status.NOT_FOUND, answer=to_script(text, script), warnings=warnings,
                         citations=self.cite(list(outcome.locations), script))
        reply = self._with_warnings(Reply(session=session, status=Status.ANSWERED,
                                          answer=to_script(outcome.text, script), citations=list(outcome.citations),
                                          calculations=[to_contract(c) for c in outcome.calculations]), today, script)
        said = [to_script(warning, script) for warning in outcome.warnings]
        return reply.model_copy(update={"warnings": [*reply.warnings, *said]})

    def _checkup_reply(self, outcome: CheckupReport, today: date, script: Script) -> Reply:
        if not outcome.checks:
            ask = to_script(questionnaire(script), script)
            in_force = {policy.doc_id for policy in self.library.in_force(today)}
            return Reply(session="", status=Status.NEEDS_INFO, answer=ask, follow_up=ask,
                         warnings=self.warnings_for(in_force or self.all_documents, today, script))
        # Amounts to apply for come from the policies in force; an expired one's only when none is.
        applicable = [check for check in outcome.checks if check.in_force] or list(outcome.checks)
        assessed = [item for check in outcome.checks for item in (*check.report.items, *check.report.not_eligible)]
        calculations = [to_contract(item.calculation) for check in applicable
                        for item in (*check.report.items, *check.report.not_eligible) if item.calculation]
        status = Status.CALCULATED if any(c.eligible for c in calculations) else Status.NOT_ELIGIBLE
        if not calculations:
            status = Status.ANSWERED
        names = {policy.doc_id: policy.meta.name_in(script is Script.ENGLISH) for policy in self.library.policies}
        return self._with_warnings(Reply(
            session="", status=status, answer=to_script(report_text(outcome.checks, names, script), script),
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
            successors = [policy.meta for policy in self.library.successors(doc_id)]
            warning = extractive.validity_warning(self.library.policy(doc_id).meta, today, script, successors)
            if warning:
                warnings.append(to_script(warning, script))
        return warnings

    def with_namesakes(self, reply: Reply, namesakes: list[Rule], today: date, script: Script) -> Reply:
        """A note for each item of a policy the reply does not cite that has the same name as one it
        answers about: which policy, whether it is in force, where it stands in that policy."""
        cited = {citation.doc_id for citation in reply.citations}
        notes = [self._namesake_note(rule, today, script) for rule in namesakes if rule.doc_id not in cited]
        if not notes:
            return reply
        return reply.model_copy(update={"warnings": [*reply.warnings, *(to_script(n, script) for n in notes)]})

    def _namesake_note(self, rule: Rule, today: date, script: Script) -> str:
        policy = self.library.policy(rule.doc_id)
        meta, validity = policy.meta, policy.validity(today)
        english = script is Script.ENGLISH
        say = wording(script)
        key = {Validity.EXPIRED: "namesake.expired", Validity.IN_FORCE: "namesake.in_force",
               Validity.NOT_YET: "namesake.not_yet"}[validity]
        status = say(key, until=day_in(meta.in_force_until, english), since=day_in(meta.in_force_from, english))
        return say("namesake.note", name=capitalised(meta.name_in(english)), status=status,
                   title=rule.title_en if english else rule.title, clause=rule.clause)

    def _policies(self, script: Script) -> str:
        """The library's one policy by name, or its policies together."""
        if len(self.library.policies) == 1:
            return self.library.policies[0].meta.name_in(script is Script.ENGLISH)
        return wording(script)("refusal.library")

    def not_found_text(self, script: Script, foreign: str) -> str:
        """Nothing in the library answers: naming the policy when there is one."""
        say = wording(script)
        one = len(self.library.policies) == 1
        scope = say("not_found.scope_one" if one else "not_found.scope_many", place=foreign) if foreign else ""
        if one:
            name = capitalised(self.library.policies[0].meta.name_in(script is Script.ENGLISH))
            return say("not_found.one", name=name, scope=scope)
        return say("not_found.many", scope=scope)
