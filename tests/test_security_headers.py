"""Security headers on every response, and no file uploads, against live servers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import httpx
import pytest
from starlette.routing import Mount

from assistant.web.headers import content_security_policy, frame_origins, inline_script_hashes, script_hash
from assistant.web.uploads import gradio_temp_dir
from tests.live_server import server_settings, start_server

PORTAL = "https://portal.example.gov.cn"
PAGES = ["/", "/embed", "/docs", "/api/health", "/api/nothing-here", "/gradio_api/file=/etc/passwd", "/config"]
UPLOAD_ROUTES = ["/gradio_api/upload", "/gradio_api/upload/", "/gradio_api//upload", "/gradio_api/upload?upload_id=x",
                 "/gradio_api/process_recording"]


@pytest.fixture(scope="module")
def portal_server(assistant, settings, tmp_path_factory):
    data = tmp_path_factory.mktemp("headers-portal")
    stale = gradio_temp_dir(data) / "left-from-last-run" / "upload.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("an upload from before the restart")
    server = start_server(assistant, server_settings(settings, data, data_dir=data, cors_origins=[PORTAL]))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_server(assistant, settings, tmp_path_factory):
    server = start_server(assistant, server_settings(settings, tmp_path_factory.mktemp("headers-own")))
    yield server
    server.stop()


def directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_headers(portal_server, own_server, path):
    for server, framers in ((portal_server, ["'self'", PORTAL]), (own_server, ["'self'"])):
        response = httpx.get(server.url + path, timeout=60)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        policy = directives(response)
        assert policy["frame-ancestors"] == framers
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in policy["script-src"]
        # X-Frame-Options cannot name the portal: it is sent only when no portal may frame the app.
        assert response.headers.get("x-frame-options") == (None if server is portal_server else "SAMEORIGIN")


@pytest.mark.parametrize("path", ["/", "/embed", "/docs"])
def test_a_page_lists_the_hash_of_each_of_its_inline_scripts(own_server, path):
    response = httpx.get(own_server.url + path, timeout=60)
    hashes = inline_script_hashes(response.content)
    assert hashes, "every page has inline scripts"
    assert set(hashes) <= set(directives(response)["script-src"])
    # Gradio's page compiles gr.HTML templates at run time; the app's own pages need no eval.
    assert ("'unsafe-eval'" in directives(response)["script-src"]) is (path == "/")


def test_the_head_script_gradio_inserts_is_allowed(own_server):
    from assistant.web.ui import head_html

    response = httpx.get(own_server.url + "/", timeout=60)
    assert inline_script_hashes(head_html())[0] in directives(response)["script-src"]


def test_script_hash_reads_line_ends_as_a_browser_does():
    assert script_hash("a\r\nb") == script_hash("a\nb") == script_hash(b"a\rb")
    assert script_hash("x") == "'sha256-LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE='"  # openssl dgst -sha256
    assert inline_script_hashes('<script src="x.js"></script><script>x</script><SCRIPT type="module">x</SCRIPT>') \
        == [script_hash("x")]


def test_only_well_formed_origins_may_frame_the_app():
    assert frame_origins([PORTAL, "http://127.0.0.1:8000/", "https://a.example; script-src *", "*", "evil.example"]) \
        == [PORTAL, "http://127.0.0.1:8000"]
    policy = content_security_policy(frame_origins(["https://a.example\r\nSet-Cookie: x=1", "https://b.example\n"]))
    assert "\n" not in policy and policy.endswith("; frame-ancestors 'self'")


def gradio_app(server):
    mount = next(route for route in server.server.config.app.routes if isinstance(route, Mount))
    return mount.app


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()} if folder.exists() else set()


def test_gradio_temp_folder_is_inside_the_data_folder_and_emptied_at_start(portal_server):
    folder = gradio_temp_dir(portal_server.settings.data_dir).resolve()
    assert Path(gradio_app(portal_server).uploaded_file_dir).resolve() == folder
    assert folder.is_dir() and files_under(folder) == set(), "what a previous run left is gone"


@pytest.mark.parametrize("path", UPLOAD_ROUTES)
def test_an_upload_is_refused_and_nothing_is_written(portal_server, path):
    folders = [gradio_temp_dir(portal_server.settings.data_dir), Path(tempfile.gettempdir()) / "gradio"]
    if os.environ.get("GRADIO_TEMP_DIR"):
        folders.append(Path(os.environ["GRADIO_TEMP_DIR"]))
    before = {folder: files_under(folder) for folder in folders}
    with httpx.Client(base_url=portal_server.url, timeout=60) as client:
        for _ in range(3):
            response = client.post(path, files={"files": ("note.txt", b"x" * 60_000, "text/plain")})
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "uploads_disabled"
            assert response.headers["x-content-type-options"] == "nosniff"
    assert {folder: files_under(folder) for folder in folders} == before


def test_a_multipart_body_is_refused_on_any_route(portal_server):
    for path in ("/gradio_api/queue/join", "/gradio_api/component_server", "/api/chat"):
        response = httpx.post(portal_server.url + path, files={"file": ("a.txt", b"abc")}, timeout=60)
        assert response.status_code == 403 and response.json()["error"]["code"] == "uploads_disabled", path
