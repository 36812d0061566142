"""Every steering file is checked by its schema when the vocabulary loads: a misspelt key, a
word where a list belongs, a fact the enterprise profile lacks or a kind of question no reader
knows fails with the file and line, instead of loading silently."""

from __future__ import annotations

import shutil

import pytest

from assistant.config import REPO_ROOT
from assistant.language.data_files import DataFileError
from assistant.language.tokenizer import Tokenizer
from assistant.language.vocabulary import Vocabulary
from assistant.understanding.understand import Understanding
from tests.fuyang import RULEBOOK

VOCABULARY = REPO_ROOT / "corpus" / "vocabulary"


@pytest.fixture
def words(tmp_path):
    folder = tmp_path / "vocabulary"
    shutil.copytree(VOCABULARY, folder)
    return folder


def change(path, old: str, new: str) -> int:
    """Replaces `old` once and returns the line it stood on."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def test_the_shipped_vocabulary_passes_its_schema():
    vocabulary = Vocabulary(VOCABULARY)
    assert vocabulary.refusals and vocabulary.asked


@pytest.mark.parametrize(("file", "old", "new", "words_of_reason"), [
    ("cues.yaml", "\ncompare:", "\ncompair:", "compare"),  # the misspelt key itself is named too
    ("facts.yaml", "\n  is_sme:", "\n  is_smes:", "not a field of the enterprise profile"),
    ("places.yaml", "\nhome:", "\nhomes:", "home"),
    ("refusals.yaml", "\n  why:", "\n  wy:", "why"),
    ("cues.yaml", "generic_terms: [补助,", "generic_terms: [[补助], ", "valid string"),
    ("cues.yaml", "generic_terms: [补助,", "generic_terms: [补助,,", "not valid YAML"),
])
def test_a_malformed_steering_file_is_named_with_its_line(words, file, old, new, words_of_reason):
    change(words / file, old, new)
    with pytest.raises(DataFileError) as raised:
        Vocabulary(words)
    problem = raised.value.problem
    assert problem.file == words / file and problem.line is not None
    assert words_of_reason in problem.reason


def test_an_unknown_kind_of_question_is_refused_when_understanding_is_built(words):
    change(words / "cues.yaml", "\n  amount:", "\n  amonut:")
    tokenizer = Tokenizer(words / "userdict.txt")
    with pytest.raises(ValueError, match="amonut"):
        Understanding(Vocabulary(words), RULEBOOK, tokenizer)


def test_callers_words_map_a_phrase_to_terms(words):
    line = change(words / "callers_words.yaml", "robot: 工业机器人", "robot: [工业机器人]")
    with pytest.raises(DataFileError) as raised:
        Tokenizer(words / "userdict.txt", words / "callers_words.yaml")
    assert raised.value.problem.line == line
