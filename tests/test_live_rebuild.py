"""`policy-assistant index --rebuild` on the data folder of a running server: every chat keeps
its answer while the index is rebuilt, switched and the old one deleted, and no segment folder
is left behind. The real model, embedded Chroma, a live server and the CLI in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx
import pytest

from assistant.config import REPO_ROOT
from assistant.core import Assistant
from assistant.retrieval.chroma_index import chroma_client
from assistant.retrieval.embeddings import Embedder
from assistant.retrieval.index_versions import current_name, pointer_name
from tests.live_server import server_settings, start_server
from tests.test_index_versions import orphan_folders

pytestmark = pytest.mark.slow

QUESTION = "省级工业互联网平台一次性补助多少"
EXPECTED_LOCATION = "三、专项政策（五）"
# Requests the stream still sends after the rebuild exited, i.e. after the switch and the
# deletion of the old collection.
AFTER_REBUILD = 20
# Bounds of the stream, whatever happens: the child loads the model (about 10 s, README bench)
# and rebuilds in a few seconds; these leave a wide margin and keep the loop finite.
MAX_REQUESTS = 5000
STREAM_DEADLINE_SECONDS = 300
REBUILD_TIMEOUT_SECONDS = 240


def test_a_rebuild_under_a_stream_of_chats_loses_no_answer(real_assistant, real_settings, tmp_path, monkeypatch):
    settings = real_settings.model_copy(update={"data_dir": tmp_path / "data"})
    # The model is loaded already: the server of this test shares it instead of loading it again.
    embedder = real_assistant.retriever.dense.embedder
    monkeypatch.setattr(Embedder, "from_settings", classmethod(lambda cls, _settings: embedder))
    assistant = Assistant.from_settings(settings)
    first_collection = assistant.retriever.dense.collection.name
    server = start_server(assistant, server_settings(settings, tmp_path))

    rebuilt = threading.Event()
    outcomes: list[tuple[int, str, str]] = []  # (HTTP status, reply status or error, cited location)

    def stream() -> None:
        deadline, after = time.monotonic() + STREAM_DEADLINE_SECONDS, 0
        with httpx.Client(base_url=server.url, timeout=60) as client:
            while len(outcomes) < MAX_REQUESTS and time.monotonic() < deadline and after < AFTER_REBUILD:
                after += rebuilt.is_set()
                response = client.post("/api/chat", json={"message": QUESTION})
                body = response.json()
                citations = body.get("citations") or [{}]
                outcomes.append((response.status_code, body.get("status") or str(body.get("error")),
                                 citations[0].get("location", "")))

    env = os.environ | {"POLICY_ASSISTANT_DATA_DIR": str(settings.data_dir),
                        "POLICY_ASSISTANT_EMBEDDING_MODEL": settings.embedding_model}
    sender = threading.Thread(target=stream, name="chat-stream")
    sender.start()
    try:
        child = subprocess.run([sys.executable, "-m", "assistant.cli", "index", "--rebuild"], cwd=REPO_ROOT,
                               env=env, capture_output=True, text=True, timeout=REBUILD_TIMEOUT_SECONDS)
    finally:
        rebuilt.set()
        sender.join(timeout=STREAM_DEADLINE_SECONDS)
        server.stop()
    assert child.returncode == 0, child.stderr[-3000:]
    assert not sender.is_alive()

    failures = [o for o in outcomes if o != (200, "answered", EXPECTED_LOCATION)]
    assert not failures, f"{len(failures)} of {len(outcomes)} chats failed, e.g. {failures[:3]}"
    assert len(outcomes) > AFTER_REBUILD, "the stream must also have run while the child rebuilt"

    client = chroma_client(settings)
    serving = current_name(client, settings)
    assert serving != first_collection and assistant.retriever.dense.collection.name == serving
    assert {c.name for c in client.list_collections()} == {serving, pointer_name(settings)}
    assert orphan_folders(settings) == set()
