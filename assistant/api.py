"""One process: the REST API (FastAPI) with the Gradio app mounted on it."""

from __future__ import annotations

from datetime import date

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Field

from assistant.contract import Reply


class ChatRequest(BaseModel):
    session: str | None = None
    message: str = Field(description="the user's question")
    id: str | None = None


def create_app(assistant, today: date | None = None) -> FastAPI:
    import gradio as gr

    from assistant.ui import build_ui

    api = FastAPI(title="Fuyang policy assistant", version="0.1.0")

    def current_day() -> date:
        return today or date.today()

    @api.get("/api/health")
    def health() -> dict:
        return {"status": "ok", "documents": [d.meta.doc_id for d in assistant.documents]}

    @api.post("/api/chat", response_model=Reply)
    def chat(request: ChatRequest) -> Reply:
        return assistant.reply(request.session, request.message, current_day(), request_id=request.id)

    return gr.mount_gradio_app(api, build_ui(assistant, current_day), path="/")


def serve(assistant, host: str, port: int, today: date | None = None) -> None:
    assistant.warm_up()
    uvicorn.run(create_app(assistant, today), host=host, port=port, log_level="info")
