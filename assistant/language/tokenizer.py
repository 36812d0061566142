"""Words of a text: jieba over Simplified-folded text, with the policies' own dictionaries, the
callers' words mapped to the policy's terms, and the stop words left out. Shared by understanding,
retrieval and the corpus, so none of them imports another for it."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import jieba
import jieba.posseg

from assistant.config import Settings
from assistant.language.data_files import read_yaml
from assistant.language.text import fold
from assistant.language.vocabulary_schema import CallersWords

jieba.setLogLevel(logging.WARNING)

# Messages whose tags are kept: a message is tagged by several readers in one turn.
TAGGED_CACHE = 256
# The stop-word list beside the policy's word list (corpus/vocabulary/stopwords.txt).
STOPWORDS_FILE = "stopwords.txt"
_ENGLISH_PLURAL = re.compile(r"\b([a-z]{3,}?)(ies|s)\b")
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")


class Tokenizer:
    def __init__(self, userdict: Path, synonyms: Path | None = None, cache_dir: Path | None = None,
                 policy_words: Sequence[Path] = ()) -> None:
        """`policy_words`: the user dictionaries of the library's policies (words/userdict.txt),
        read after the shared one. jieba's dictionary is the process's: their words segment text
        for every tokenizer in it."""
        # jieba's process-wide tokenizer, shared with the amount parser: each instance holds its
        # own copy of the dictionary (~150 MB, most of a second to load).
        self._jieba = jieba.dt
        if cache_dir:
            # jieba caches its prefix dictionary; keep that with our other caches, not in /tmp.
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._jieba.tmp_dir = str(cache_dir)
        for dictionary in (userdict, *policy_words):
            self._jieba.load_userdict(str(dictionary))
        # The folder of the policy's word lists (stop words, glossary), beside the user dictionary.
        self.vocabulary_dir = userdict.parent
        self.stopwords = read_stopwords(userdict.with_name(STOPWORDS_FILE))
        # What a text's tokens depend on besides the text: a lexical index saved with other
        # words is built again (retrieval/lexical_store.py).
        self.fingerprint = _fingerprint([userdict, *policy_words, userdict.with_name(STOPWORDS_FILE)])
        self._pos = jieba.posseg.dt
        self._synonyms = _load_synonyms(synonyms) if synonyms and synonyms.exists() else {}
        self.domain_terms = frozenset(
            line.split()[0] for dictionary in (userdict, *policy_words)
            for line in dictionary.read_text(encoding="utf-8").splitlines() if line.strip()
        )

    def words(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) over the text as given, with the policy's own words kept whole."""
        return list(self._jieba.tokenize(text))

    def dictionary_words(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) with dictionary words only: no new words guessed from unknown characters."""
        return list(self._jieba.tokenize(text, HMM=False))

    def is_word(self, text: str) -> bool:
        """The text is a word of jieba's dictionary or of the policy's."""
        return self._jieba.FREQ.get(text, 0) > 0

    def tagged(self, text: str) -> tuple[tuple[str, str], ...]:
        """(word, jieba part-of-speech flag) over the folded text, in order. Places, money words and
        what a rule question turns on all read one message's tags: it is tagged once."""
        return self._tagged(fold(text))

    @lru_cache(maxsize=TAGGED_CACHE)  # noqa: B019 - one tokenizer lives as long as the process
    def _tagged(self, folded: str) -> tuple[tuple[str, str], ...]:
        return tuple((w.word, w.flag) for w in self._pos.cut(folded))

    def places(self, text: str) -> list[str]:
        """Place names in the text (jieba's `ns` tag), other than words of the policy's own."""
        return [word for word, flag in self.tagged(text)
                if flag == "ns" and not any(word in term for term in self.domain_terms)]

    def expand(self, text: str) -> str:
        """Appends the policy's own terms for the words callers use, so the question shares words with it."""
        folded = _ENGLISH_PLURAL.sub(_singular, fold(text))
        extra = [self._synonyms[phrase][2] for phrase in self.callers_words(folded)]
        return f"{folded} {' '.join(extra)}" if extra else folded

    def in_policy_words(self, folded: str) -> str:
        """The text with each caller's word replaced where it stands by the policy's term ("机器代人项目"
        → "机器换人项目"), so what reads items by the policy's words reads it too."""
        for phrase in self.callers_words(folded):
            _, pattern, term = self._synonyms[phrase]
            folded = pattern.sub(term, folded)
        return folded

    def callers_words(self, folded: str) -> list[str]:
        """The phrases of the callers'-words list (corpus/vocabulary/callers_words.yaml) in the text."""
        folded = _ENGLISH_PLURAL.sub(_singular, folded)
        # A caller's word inside one of the policy's own longer terms is that term ("智造" in 智造工场).
        own = [(m.start(), m.end()) for term in self.domain_terms if len(term) > 2
               for m in re.finditer(re.escape(term), folded)]
        return [phrase for phrase, pattern, _ in self._synonyms.values()
                if any(not any(a <= m.start() and m.end() <= b and b - a > m.end() - m.start() for a, b in own)
                       for m in pattern.finditer(folded))]

    def tokens(self, text: str) -> list[str]:
        words = self._jieba.cut_for_search(fold(text))
        return [w for w in (w.strip() for w in words)
                if w and w not in self.stopwords and _TOKEN_OK.search(w)]



def _singular(match: re.Match) -> str:
    # "factories" → "factory", "robots" → "robot", so one synonym entry serves both numbers.
    stem, ending = match.groups()
    if ending == "ies":
        return stem + "y"
    return match.group(0) if stem.endswith(("s", "i", "u")) else stem


@lru_cache(maxsize=2)
def _load_synonyms(path: Path) -> dict[str, tuple[str, re.Pattern, str]]:
    entries = read_yaml(path, CallersWords) or {}
    synonyms = {}
    for phrase, terms in entries.items():
        phrase = fold(str(phrase))
        # ASCII phrases match whole words ("plan" is not in "planet"); Chinese has no word breaks.
        pattern = re.compile(rf"\b{re.escape(phrase)}\b" if phrase.isascii() else re.escape(phrase))
        synonyms[phrase] = (phrase, pattern, str(terms))
    return synonyms


def _fingerprint(word_files: Sequence[Path]) -> str:
    digest = hashlib.sha256(f"jieba {jieba.__version__}".encode())
    for path in word_files:
        digest.update(b"\x00" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()


def read_stopwords(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    lines = (line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(word for line in lines for word in line.split())


def tokenizer_for(settings: Settings, policy_words: Sequence[Path] = ()) -> Tokenizer:
    """The tokenizer over the corpus's own vocabulary and the policies' words; the callers'-words
    list unless switched off."""
    corpus_dir = settings.corpus_dir
    synonyms = corpus_dir / "vocabulary" / "callers_words.yaml" if settings.use_synonyms else None
    return Tokenizer(corpus_dir / "vocabulary" / "userdict.txt", synonyms, cache_dir=settings.cache_dir,
                     policy_words=policy_words)
