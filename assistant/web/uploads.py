"""No file uploads: the app takes questions and form values, never files.

Gradio serves an upload route to every client whether or not a component needs it, writes what
it receives to its temp folder (the system's /tmp/gradio by default) and keeps it past the
process. Here the upload routes and any multipart body are refused before Gradio sees them, and
Gradio's temp folder is moved inside the data folder and emptied at every start.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.web.guards import error_response

# Gradio's routes that write a client's file to disk: /gradio_api/upload and the screen
# recorder's /gradio_api/process_recording (a trailing slash reaches them too).
_UPLOAD_ROUTE = re.compile(r"^/gradio_api/(?:upload|process_recording)/*$")
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The environment variable every Gradio module reads for its temp/cache folder.
GRADIO_TEMP_ENV = "GRADIO_TEMP_DIR"


def gradio_temp_dir(data_dir: Path) -> Path:
    return data_dir / "gradio-tmp"


def prepare_gradio_temp_dir(data_dir: Path) -> Path:
    """Points Gradio's temp folder inside `data_dir` and empties it. Must run before the
    Blocks are built: each Gradio component reads the folder when it is created."""
    folder = gradio_temp_dir(data_dir).resolve()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[GRADIO_TEMP_ENV] = str(folder)
    return folder


def _is_multipart(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-type":
            return value.lower().lstrip().startswith(b"multipart/")
    return False


class NoUploads:
    """Pure ASGI: 403 `uploads_disabled` for a write to an upload route and for any multipart
    body, whatever its path, before a byte of it is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _READ_METHODS:
            path = re.sub("/{2,}", "/", scope.get("path", ""))
            if _UPLOAD_ROUTE.match(path) or _is_multipart(scope):
                await error_response(403, "uploads_disabled", "本应用不接受文件上传。")(scope, receive, send)
                return
        await self.app(scope, receive, send)
