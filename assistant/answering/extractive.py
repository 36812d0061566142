"""Extractive answers: the sentence that answers, the clause it comes from, the key figures.

Text here is written in Simplified; the caller renders it in the user's script."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from assistant.contract import Citation
from assistant.corpus.documents import Clause, DocumentMeta
from assistant.language.text import SENTENCE_END, Script, to_simplified, to_traditional
from assistant.language.tokenizer import Tokenizer
from assistant.language.vocabulary import Cues
from assistant.language.wording import wording
from assistant.retrieval.hybrid import Hit

_FIGURE = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日|\d+(?:\.\d+)?\s*(?:%|％|个百分点|万元|亿元|元|家|个|人|次)|[一二两三四五六七八九十]+次"
)
# A cited neighbour must score close to the best hit, or it is noise beside the answer.
NEIGHBOUR_SHARE = 0.85


def quote_for(text: str, script: Script) -> str:
    """Quotes keep the received wording; only the script follows the user."""
    return to_traditional(text) if script is Script.TRADITIONAL else to_simplified(text)


def cite(clause: Clause, title: str, script: Script) -> Citation:
    location = to_traditional(clause.location) if script is Script.TRADITIONAL else clause.location
    return Citation(source=quote_for(title, script), doc_id=clause.doc_id, location=location,
                    text=quote_for(clause.text, script))


def citation(hit: Hit, script: Script) -> Citation:
    return cite(hit.clause, hit.title, script)


def cited_hits(hits: list[Hit]) -> list[Hit]:
    best = hits[0].score
    return [hits[0]] + [h for h in hits[1:] if h.score >= NEIGHBOUR_SHARE * best]


def split_sentences(text: str) -> list[str]:
    """A clause's sentences (ending at 。；; or a line break), punctuation kept."""
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def best_sentences(clause_text: str, search_text: str, tokenizer: Tokenizer, qualifiers: Cues | None = None,
                   limit: int = 3) -> list[str]:
    """The clause's sentences that share most of the question's words, in document order. A
    sentence that qualifies the figures kept ("补助资金均按进档差额执行") is kept with them."""
    sentences = split_sentences(to_simplified(clause_text))
    if len(sentences) <= 1:
        return sentences
    wanted = set(tokenizer.tokens(search_text))
    scored = [(len(wanted & set(tokenizer.tokens(s))), -i, s) for i, s in enumerate(sentences)]
    top = sorted(scored, reverse=True)[:limit]
    if top[0][0] == 0:
        # Nothing in common ("那上限呢" resolved to its topic): the sentences with the figures.
        keep = set([s for s in sentences if _FIGURE.search(s)][:limit]) or {sentences[0]}
    else:
        keep = {s for overlap, _, s in top if overlap >= max(1, top[0][0] // 2)}
    if qualifiers is not None and any(_FIGURE.search(s) for s in keep):
        keep |= {s for s in sentences if s in qualifiers}
    return [s for s in sentences if s in keep]


def key_figures(sentences: list[str]) -> list[str]:
    seen: list[str] = []
    for sentence in sentences:
        for figure in _FIGURE.findall(sentence):
            figure = figure.replace(" ", "")
            if figure not in seen:
                seen.append(figure)
    return seen


def compose(search_text: str, hits: list[Hit], tokenizer: Tokenizer, script: Script,
            qualifiers: Cues | None = None, lead: list[str] | None = None) -> tuple[str, list[Citation]]:
    """The answer to a question whose search text (folded, corrected, callers' words added) is
    given: the direct lead when there is one, then the quote and its location."""
    cited = cited_hits(hits)
    top = cited[0]
    sentences = best_sentences(top.clause.text, search_text, tokenizer, qualifiers)
    figures = [] if lead else key_figures(sentences)
    # A heading line has no closing punctuation; keep it apart from the paragraph that follows.
    quoted = "".join(part if part[-1] in "。；;，,：:" else part + " " for part in sentences).strip()
    say = wording(script)
    lines = [say("quote.according_to", title=top.title, location=top.clause.location, quoted=quoted)]
    if figures:
        lines.append(say("quote.key_figures", figures=say.join(figures, "quote.figure_separator")))
    if len(cited) > 1:
        # A clause of another policy is named with that policy's title.
        lines.append(say("quote.see_also", locations=say.join([
            h.clause.location if h.clause.doc_id == top.clause.doc_id
            else say("quote.elsewhere", title=h.title, location=h.clause.location) for h in cited[1:]],
            "quote.see_also_separator")))
    return "\n".join([*(lead or []), *lines]), [citation(h, script) for h in cited]


def validity_warning(meta: DocumentMeta, today: date, script: Script,
                     successors: Sequence[DocumentMeta] = ()) -> str | None:
    """That the policy is not in force on `today`, naming what replaced it when the library holds
    it, else whom to ask."""
    if meta.in_force_on(today):
        return None
    say = wording(script)
    english = script is Script.ENGLISH
    expired = today > meta.in_force_until
    department = (say("validity.department", short=meta.department, full=meta.department_full)
                  if meta.department_full else meta.department)
    if expired and successors:
        successor = successors[0]
        then = say("validity.replaced", successor=capitalised(successor.name_in(english)),
                   since=day_in(successor.in_force_from, english))
    else:
        then = say("validity.ask_department", department=department)
    state = say("validity.state_expired" if expired else "validity.state_not_yet")
    return say("validity.warning", name=capitalised(meta.name_in(english)), start=day_in(meta.in_force_from, english),
               end=day_in(meta.in_force_until, english), today=day_in(today, english), state=state, then=then)


def capitalised(text: str) -> str:
    """A name at the start of an English sentence ("the Fuyang …" → "The Fuyang …")."""
    return text[:1].upper() + text[1:]


def day_in(day: date, english: bool) -> str:
    """A date as a reply writes it: 2025-12-31, or 2025年12月31日."""
    return f"{day:%Y-%m-%d}" if english else zh_date(day)


def zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
