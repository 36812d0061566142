"""Policy files as received → cleaned text → clauses with a human location label.

The received text carries inline pinyin notes (`數(shù)`) and the reposting site's boilerplate;
both are removed. Everything else keeps the wording as received, so quotes stay faithful.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import lru_cache
from typing import NamedTuple

import cn2an
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.language.text import fold, to_simplified
from calculators import Rule

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A note is a parenthesised lower-case syllable with a tone mark right after a Han character.
PINYIN_NOTE = re.compile(rf"(?<=[\u4e00-\u9fff])\((?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]+\)")
# Lines the reposting website added: view counters, source/editor credits, URL, reposting notice.
BOILERPLATE_LINE = re.compile(r"^(发布时间|浏览次数|政策来源|政策整理|转载请注明)|https?://|联政咨询")

_NUMERAL = "一二三四五六七八九十"
SECTION_HEAD = re.compile(rf"^([{_NUMERAL}]+)、(.+)$")
# An item opens with its number in brackets, half- or full-width alike: (一) or （一）.
ITEM_HEAD = re.compile(rf"^[(（]([{_NUMERAL}]+)[)）](.*)$")
GOAL_BULLET = re.compile(r"^-{2,}")
# What a policy document calls itself (本意见, 本办法, 本措施…): the closing clause and the title name it.
DOCUMENT_TYPES = "意见|办法|政策|通知|措施|规定|细则|方案"
CLOSING = re.compile(rf"^本({DOCUMENT_TYPES}).*(施行|有效期)")
_TITLE_TYPE = re.compile(DOCUMENT_TYPES)


class StructureError(ValueError):
    """A line of a policy text that is neither a heading, an item, a goal nor the preamble."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


