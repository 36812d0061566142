"""The wording catalogues: one per language, the same keys with the same fields (one language may
leave a field out), every message the code asks for present in both."""

from __future__ import annotations

import re

import pytest

from assistant.config import REPO_ROOT
from assistant.language.text import Script
from assistant.language.wording import FOLDER, _catalogues, _fields, wording

# A dotted key in a string literal ("calculation.lead"); those of a catalogue group are messages.
KEY = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def test_both_catalogues_have_the_same_messages_with_the_same_fields():
    zh, en = _catalogues()["zh"], _catalogues()["en"]
    assert set(zh) == set(en) and zh
    assert all(_fields(zh[key]) <= _fields(en[key]) or _fields(en[key]) <= _fields(zh[key]) for key in zh)


def test_every_key_the_code_names_is_in_the_catalogues():
    catalogue = _catalogues()["zh"]
    named = set()
    for path in (REPO_ROOT / "assistant").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "wording" not in text:
            continue
        groups = {key.split(".")[0] for key in catalogue if "." in key}
        named |= {key for key in KEY.findall(text) if key.split(".")[0] in groups}
    assert named and named <= set(catalogue), sorted(named - set(catalogue))


@pytest.mark.parametrize("script", list(Script))
def test_a_message_is_filled_in_in_each_language(script):
    text = wording(script)("calculation.lead", policies="《X》")
    assert "《X》" in text and "{" not in text


def test_a_catalogue_missing_a_key_is_refused(tmp_path, monkeypatch):
    for name in ("zh.yaml", "en.yaml"):
        (tmp_path / name).write_text((FOLDER / name).read_text(encoding="utf-8"), encoding="utf-8")
    english = tmp_path / "en.yaml"
    english.write_text(english.read_text(encoding="utf-8").replace('id_reused: "', 'id_reuse: "'), encoding="utf-8")
    monkeypatch.setattr("assistant.language.wording.FOLDER", tmp_path)
    _catalogues.cache_clear()
    try:
        with pytest.raises(ValueError, match="id_reuse"):
            _catalogues()
    finally:
        monkeypatch.undo()
        _catalogues.cache_clear()
