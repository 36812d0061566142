"""A Reply as people see it: the chat message, the phone script, and links into the policy.

Presentation only. Every figure, quote and warning comes from the Reply (or the
calculators' own formatting); nothing is recomputed here.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from assistant.answering.extractive import key_figures
from assistant.contract import CalculationOut, Citation, Reply, Status
from assistant.corpus.documents import Clause, ClauseRef
from assistant.corpus.library import Library
from assistant.language.text import to_simplified
from calculators import RuleBook, format_yuan
from calculators.inputs import describe_value

DISCLAIMER = "AI生成，仅供参考，以正式文件为准"

# The extractive answer opens with "根据《title》location：". Read aloud on the phone that
# title is a mouthful, and the phone script names the clause on its own line anyway.
_LEAD_SOURCE = re.compile(r"^(?:根据|根據)《[^》]+》[^：:]*[：:]\s*")
_ITEM_MARK = re.compile(r"^[(（][一二三四五六七八九十]+[)）]")
# Characters that start Markdown markup, HTML, character references or math ($$…$$ for KaTeX),
# and what GitHub-flavoured Markdown links with no markup at all (a scheme's "://", "www." and an
# e-mail's "@"): each gets a backslash, which shows the character and ends its meaning.
_ESCAPED = re.compile(r"[\\`*_{}\[\]<>#|~$&@]|:(?=//)|(?<=www)\.", re.IGNORECASE)
# A line that would open a list, a rule or a heading: "- ", "+ ", "= ", "1. ", "1) ".
_LINE_MARKER = re.compile(r"(?m)^(\s*)(?:([-+=])|(\d+)([.)]))")


def md_escape(text: str) -> str:
    """Any text (the user's, or the policy's) as literal text inside Markdown: no markup, no
    HTML, no math, no links, and a leading "--" does not become a rule."""
    escaped = _ESCAPED.sub(r"\\\g<0>", text)
    return _LINE_MARKER.sub(lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else
                                                    f"{m.group(3)}\\{m.group(4)}"), escaped)


def clause_anchor(doc_id: str, clause_id: str) -> str:
    return f"clause-{doc_id}-{clause_id}".replace(".", "-")


# Up to this many policies, the policy tab holds every text and a source link jumps to its clause
# there; beyond it each policy has its own page. A policy of this corpus's size (24 clauses) is
# ~40 KB of HTML and a generated one of 50 clauses ~11 KB: 20 keep the tab, drawn again on every
# page load, under ~1 MB, where 2,000 policies made it 22 MB.
TEXTS_ON_TAB = 20
TARGET_NEW_PAGE = ' target="_blank" rel="noopener"'


def texts_on_tab(library: Library) -> bool:
    return len(library.policies) <= TEXTS_ON_TAB


def policy_href(doc_id: str, texts_here: bool, anchor: str | None = None) -> str:
    """Where a link to a policy (or to one of its clauses) points: the tab, or the policy's page."""
    fragment = anchor or f"policy-{doc_id}"
    return f"#{fragment}" if texts_here else f"policy/{quote(doc_id, safe='')}#{fragment}"