class DocumentMeta(BaseModel):
    """A policy's policy.yaml: what it is, who issued it, when it is in force."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    file: str = Field(min_length=1)
    title: str = Field(min_length=1)
    short_title: str = Field(min_length=1)
    # The short title in English, for replies in English ("the Fuyang “Future Factory” Implementing Opinions").
    short_title_en: str | None = None
    # Other names people call it by ("未来工厂政策"): a message naming one is about this policy.
    aliases: list[str] = []
    # 文号 such as 富政办〔2019〕20号; None when the text as received does not carry it.
    document_number: str | None = None
    issuer: str = Field(min_length=1)
    document_type: str
    adopted_by: str | None = None
    issued: date
    published: date | None = None
    in_force_from: date
    in_force_until: date
    # What this policy repeals: a library policy's doc_id, or a document outside the library
    # by its title and number.
    repeals: list[str] = []
    # What replaced this policy when that is known but not in the library (a library policy
    # that repeals this one is found from its own `repeals`).
    replaced_by: str | None = None
    department: str
    department_full: str | None = None
    # SHA-256 (hex) of the file's bytes as received, before any repair: proof that the text in
    # the corpus is the policy as published, since cleaning happens only when it is read.
    received_sha256: str | None = None
    repairs: dict[str, str] = {}
    corrections: dict[str, str] = {}

    @field_validator("repeals", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _dates_in_order(self) -> DocumentMeta:
        if self.in_force_until < self.in_force_from:
            raise ValueError(f"in_force_until {self.in_force_until} is before in_force_from {self.in_force_from}")
        return self

    def name_in(self, english: bool) -> str:
        """How a reply names the policy: 《short title》, or its English short title."""
        if english:
            return self.short_title_en or f"the policy “{self.short_title}”"
        return f"《{self.short_title}》"

    @property
    def department_named(self) -> str:
        """The department as a Chinese reply names it: 区经信局（杭州市富阳区经济和信息化局）."""
        return f"{self.department}（{self.department_full}）" if self.department_full else self.department

    @property
    def repeals_text(self) -> str:
        """What it repealed, as one phrase ("" when nothing)."""
        return "、".join(self.repeals)

    def in_force_on(self, today: date) -> bool:
        return self.in_force_from <= today <= self.in_force_until


class ClauseRef(NamedTuple):
    """A clause by its policy and location label: two policies may both have 三、专项政策（二）."""

    doc_id: str
    location: str


class Clause(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clause_id: str
    doc_id: str
    kind: str  # notice | title | preamble | item | goal | closing
    location: str  # e.g. 三、专项政策（二）, in Simplified
    section: str  # section title in Simplified, "" outside the numbered sections
    text: str  # as received, pinyin notes removed
    search_text: str  # Simplified, folded, typos corrected, section context prepended
    start: int  # offsets into Document.text
    end: int

    @property
    def ref(self) -> ClauseRef:
        return ClauseRef(self.doc_id, self.location)


def rule_clause(rule: Rule) -> ClauseRef:
    """The clause a calculator rule cites, in its own policy."""
    return ClauseRef(rule.doc_id, rule.clause)


class Document(BaseModel):
    meta: DocumentMeta
    text: str  # the cleaned document, as received otherwise
    clauses: list[Clause]
    pinyin_notes_removed: int
    boilerplate_lines_removed: int


def clean_lines(raw: str) -> tuple[list[str], list[int], int, int]:
    """Strip pinyin notes and boilerplate lines; returns kept lines, their line numbers in the
    file as received, and both counts."""
    without_notes, notes = PINYIN_NOTE.subn("", raw)
    kept, numbers, dropped = [], [], 0
    for number, line in enumerate(without_notes.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if BOILERPLATE_LINE.search(to_simplified(line)):
            dropped += 1
            continue
        kept.append(line)
        numbers.append(number)
    return kept, numbers, notes, dropped


def _search_text(text: str, context: str, corrections: dict[str, str]) -> str:
    simplified = to_simplified(text)
    for wrong, right in corrections.items():
        simplified = simplified.replace(wrong, right)
    return fold(f"{context} {simplified}" if context else simplified)


def parse_document(meta: DocumentMeta, raw: str) -> Document:
    for garbled, restored in meta.repairs.items():
        raw = raw.replace(garbled, restored)
    lines, line_numbers, notes, dropped = clean_lines(raw)
    text = "\n".join(lines)
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line) + 1

    clauses: list[Clause] = []
    section_no, section_title, item_no = "", "", ""
    item_first = 0
    goal_count = 0

    def add(kind: str, clause_id: str, location: str, first: int, last: int, context: str) -> None:
        body = "\n".join(lines[first : last + 1])
        clauses.append(
            Clause(
                clause_id=clause_id,
                doc_id=meta.doc_id,
                kind=kind,
                location=location,
                section=section_title,
                text=body,
                search_text=_search_text(body, context, meta.corrections),
                start=offsets[first],
                end=offsets[last] + len(lines[last]),
            )
        )

    for index, line in enumerate(lines):
        simplified = to_simplified(line)
        if match := SECTION_HEAD.match(simplified):
            section_no, section_title, item_no = match.group(1), match.group(2).strip(), ""
            continue
        if CLOSING.match(simplified):
            section_no = section_title = item_no = ""
            add("closing", "closing", "施行与有效期", index, index, "")
            continue
        if match := ITEM_HEAD.match(simplified):
            if not section_no:
                raise StructureError(line_numbers[index], f"an item outside any numbered section: {line[:40]}")
            item_no, item_first = match.group(1), index
            location = f"{section_no}、{section_title}（{item_no}）"
            add("item", _clause_id(section_no, item_no), location, index, index, section_title)
            continue
        item_location = f"{section_no}、{section_title}（{item_no}）"
        if GOAL_BULLET.match(line) and item_no:
            goal_count += 1
            add("goal", f"{_clause_id(section_no, item_no)}.g{goal_count}", f"{item_location}目标{goal_count}",
                index, index, section_title)
            continue
        if item_no and clauses and clauses[-1].kind == "item":
            # A heading-only item such as "(一)指导思想" owns the paragraph under it.
            clauses.pop()
            add("item", _clause_id(section_no, item_no), item_location, item_first, index, section_title)
            continue
        if not section_no:
            kind, location = _preamble_role(simplified)
            if clauses and clauses[-1].kind == kind == "notice":
                # The notice's addressee line and its body are one clause.
                first = clauses.pop().start
                add(kind, kind, location, offsets.index(first), index, "")
            else:
                add(kind, kind, location, index, index, "")
            continue
        raise StructureError(line_numbers[index], f"this line fits no part of the structure: {line[:40]}")

    return Document(meta=meta, text=text, clauses=clauses,
                    pinyin_notes_removed=notes, boilerplate_lines_removed=dropped)


def _preamble_role(simplified: str) -> tuple[str, str]:
    if simplified.startswith("各") or "印发给你们" in simplified:
        return "notice", "印发通知"
    if len(simplified) <= 60 and _TITLE_TYPE.search(simplified) and not simplified.endswith("。"):
        return "title", "标题"
    return "preamble", "序言"


def _clause_id(section_no: str, item_no: str) -> str:
    return f"s{_numeral(section_no)}.i{_numeral(item_no)}"


@lru_cache(maxsize=256)
def _numeral(chinese: str) -> int:
    # A library repeats a few dozen item numbers over and over; cn2an takes ~20 µs for each.
    return int(cn2an.cn2an(chinese, "strict"))


def search_digest(document: Document) -> str:
    """Of every clause's id and searched text: what an index of the document reads."""
    digest = hashlib.sha256(document.meta.doc_id.encode())
    for clause in document.clauses:
        digest.update(f"\x00{clause.clause_id}\x01{clause.search_text}".encode())
    return digest.hexdigest()


def content_hash(clauses: list[Clause]) -> str:
    digest = hashlib.sha256()
    for clause in clauses:
        digest.update(f"{clause.doc_id}\x00{clause.clause_id}\x00{clause.search_text}\x00".encode())
    return digest.hexdigest()
