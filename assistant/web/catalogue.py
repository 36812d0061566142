"""The library as the web app and REST show it: each policy with its number, dates, status on
`today`, what it repealed, what replaced it and its calculator items — in the library's order
(in force first)."""

from __future__ import annotations

from datetime import date
from typing import Any

from assistant.corpus.library import Library
from assistant.corpus.policy import Validity

# How the policy tab labels a status.
BADGES = {Validity.IN_FORCE: ("ok", "现行有效"), Validity.NOT_YET: ("maybe", "尚未施行"),
          Validity.EXPIRED: ("no", "已过期")}


def policy_entries(library: Library, today: date) -> list[dict[str, Any]]:
    """GET /api/policies: every policy that loaded, in force first."""
    entries = []
    for policy in library.ordered(today):
        meta = policy.meta
        successors = [other.doc_id for other in library.successors(policy.doc_id)]
        entries.append({
            "doc_id": meta.doc_id, "title": meta.title, "short_title": meta.short_title,
            "document_number": meta.document_number, "issuer": meta.issuer, "document_type": meta.document_type,
            "issued": meta.issued.isoformat(), "in_force_from": meta.in_force_from.isoformat(),
            "in_force_until": meta.in_force_until.isoformat(), "status": policy.validity(today).value,
            "repeals": list(meta.repeals),
            "replaced_by": successors or ([meta.replaced_by] if meta.replaced_by else []),
            "department": meta.department,
            "items": [{"item": rule.id, "title": rule.title, "clause": rule.clause} for rule in policy.rulebook.rules],
        })
    return entries


def badge_html(validity: Validity, since: date, until: date) -> str:
    tone, label = BADGES[validity]
    when = {Validity.IN_FORCE: f"至{until:%Y-%m-%d}", Validity.NOT_YET: f"{since:%Y-%m-%d}起",
            Validity.EXPIRED: f"{until:%Y-%m-%d}止"}[validity]
    return f'<span class="badge badge-{tone}">{label}（{when}）</span>'
