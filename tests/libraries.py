"""Small policy libraries for tests: the Fuyang policy beside the invented demo policy in
tests/data/policies (its own text, items, amounts and dates), or either alone, copied into a
corpus folder of the test's own so a test may break a file without touching the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.config import REPO_ROOT, Settings
from tests.conftest import build_fast_assistant

CORPUS = REPO_ROOT / "corpus"
FUYANG = CORPUS / "policies" / "fuyang-future-factory-2021"
DEMO = REPO_ROOT / "tests" / "data" / "policies" / "demo-smart-manufacturing-2026"


def make_corpus(root: Path, *policies: Path) -> Path:
    """A corpus folder at `root` with the shared vocabulary and a copy of each policy folder."""
    shutil.copytree(CORPUS / "vocabulary", root / "vocabulary")
    for folder in policies:
        shutil.copytree(folder, root / "policies" / folder.name)
    return root


def assistant_over(corpus: Path, data_dir: Path):
    """The fast assistant (every real part but the embedding model) over that corpus."""
    return build_fast_assistant(Settings(data_dir=data_dir, corpus_dir=corpus))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
