"""One process: the portal REST API (FastAPI) with the Gradio app mounted on it.

Every endpoint calls `Assistant.reply` or the calculators. Errors share one JSON shape
(assistant/api_guards.py) and one set of status codes: 400 bad input, 404 unknown item,
413 too long, 429 over the rate limit, 503 overloaded.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.answering.calculations import to_contract
from assistant.config import REPO_ROOT, Settings
from assistant.contract import CalculationOut, Reply, Status
from assistant.storage.feedback import FeedbackIn
from assistant.storage.stores import feedback_store
from assistant.web.bodies import ErrorBarrier, JsonBodyGuard
from assistant.web.catalogue import policy_entries
from assistant.web.forms import FormError, items_catalog, read_inputs, read_profile
from assistant.web.front import FrontCount
from assistant.web.guards import (
    ERROR_RESPONSES,
    ApiError,
    ChatSlots,
    GradioRateLimit,
    GuardMiddleware,
    Limiter,
    RateLimiter,
    install_error_handlers,
    json_safe,
    retry_after_header,
)
from assistant.web.headers import SecurityHeaders, inline_script_hashes
from assistant.web.readiness import not_ready_message, readiness
from assistant.web.tab_views import policy_page
from assistant.web.uploads import NoUploads, prepare_gradio_temp_dir

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
# The pages served from STATIC: no framework, so their scripts need no eval (headers.py).
OWN_PAGES = ("/docs", "/embed")
# A chat error's HTTP status by its code; any other code is 400.
CHAT_ERROR_STATUS = {"message_too_long": 413, "id_reused": 409}


class ChatRequest(BaseModel):
    session: str | None = Field(default=None, max_length=200, description="continue this conversation")
    message: str = Field(description="the user's question, in Simplified, Traditional or English")
    id: str | None = Field(default=None, max_length=200, description="echoed back in the reply")


class CalculateRequest(BaseModel):
    item: str = Field(description="subsidy item id, see GET /api/items", examples=["robot_purchase"])
    inputs: dict[str, Any] = Field(default_factory=dict, examples=[{"robot_purchase_yuan": "420万"}],
                                   description="input name → value; money as yuan or text such as 300万、1.2亿")


class EligibilityRequest(BaseModel):
    profile: dict[str, Any] = Field(description="EnterpriseProfile fields; leave out what is not known",
                                    examples=[{"robot_purchase_yuan": "420万", "is_sme": True}])


class FeedbackSaved(BaseModel):
    id: int
    stored: bool = True


def create_app(assistant, today: date | None = None, settings: Settings | None = None, *,
               behind_front: bool = False) -> FastAPI:
    """The app of one process; `behind_front`: a worker behind web/front.py, which counts the rate
    limit for all workers and passes its count with each request (the worker still answers it)."""
    import gradio as gr

    from assistant.web.ui import build_ui, css, head_html

    settings = settings or assistant.settings
    limiter: Limiter = FrontCount() if behind_front else RateLimiter(settings.rate_limit_per_minute)
    chat_slots = ChatSlots(settings.max_concurrent_chats, settings.chat_queue_wait_seconds)
    feedback = feedback_store(settings)

    def current_day() -> date:
        return today or date.today()

    async def rate_limited(request: Request) -> None:
        # async: a few microseconds on the event loop, no hop to a worker thread under load.
        wait = limiter.check(request.scope)
        if wait is not None:
            raise ApiError(429, "rate_limited", "请求过于频繁，请稍后再试。", headers=retry_after_header(wait))

    api = FastAPI(title="富阳区“未来工厂”政策助手 API", version="1.0.0", docs_url=None, redoc_url=None,
                  description="Answers and subsidy calculations from the Fuyang “Future Factory” policy, "
                              "with citations. Reply shape: see CONTRACT.md.")
    install_error_handlers(api)
    api.state.chat_slots = chat_slots
    # Innermost: an unexpected error is a 500 in the error shape and the connection stays open.
    api.add_middleware(ErrorBarrier)
    # Inside CORS, so a portal can read why its body was refused (bodies.py).
    api.add_middleware(JsonBodyGuard, max_bytes=settings.max_request_bytes)
    # The same per-client limit on Gradio's event routes; inside CORS, so a 429 carries its headers.
    api.add_middleware(GradioRateLimit, limiter=limiter)
    # Always configured, even with no origins: then Gradio leaves CORS to this policy too.
    api.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=True,
                       allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["*"])
    api.add_middleware(GuardMiddleware, max_bytes=settings.max_request_bytes)
    api.add_middleware(NoUploads)
    # Outermost, so every response carries them, refusals included (headers.py).
    api.add_middleware(SecurityHeaders, origins=list(settings.cors_origins),
                       script_hashes=inline_script_hashes(head_html()), no_eval_paths=OWN_PAGES)

    limited = [Depends(rate_limited)]

    @api.get("/api/health", tags=["service"])
    def health() -> dict:
        return {"status": "ok", "today": current_day().isoformat(),
                "documents": [{"doc_id": p.doc_id, "in_force": p.meta.in_force_on(current_day())}
                              for p in assistant.library.policies]}

    @api.get("/api/policies", tags=["policies"])
    def policies() -> dict:
        """The library: every policy with its number, dates and status today, in force first."""
        return {"today": current_day().isoformat(), "policies": policy_entries(assistant.library, current_day())}

    @api.get("/api/ready", tags=["service"],
             responses={503: ERROR_RESPONSES[503] | {"description": "not ready: error.checks names what failed"}})
    def ready() -> dict:
        # Liveness is /api/health; this touches the index and the session store (readiness.py).
        is_ready, checks = readiness(assistant)
        if not is_ready:
            raise ApiError(503, "not_ready", not_ready_message(checks), checks=checks)
        return {"status": "ready", "checks": checks}

    @api.post("/api/chat", response_model=Reply, dependencies=limited, tags=["chat"],
              responses={409: ERROR_RESPONSES[400] | {"description": "id_reused: this id was sent with "
                                                                     "another message"}, **ERROR_RESPONSES})
    async def chat(request: ChatRequest) -> Reply:
        # Waits for a slot on the event loop; only the reply itself takes a worker thread.
        async with chat_slots:
            reply = await run_in_threadpool(assistant.reply, request.session, request.message, current_day(),
                                            request_id=request.id)
        if reply.status is Status.ERROR:
            # reply() already judged the message and said why in the user's script.
            code = reply.error_code or "invalid_input"
            raise ApiError(CHAT_ERROR_STATUS.get(code, 400), code, reply.answer,
                           reply=reply.model_dump(mode="json"))
        return reply

    @api.get("/api/items", tags=["calculators"])
    def items() -> dict:
        return {"items": items_catalog(assistant.rulebook)}

    @api.post("/api/calculate", response_model=CalculationOut, dependencies=limited,
              responses={404: ERROR_RESPONSES[400] | {"description": "unknown item"}, **ERROR_RESPONSES},
              tags=["calculators"])
    def calculate(request: CalculateRequest) -> CalculationOut:
        from calculators import CalculatorError, MissingInputsError, compute

        rule = assistant.rulebook.by_id.get(request.item)
        if rule is None:
            raise ApiError(404, "unknown_item", f"未知的补助项目：“{request.item}”（可用项目见 GET /api/items）")
        try:
            return to_contract(compute(rule, read_inputs(rule, request.inputs)))
        except MissingInputsError as exc:
            raise ApiError(400, "missing_inputs", str(exc), missing=[s.name for s in exc.missing]) from exc
        except (CalculatorError, FormError) as exc:
            raise ApiError(400, "invalid_input", str(exc)) from exc

    @api.post("/api/eligibility", dependencies=limited, responses=ERROR_RESPONSES, tags=["calculators"])
    def eligibility(request: EligibilityRequest) -> dict:
        from pydantic import ValidationError

        from calculators import CalculatorError, check_eligibility

        try:
            report = check_eligibility(assistant.rulebook, read_profile(assistant.rulebook, request.profile))
        except ValidationError as exc:
            fields = "、".join(".".join(map(str, err["loc"])) for err in exc.errors())
            raise ApiError(400, "invalid_input", f"企业情况填写有误：{fields}") from exc
        except (CalculatorError, FormError) as exc:
            raise ApiError(400, "invalid_input", str(exc)) from exc
        return json_safe(report.model_dump())

    @api.post("/api/feedback", status_code=201, response_model=FeedbackSaved, dependencies=limited,
              responses=ERROR_RESPONSES, tags=["chat"])
    def save_feedback(entry: FeedbackIn) -> FeedbackSaved:
        return FeedbackSaved(id=feedback.add(entry))

    @api.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    def unknown_endpoint(rest: str) -> Response:
        raise ApiError(404, "not_found", f"没有这个接口：/api/{rest}")

    @api.get("/docs", include_in_schema=False)
    def docs() -> FileResponse:
        # Self-contained: the stock Swagger page loads its scripts from a CDN, which an
        # intranet portal cannot reach.
        return FileResponse(STATIC / "docs.html")

    @api.get("/policy/{doc_id}", include_in_schema=False)
    def policy_text(doc_id: str) -> HTMLResponse:
        """One policy's text on a page of its own: where a large library's links point."""
        page = policy_page(assistant.library, doc_id, current_day(), css())
        if page is None:
            raise ApiError(404, "not_found", f"政策库中没有这个政策：{doc_id}")
        return HTMLResponse(page)

    @api.get("/embed", include_in_schema=False)
    def embed() -> FileResponse:
        return FileResponse(STATIC / "embed.html")

    @api.get("/gradio.js", include_in_schema=False)
    def web_component() -> FileResponse:
        # Gradio's own loader for <gradio-app>; it imports the bundle from /assets/ of this server.
        return FileResponse(Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js",
                            media_type="text/javascript")

    prepare_gradio_temp_dir(settings.data_dir)  # before the Blocks are built: they read it
    ui = build_ui(assistant, current_day, feedback)
    ui.queue(default_concurrency_limit=settings.ui_concurrency_limit, max_size=settings.queue_max_size)
    private = [str(p) for p in (settings.data_dir, settings.cache_dir, settings.corpus_dir, REPO_ROOT)]
    return gr.mount_gradio_app(
        api, ui, path="/", server_name=settings.host, server_port=settings.port,
        footer_links=[], run_history=False, blocked_paths=private, allowed_paths=[],
        show_error=False, max_file_size=settings.max_request_bytes, ssr_mode=False, mcp_server=False, pwa=False,
        css=css(), head=head_html(), theme=theme(),
    )


def theme():
    import gradio as gr

    # Fonts the machine has: the stock themes pull Google Fonts, unreachable on an intranet.
    local = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"]
    return gr.themes.Soft(primary_hue="blue", text_size="lg", font=local,
                          font_mono=["Noto Sans Mono CJK SC", "monospace"])


def serve(assistant, host: str, port: int, today: date | None = None) -> None:
    assistant.warm_up()
    app = create_app(assistant, today)
    log.info("policy assistant at http://%s:%d/ (API docs at /docs, embeddable chat at /embed)", host, port)
    uvicorn.run(app, host=host, port=port, log_level="info")