class ClauseIndex:
    """Finds the policy-tab anchor of a cited location, whatever script the reply is in, and the
    rule behind a calculation shown."""

    def __init__(self, library: Library, rulebook: RuleBook) -> None:
        self.library = library
        self.rulebook = rulebook

    def link(self, location: str, text: str, doc_id: str | None = None) -> str:
        """The text as a link to the clause at `location` (on the tab or its policy's page), or
        as plain text when no policy has a clause there."""
        clause = self.clause_at(location, doc_id)
        if clause is None:
            return html.escape(text)
        texts_here = texts_on_tab(self.library)
        href = policy_href(clause.doc_id, texts_here, clause_anchor(clause.doc_id, clause.clause_id))
        return (f'<a href="{html.escape(href)}" class="policy-link"{"" if texts_here else TARGET_NEW_PAGE}>'
                f"{html.escape(text)}</a>")

    def anchor(self, location: str, doc_id: str | None = None) -> str | None:
        clause = self.clause_at(location, doc_id)
        return clause_anchor(clause.doc_id, clause.clause_id) if clause else None

    def clause_at(self, location: str, doc_id: str | None = None) -> Clause | None:
        """Without `doc_id`, the first policy with a clause there: each policy's text is read when
        it is first looked into."""
        location = to_simplified(location)
        if doc_id is None:
            return self.library.first_clause_at(location)
        return self.library.clause_at(ClauseRef(doc_id, location))

    def short_title(self, doc_id: str) -> str:
        policy = self.library.policies_by_id.get(doc_id)
        return policy.meta.short_title if policy else doc_id

    def source_name(self, doc_id: str) -> str:
        """A source's document as the sources list names it: short title, and number when it has one."""
        policy = self.library.policies_by_id.get(doc_id)
        if policy is None:
            return doc_id
        meta = policy.meta
        return f"{meta.short_title}（{meta.document_number}）" if meta.document_number else meta.short_title


def _money(value: Any) -> Any:
    # CalculationOut carries floats for JSON; the calculators format exact Decimals.
    return Decimal(repr(value)) if isinstance(value, float) else value


def inputs_text(calc: CalculationOut, index: ClauseIndex) -> str:
    rule = index.rulebook.rule(calc.item)
    parts = []
    for name, value in calc.inputs.items():
        if name in rule.input_names and value is not None:
            spec = rule.input(name)
            parts.append(f"{spec.label.zh}：{describe_value(spec, _money(value))}")
    return "；".join(parts)


def amount_headline(calc: CalculationOut) -> str:
    if calc.amount_yuan is None:
        return "政策未规定具体金额"
    if not calc.eligible:
        return "不符合条件，补助0元"
    capped = "（已按上限计算）" if calc.cap_applied else ""
    return f"可补助 {format_yuan(_money(calc.amount_yuan))}{capped}"


def calculation_markdown(calc: CalculationOut, index: ClauseIndex, answer: str = "") -> str:
    lines = [f'<b class="calc-head">{html.escape(calc.title)}：{html.escape(amount_headline(calc))}</b>',
             f"计算公式：{html.escape(calc.formula)}"]
    given = inputs_text(calc, index)
    if given:
        lines.append(f"填入数据：{html.escape(given)}")
    lines.append(f"依据条款：{index.link(calc.clause, calc.clause)}")
    if calc.reason:
        lines.append(f"不符合原因：{html.escape(calc.reason)}")
    text = "<br>".join(lines)
    # Conditions still to confirm are usually spelled out in the answer already.
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in
                    [f"待确认：{c}。" for c in calc.open_conditions if c not in answer] + calc.notes)
    return f'<div class="calc-card">{text}<ul class="calc-notes">{notes}</ul></div>' if notes else \
        f'<div class="calc-card">{text}</div>'


def citation_html(number: int, cite: Citation, index: ClauseIndex) -> str:
    where = f"{cite.location} · {index.source_name(cite.doc_id)}"
    link = index.link(cite.location, "在“政策原文”中查看此条 →", cite.doc_id)
    quote = html.escape(cite.text).replace("\n", "<br>")
    return (f'<details class="source"><summary>来源{number}：{html.escape(where)}</summary>'
            f'<div class="source-body"><div class="source-doc">《{html.escape(cite.source)}》'
            f'{html.escape(cite.location)}</div><blockquote>{quote}</blockquote>{link}</div></details>')


