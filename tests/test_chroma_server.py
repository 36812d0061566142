"""The same index and queries through a Chroma server (`chroma run`) on loopback."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest

from assistant.config import Settings
from assistant.core import Assistant
from assistant.retrieval.indexes import update_index
from tests.conftest import free_port

CHROMA = Path(sys.executable).parent / "chroma"
pytestmark = pytest.mark.slow


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    server = subprocess.Popen([str(CHROMA if CHROMA.exists() else shutil.which("chroma")), "run",
                               "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    try:
        for _ in range(300):
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("chroma server did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_index_and_query_through_a_chroma_server(chroma_server, real_settings, tmp_path):
    remote = Settings(data_dir=tmp_path / "data", embedding_model=real_settings.embedding_model,
                      chroma_mode="http", chroma_host="127.0.0.1", chroma_port=chroma_server)
    first = update_index(remote, progress=False)
    assistant = Assistant.from_settings(remote)
    assert first.added == sum(len(d.clauses) for d in assistant.documents)
    assert update_index(remote, progress=False).embedded == 0
    hits = assistant.retriever.retrieve("省级工业互联网平台一次性补助", k=1).hits
    assert hits[0].clause.location == "三、专项政策（五）"
    assert not (tmp_path / "data" / "chroma").exists()


def test_a_rebuild_through_a_chroma_server_is_followed_by_a_running_reader(chroma_server, real_settings, tmp_path,
                                                                           monkeypatch):
    from assistant.retrieval import index_versions
    from assistant.retrieval.index_versions import current_name, pointer_name

    monkeypatch.setattr(index_versions, "RETIRE_GRACE_SECONDS", 0)
    remote = Settings(data_dir=tmp_path / "data", embedding_model=real_settings.embedding_model,
                      chroma_mode="http", chroma_host="127.0.0.1", chroma_port=chroma_server)
    assistant = Assistant.from_settings(remote)
    before = assistant.retriever.dense.collection.name
    update_index(remote, rebuild=True, progress=False)
    hits = assistant.retriever.retrieve("省级工业互联网平台一次性补助", k=1).hits
    assert hits[0].clause.location == "三、专项政策（五）"
    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    after = current_name(client, remote)
    assert after != before and assistant.retriever.dense.collection.name == after
    assert {c.name for c in client.list_collections()} == {after, pointer_name(remote)}
