import hashlib
import re

import pytest

from assistant.config import REPO_ROOT
from assistant.corpus.documents import BOILERPLATE_LINE, PINYIN_NOTE, parse_document
from assistant.corpus.library import load_library
from assistant.language.text import to_simplified

CORPUS = REPO_ROOT / "corpus"
ANY_PINYIN = re.compile(r"[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)?")


@pytest.fixture(scope="module")
def document():
    return load_library(CORPUS).documents[0]


def test_corpus_holds_the_policy_exactly_as_received():
    library = load_library(CORPUS)
    assert not library.problems and library.policies
    for policy in library.policies:
        assert policy.meta.received_sha256, f"{policy.meta.file}: no received_sha256 in policy.yaml"
        digest = hashlib.sha256((policy.folder / policy.meta.file).read_bytes()).hexdigest()
        assert digest == policy.meta.received_sha256, f"{policy.meta.file} is no longer the text as received"


def test_metadata_describes_the_document():
    meta = load_library(CORPUS).policies[0].meta
    assert meta.in_force_from.isoformat() == "2021-11-20"
    assert meta.in_force_until.isoformat() == "2025-12-31"
    assert meta.adopted_by == "区政府第88次常务会议"
    assert any("富政办〔2019〕20号" in repealed for repealed in meta.repeals)
    assert meta.department == "区经信局"


def test_every_pinyin_note_and_boilerplate_line_is_gone(document):
    assert document.pinyin_notes_removed > 500
    assert document.boilerplate_lines_removed == 7
    for clause in document.clauses:
        assert not ANY_PINYIN.search(clause.text), (clause.location, ANY_PINYIN.search(clause.text))
        assert "?" not in clause.text
        for line in clause.text.splitlines():
            assert not BOILERPLATE_LINE.search(to_simplified(line)), line
        for marker in ("浏览次数", "转载", "联政咨询", "http", "发布时间"):
            assert marker not in to_simplified(clause.text)


def test_structure_counts_match_the_document(document):
    items = [c for c in document.clauses if c.kind == "item"]
    sections = {c.location.split("、")[0] for c in items}
    assert sections == {"一", "二", "三", "四"}
    per_section = {s: sum(c.location.startswith(s + "、") for c in items) for s in sections}
    assert per_section == {"一": 2, "二": 3, "三": 7, "四": 4}
    assert sum(c.kind == "goal" for c in document.clauses) == 4
    assert [c.kind for c in document.clauses if c.kind in ("notice", "title", "preamble", "closing")] == [
        "notice", "title", "preamble", "closing"]


def test_clause_numbering_labels_and_offsets(document):
    by_location = {c.location: c for c in document.clauses}
    robots = by_location["三、专项政策（二）"]
    assert to_simplified(robots.text).startswith("(二)鼓励企业加大对机器人的投入。")
    assert robots.section == "专项政策"
    for clause in document.clauses:
        assert document.text[clause.start:clause.end] == clause.text
    assert "有效期至2025年12月31日" in to_simplified(by_location["施行与有效期"].text)


def test_quotes_keep_typos_but_search_reads_the_correction(document):
    title = next(c for c in document.clauses if c.kind == "title")
    assert "深人推進" in title.text  # as received
    assert "深入推进" in title.search_text and "未来工厂" in title.search_text


def test_a_policy_text_of_its_own_structure_parses(tmp_path):
    meta = load_library(CORPUS).policies[0].meta.model_copy(update={"doc_id": "other", "file": "other.txt"})
    raw = "一、总则\n(一)适用范围\n本办法适用于全区企業(yè)。\n本办法自2024年1月1日起施行。\n"
    parsed = parse_document(meta, raw)
    assert [c.location for c in parsed.clauses] == ["一、总则（一）", "施行与有效期"]
    assert "企業。" in parsed.clauses[0].text


def test_pinyin_pattern_leaves_real_parentheses_alone():
    text = "實際投資額(設(shè)備、軟件投入)與(2019-2021年)和(一)"
    assert PINYIN_NOTE.sub("", text) == "實際投資額(設備、軟件投入)與(2019-2021年)和(一)"


def test_the_calculator_rules_name_their_document_and_leave_its_dates_to_it():
    library = load_library(CORPUS)
    fuyang = library.policies[0]
    assert fuyang.rulebook.policy is not None and fuyang.rulebook.policy.doc_id == fuyang.doc_id
    assert {rule.doc_id for rule in library.rulebook.rules} == {fuyang.doc_id}
    assert set(type(fuyang.rulebook.policy).model_fields) == {"doc_id"}


def test_an_item_number_in_full_width_brackets_opens_an_item_too():
    meta = load_library(CORPUS).policies[0].meta.model_copy(update={"doc_id": "other", "file": "other.txt"})
    parsed = parse_document(meta, "一、总则\n（一）适用范围\n本办法适用于全区企业。\n本办法自2024年1月1日起施行。\n")
    assert [c.location for c in parsed.clauses] == ["一、总则（一）", "施行与有效期"]