def full_markdown(reply: Reply, index: ClauseIndex) -> str:
    if reply.status in {Status.ERROR, Status.REFUSED}:
        parts = [f'<div class="notice-error">⚠ {html.escape(reply.answer)}</div>']
    else:
        parts = [md_escape(reply.answer)]
    if reply.follow_up and reply.follow_up in reply.answer:
        # The question asked back is what the caller must answer next: make it stand out.
        asked = md_escape(reply.follow_up)
        parts[0] = parts[0].replace(asked, f'<b class="follow-up">{asked}</b>', 1)
    elif reply.follow_up:
        parts.append(f'<b class="follow-up">请补充：{md_escape(reply.follow_up)}</b>')
    parts += [calculation_markdown(calc, index, reply.answer) for calc in reply.calculations]
    parts += [warning_html(w) for w in reply.warnings]
    parts += [citation_html(n, cite, index) for n, cite in enumerate(reply.citations, start=1)]
    parts.append(f'<div class="disclaimer">{DISCLAIMER}</div>')
    return "\n\n".join(parts)


def lead_sentence(reply: Reply) -> str:
    first = reply.answer.strip().split("\n", 1)[0]
    if reply.status is Status.ANSWERED:
        first = _ITEM_MARK.sub("", _LEAD_SOURCE.sub("", first)).strip()
    return first


def compact_text(reply: Reply, index: ClauseIndex) -> str:
    """What a hotline worker reads out: the lead, the figures, where it is written, and the
    expiry warning; plain text, so it can be copied into a ticket as is."""
    lines: list[str] = []
    if reply.calculations:
        for calc in reply.calculations:
            lines.append(f"{calc.title}：{amount_headline(calc)}。{calc.formula}")
            lines += [f"  需确认：{condition}" for condition in calc.open_conditions]
    else:
        lead = lead_sentence(reply)
        lines.append(lead)
        figures = key_figures([lead]) if reply.status is Status.ANSWERED else []
        if figures:
            lines.append("要点数字：" + "、".join(figures))
    if reply.follow_up and reply.follow_up not in "\n".join(lines):
        lines.append(f"需要了解：{reply.follow_up}")
    cited: dict[str, list[str]] = {}
    for cite in reply.citations:
        cited.setdefault(cite.doc_id, [])
        if cite.location not in cited[cite.doc_id]:
            cited[cite.doc_id].append(cite.location)
    places = [f"《{index.short_title(doc)}》" + "、".join(locations) for doc, locations in cited.items()]
    places += [c.clause for c in reply.calculations if not any(c.clause in p for p in places)]
    if places:
        lines.append("政策出处：" + "；".join(places))
    lines += [f"⚠ {warning}" for warning in reply.warnings]
    return "\n".join(lines)


def compact_markdown(reply: Reply, index: ClauseIndex) -> str:
    if reply.status in {Status.ERROR, Status.REFUSED}:
        return full_markdown(reply, index)
    # The warning keeps its highlighted box even in the short form: it changes the answer.
    body = md_escape(compact_text(reply.model_copy(update={"warnings": []}), index))
    warnings = [warning_html(w) for w in reply.warnings]
    links = " ".join(index.link(c.location, f"查看条款：{c.location}", c.doc_id) for c in reply.citations)
    return "\n\n".join(p for p in (body, *warnings, links, f'<div class="disclaimer">{DISCLAIMER}</div>') if p)


def warning_html(warning: str) -> str:
    return f'<div class="warning">⚠ <b>请注意：</b>{html.escape(warning)}</div>'


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(value: object) -> str:
    """What a client sent as text, as text that can be stored and sent back: anything else is
    "", and a lone surrogate (which no encoder can write) is the replacement character."""
    return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else ""


def question_markdown(question: str, limit: int = 300) -> str:
    """The user's message as shown back: a pasted wall of text is cut, with its length said."""
    if not question.strip():
        return "（空消息）"
    if len(question) <= limit:
        return md_escape(question)
    return f"{md_escape(question[:limit])}…（共{len(question)}字，只显示前{limit}字）"


def growing_prefixes(text: str, steps: int = 12, min_chars: int = 6) -> list[str]:
    """Prefixes that end at the full text, for showing an answer as it is 'typed'."""
    size = max(min_chars, -(-len(text) // steps))
    return [text[:end] for end in range(size, len(text), size)] + [text]
