"""What the assistant says, one catalogue per language (zh.yaml, en.yaml): the code picks a
message by key and fills in its fields; the wording itself lives only here. Both catalogues are
read once and must hold the same keys, the fields of one message in one language a subset of
its fields in the other."""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import RootModel

from assistant.language.data_files import read_yaml
from assistant.language.text import Script

FOLDER = Path(__file__).parent


class Catalogue(RootModel[dict[str, "str | Catalogue"]]):
    """A catalogue file: messages, grouped by topic."""


class Wording:
    def __init__(self, messages: dict[str, str]) -> None:
        self.messages = messages

    def __call__(self, key: str, **fields: Any) -> str:
        return self.messages[key].format(**fields)

    def join(self, parts: list[str], separator: str = "list_separator") -> str:
        return self.messages[separator].join(parts)


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def _fields(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


@lru_cache(maxsize=1)
def _catalogues() -> dict[str, dict[str, str]]:
    catalogues = {language: _flat(read_yaml(FOLDER / f"{language}.yaml", Catalogue)) for language in ("zh", "en")}
    zh, en = catalogues["zh"], catalogues["en"]
    if set(zh) != set(en):
        raise ValueError(f"wording catalogues differ in keys: {sorted(set(zh) ^ set(en))}")
    # One language may leave out something the other says (English leaves out a Chinese-only
    # reason); a field that is in neither's set of the other is a misspelling.
    differing = [key for key in zh
                 if not (_fields(zh[key]) <= _fields(en[key]) or _fields(en[key]) <= _fields(zh[key]))]
    if differing:
        raise ValueError(f"wording catalogues differ in the fields of: {differing}")
    return catalogues


def wording(script: Script) -> Wording:
    """The catalogue for a reply in `script` (Traditional replies are converted from Chinese)."""
    return Wording(_catalogues()["en" if script is Script.ENGLISH else "zh"])
