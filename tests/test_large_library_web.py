"""The web app over a library too large for one page: the policy tab lists the policies, each
text is a page of its own, source links open it, and the header names a few policies in force."""

from __future__ import annotations

import re
import shutil
from datetime import date

import httpx
import pytest

from assistant.config import Settings
from assistant.maintenance import scale_library
from assistant.web.chat_view import TEXTS_ON_TAB, ClauseIndex
from assistant.web.tab_views import policy_html
from assistant.web.ui import HEADER_POLICIES, _header
from tests.conftest import build_fast_assistant
from tests.live_server import server_settings, start_server

REAL_POLICY = "fuyang-future-factory-2021"
TODAY = date(2026, 12, 3)  # the generated policies in force, the real one expired
ROBOTS = "买了工业机器人，花了420万，补贴多少"


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """The real policy beside more generated ones than the policy tab shows texts of."""
    root = tmp_path_factory.mktemp("large")
    scale_library.policy_folders(root / "corpus", (TEXTS_ON_TAB + 5) * scale_library.CLAUSES_PER_POLICY)
    shutil.copytree(Settings().corpus_dir / "policies" / REAL_POLICY, root / "corpus" / "policies" / REAL_POLICY)
    settings = Settings(corpus_dir=root / "corpus", data_dir=root / "data")
    return settings, build_fast_assistant(settings)


def test_the_tab_lists_every_policy_and_holds_no_text(large):
    _, assistant = large
    library = assistant.library
    shown = policy_html(library, TODAY)
    links = re.findall(r'<li><a href="policy/([^"#]+)#policy-\1" class="policy-link" target="_blank"', shown)
    assert sorted(links) == sorted(policy.doc_id for policy in library.policies)
    assert 'class="clause' not in shown
    assert len(shown) < 200 * len(library.policies)


def test_a_source_link_opens_its_policys_page_at_the_clause(large):
    _, assistant = large
    reply = assistant.reply(None, f"富阳未来工厂政策，{ROBOTS}", TODAY)
    cited = reply.citations[0]
    link = ClauseIndex(assistant.library, assistant.rulebook).link(cited.location, "来源", cited.doc_id)
    assert f'href="policy/{REAL_POLICY}#clause-{REAL_POLICY}-s3-i2"' in link and 'target="_blank"' in link


def test_the_header_names_a_few_policies_in_force_and_counts_the_rest(large):
    _, assistant = large
    header = _header(assistant.library, TODAY)
    assert header.count("依据《") == HEADER_POLICIES
    assert f"政策库另有{len(assistant.library.policies) - HEADER_POLICIES}份" in header


def test_a_policys_page_holds_its_text_and_an_unknown_one_is_404(large, tmp_path):
    settings, assistant = large
    server = start_server(assistant, server_settings(settings, tmp_path))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            page = client.get(f"/policy/{REAL_POLICY}")
            missing = client.get("/policy/no-such-policy")
            tab = client.get("/")
    finally:
        server.stop()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'id="clause-{REAL_POLICY}-s3-i2"' in page.text and "工业机器人" in page.text
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert tab.status_code == 200
