"""HTML for the calculator result, the eligibility report and the policy text.

Values are escaped here and only here, so the tabs can hand the HTML to Gradio as is.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date

from assistant.answering.calculations import to_contract
from assistant.corpus.documents import Document, DocumentMeta
from assistant.corpus.library import Library
from assistant.corpus.policy import Policy, Validity
from assistant.language.text import to_simplified
from assistant.web.catalogue import badge_html
from assistant.web.chat_view import (
    TARGET_NEW_PAGE,
    ClauseIndex,
    amount_headline,
    clause_anchor,
    inputs_text,
    policy_href,
    texts_on_tab,
    warning_html,
)
from calculators import Calculation, EligibilityReport, ItemAssessment, format_yuan

_STATE_MARK = {"met": ("✓", "已满足"), "not_met": ("✗", "不满足"), "unknown": ("?", "待确认")}
_STATUS_BADGE = {"eligible": ("ok", "符合条件"), "possible": ("maybe", "可能符合·有条件待确认"),
                 "not_eligible": ("no", "不符合")}


def e(text: object) -> str:
    return html.escape(str(text))


def policy_link(index: ClauseIndex, location: str, label: str | None = None) -> str:
    return index.link(location, label or location)


def message_html(message: str, kind: str = "error") -> str:
    return f'<div class="notice notice-{kind}">{e(message)}</div>'


def calculation_html(calc: Calculation, index: ClauseIndex, warnings: Sequence[str] = ()) -> str:
    out = to_contract(calc)
    tone = "no" if not calc.eligible else ("none" if calc.amount_yuan is None else "ok")
    rows = [("计算公式", e(calc.formula))]
    given = inputs_text(out, index)
    if given:
        rows.append(("填入数据", e(given)))
    if calc.cap_yuan is not None:
        rows.append(("补助上限", e(format_yuan(calc.cap_yuan))))
    if calc.reason:
        rows.append(("不符合原因", e(calc.reason)))
    rows.append(("依据条款", policy_link(index, calc.clause)))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    open_points = list(calc.open_conditions)
    other_notes = list(calc.notes)
    eligibility = ('<span class="mark-no">✗ 不符合条件</span>' if not calc.eligible else
                   f'<span class="mark-maybe">符合已填条件；还有{len(open_points)}项条件待确认：</span>'
                   if open_points else '<span class="mark-ok">✓ 符合已填条件</span>')
    parts = [f'<div class="result result-{tone}"><div class="result-title">{e(calc.title)}</div>',
             f'<div class="result-amount">{e(amount_headline(out))}</div>',
             f'<div class="result-eligibility">{eligibility}</div>']
    if open_points:
        parts.append("<ul class='todo'>" + "".join(f"<li>{e(p)}</li>" for p in open_points) + "</ul>")
    parts.append(f'<table class="facts">{table}</table>')
    parts += [warning_html(w) for w in warnings]
    parts.append(f'<blockquote class="quote">{e(calc.quote)}</blockquote>')
    if other_notes:
        parts.append("<ul class='notes'>" + "".join(f"<li>{e(n)}</li>" for n in other_notes) + "</ul>")
    parts.append("</div>")
    return "".join(parts)


def _assessment_html(item: ItemAssessment, index: ClauseIndex) -> str:
    tone, badge = _STATUS_BADGE[item.status]
    calc = item.calculation
    amount = "金额待补充信息后可算" if calc is None else amount_headline(to_contract(calc))
    conditions = []
    for check in item.conditions:
        mark, word = _STATE_MARK[check.state]
        extra = check.reason if check.state == "not_met" else check.to_find_out if check.state == "unknown" else None
        detail = f'<div class="cond-detail">{e(extra)}</div>' if extra else ""
        conditions.append(f'<li class="cond-{check.state}"><span class="mark">{mark}</span> '
                          f'<b>{word}</b>：{e(check.condition)}{detail}</li>')
    formula = f'<div class="formula">计算：{e(calc.formula)}</div>' if calc is not None else ""
    return (f'<div class="item item-{tone}"><div class="item-head"><span class="badge badge-{tone}">{badge}</span>'
            f'<span class="item-title">{e(item.title)}</span><span class="item-amount">{e(amount)}</span></div>'
            f'<div class="item-clause">依据：{policy_link(index, item.clause)}</div>{formula}'
            f'<ul class="conditions">{"".join(conditions)}</ul></div>')


def eligibility_html(report: EligibilityReport, index: ClauseIndex, warnings: Sequence[str] = ()) -> str:
    parts = ['<div class="report">', *(warning_html(w) for w in warnings),
             f'<div class="totals"><div><span>确定可获合计</span><b>{e(format_yuan(report.total_yuan))}</b></div>'
             f'<div><span>条件都满足时最多可获</span><b>{e(format_yuan(report.possible_total_yuan))}</b></div>'
             f'<div><span>涉及项目</span><b>{len(report.items)} 项可申请或待确认 · '
             f'{len(report.not_eligible)} 项不符合</b></div></div>']
    parts += [_assessment_html(item, index) for item in report.items]
    if report.not_eligible:
        parts.append('<h4>不符合的项目</h4>')
        parts += [_assessment_html(item, index) for item in report.not_eligible]
    if report.notes:
        parts.append("<ul class='notes'>" + "".join(f"<li>{e(n)}</li>" for n in report.notes) + "</ul>")
    parts.append("</div>")
    return "".join(parts)


def validity_badge(meta: DocumentMeta, today: date) -> str:
    validity = (Validity.IN_FORCE if meta.in_force_on(today)
                else Validity.EXPIRED if today > meta.in_force_until else Validity.NOT_YET)
    return badge_html(validity, meta.in_force_from, meta.in_force_until)


def _clause_html(document: Document, clause) -> str:
    lines = [e(to_simplified(line)) for line in clause.text.split("\n")]
    if clause.kind == "item" and len(lines) > 1:
        lines[0] = f"<b>{lines[0]}</b>"
    body = "<br>".join(lines)
    anchor = clause_anchor(document.meta.doc_id, clause.clause_id)
    return (f'<div class="clause clause-{clause.kind}" id="{anchor}">'
            f'<span class="clause-loc">{e(clause.location)}</span><div class="clause-text">{body}</div></div>')


def policy_html(library: Library, today: date) -> str:
    """The library's list with status badges, then each policy's facts and text, in force first.
    A library too large for one page lists its policies, each opening its own page (policy_page)."""
    policies = library.ordered(today)
    texts_here = texts_on_tab(library)
    rows = "".join(
        f'<li><a href="{policy_href(policy.doc_id, texts_here)}" class="policy-link"'
        f'{"" if texts_here else TARGET_NEW_PAGE}>《{e(policy.meta.short_title)}》</a>'
        f'{e("（" + policy.meta.document_number + "）") if policy.meta.document_number else ""} '
        f'{validity_badge(policy.meta, today)}</li>' for policy in policies)
    note = "" if texts_here else (f'<p class="policy-note">政策库共{len(policies)}份，点击名称在新页面查看原文；'
                                  f"问答中的“来源”同样打开该政策的原文页。</p>")
    parts = [f'<nav class="library"><h2>政策库（{len(policies)}份）</h2>{note}<ul>{rows}</ul></nav>']
    if texts_here:
        parts += [policy_article(library, policy, today) for policy in policies]
    return "".join(parts)


def policy_page(library: Library, doc_id: str, today: date, css: str) -> str | None:
    """One policy's facts and text as a page of its own; None when the library has no such policy."""
    policy = library.policies_by_id.get(doc_id)
    if policy is None:
        return None
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{e(policy.meta.title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{css}</style></head>'
            f'<body style="max-width: 960px; margin: 24px auto; padding: 0 16px">'
            f'<div id="policy-text">{policy_article(library, policy, today)}</div></body></html>')


def policy_article(library: Library, policy: Policy, today: date) -> str:
    document, meta = policy.document, policy.meta
    facts = [("发文机关", meta.issuer), ("文号", meta.document_number or "—"), ("文件类型", meta.document_type),
             ("审议通过", meta.adopted_by or "—"), ("印发日期", f"{meta.issued:%Y-%m-%d}"),
             ("公开日期", f"{meta.published:%Y-%m-%d}" if meta.published else "—"),
             ("有效期", f"{meta.in_force_from:%Y-%m-%d} 至 {meta.in_force_until:%Y-%m-%d}"),
             ("主管部门", meta.department_named),
             ("同时废止", meta.repeals_text or "—")]
    successors = library.successors(policy.doc_id)
    if successors:
        facts.append(("已被替代", "、".join(f"《{other.meta.title}》" for other in successors)))
    table = "".join(f"<tr><th>{k}</th><td>{e(v)}</td></tr>" for k, v in facts)
    cleaned = ("（转载稿为繁体，已转为简体显示，并去除了转载网站附加的拼音注音和版权信息）"
               if document.pinyin_notes_removed or document.boilerplate_lines_removed else "")
    parts = [f'<article class="policy" id="policy-{e(policy.doc_id)}"><h2>{e(meta.title)} '
             f'{validity_badge(meta, today)}</h2><table class="facts">{table}</table>'
             f'<p class="policy-note">以下为政策原文{cleaned}。'
             f'点击问答中的“来源”可直接跳到对应条款。今天：{today:%Y-%m-%d}</p>']
    section = None
    for clause in document.clauses:
        heading = clause.location.split("（")[0] if clause.section else None
        if heading and heading != section:
            parts.append(f'<h3 class="policy-section">{e(heading)}</h3>')
        section = heading or section
        parts.append(_clause_html(document, clause))
    parts.append("</article>")
    return "".join(parts)
