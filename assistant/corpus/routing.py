"""Which policy of the library a message is about.

A message may name a policy: by its title or short title, its document number, a name of its
own metadata (`aliases`), or its doc_id. Whatever it names comes first; then the policy the
conversation named before; then the policies in force on `today` (the newest first), those not
yet in force, and last the expired ones (the most recently ended first). Words that name an
item in several policies ("机器人补贴") mean the item of the policy first in that order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from assistant.corpus.library import Library
from assistant.language.text import detect_script, fold, to_script, to_simplified, to_traditional
from calculators import Rule

# Quotation marks and title brackets people type or leave out alike: 富阳区“未来工厂”实施意见.
_QUOTES = re.compile(r"[“”\"'‘’《》〈〉「」『』]")
_QUOTES_BETWEEN = r"[“”\"'‘’《》〈〉「」『』\s]*"
# What a policy's name is read as in the message: a reference to the document.
REFERENCE = "该政策"
# Fewer characters than this name nothing on their own (a short title cut to two characters
# would match ordinary words); the shortest names the policy metadata gives are four or more.
MIN_NAME_CHARS = 4


def _plain(text: str) -> str:
    return _QUOTES.sub("", fold(text)).replace(" ", "")


@lru_cache(maxsize=256)
def _spoken_names(spellings: frozenset[str]) -> re.Pattern:
    """Each name as written, in either script, quotes and spaces allowed between its characters;
    the longest first."""
    ordered = sorted(spellings, key=len, reverse=True)
    spoken = "|".join(_QUOTES_BETWEEN.join(map(re.escape, name)) for name in ordered)
    return re.compile(f"{_QUOTES_BETWEEN}(?:{spoken}){_QUOTES_BETWEEN}", re.IGNORECASE)


class PolicyRouter:
    def __init__(self, library: Library) -> None:
        self.library = library
        self._names: list[tuple[str, str]] = []  # (plain name, doc_id), longest first
        self._spellings: dict[str, frozenset[str]] = {}  # doc_id: its formal names in either script
        for policy in library.policies:
            meta = policy.meta
            names = [meta.title, meta.short_title, meta.doc_id, *meta.aliases,
                     *([meta.document_number] if meta.document_number else [])]
            self._names += [(plain, policy.doc_id) for plain in {_plain(name) for name in names}
                            if len(plain) >= MIN_NAME_CHARS]
            # Formal names only: an alias may hold an item's words ("未来工厂政策"), which stay read.
            spellings: set[str] = set()
            for name in [meta.title, meta.short_title, *([meta.document_number] if meta.document_number else [])]:
                bare = _QUOTES.sub("", name).replace(" ", "")
                if len(bare) >= MIN_NAME_CHARS:
                    spellings |= {bare, to_simplified(bare), to_traditional(bare)}
            self._spellings[policy.doc_id] = frozenset(spellings)
        self._names.sort(key=lambda entry: len(entry[0]), reverse=True)

    def without_names(self, message: str) -> str:
        """The message with each policy title or number said in it read as "该政策" (this policy), so
        the words of a title are not taken for an item or searched for, nor its number read as a
        figure."""
        # Only the policies the message names (found by plain text, quotes and spaces left out):
        # one pattern of every name in a large library takes longer to compile than to serve.
        spellings = frozenset().union(*(self._spellings[doc_id] for doc_id in self.named(message)))
        if not spellings:
            return message
        reference = to_script(REFERENCE, detect_script(message))
        return _spoken_names(spellings).sub(reference, message)

    def named(self, message: str) -> list[str]:
        """The policies the message names, in the order it names them."""
        text = _plain(message)
        found: list[tuple[int, str]] = []
        for name, doc_id in self._names:
            start = text.find(name)
            if start >= 0:
                found.append((start, doc_id))
                text = text.replace(name, " " * len(name))  # a longer name's words are not named again
        return list(dict.fromkeys(doc_id for _, doc_id in sorted(found)))

    def order(self, today: date, *first: str | None) -> tuple[str, ...]:
        """Every policy's doc_id, most preferred first: those given (named now, named before in
        the conversation), then in force, not yet in force, expired."""
        ranked = [policy.doc_id for policy in self.library.ordered(today)]
        return tuple(dict.fromkeys([*(doc_id for doc_id in first if doc_id), *ranked]))

    def namesakes(self, items: Iterable[str], text: str) -> list[Rule]:
        """Items of other policies that `items` share a name with: the same title, or a keyword
        of both said in the message ("机器人补贴" of two policies' robot items)."""
        rulebook = self.library.rulebook
        folded = fold(text)
        found: list[Rule] = []
        for item in items:
            rule = rulebook.rule(item)
            words = {fold(word) for word in (*rule.keywords.zh, *rule.keywords.en)}
            for other in rulebook.rules:
                if other.doc_id == rule.doc_id or other in found:
                    continue
                shared = words & {fold(word) for word in (*other.keywords.zh, *other.keywords.en)}
                if other.title == rule.title or any(word in folded for word in shared):
                    found.append(other)
        return found
