"""`policy-assistant`: ask, batch, index, serve. Replies go to stdout, logs to stderr."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from pathlib import Path

from assistant.config import get_settings, set_offline_environment
from assistant.contract import Reply, Status
from assistant.retrieval.bundled_model import MARKER
from assistant.storage.masking import install_log_masking
from assistant.storage.sessions import new_session_id


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policy-assistant",
                                     description="Answers from the Fuyang “Future Factory” policy, with citations.")
    parser.add_argument("--today", type=_date, default=None,
                        help="the date that decides validity warnings (default: the system date)")
    commands = parser.add_subparsers(dest="command", required=True)

    ask = commands.add_parser("ask", help="ask one question")
    ask.add_argument("message")
    ask.add_argument("--session", default=None, help="continue this conversation")
    ask.add_argument("--json", action="store_true", help="print the Reply as JSON")

    batch = commands.add_parser("batch", help="answer a JSON-lines file of requests")
    batch.add_argument("file", type=Path)

    index = commands.add_parser("index", help="build or update the search index")
    index.add_argument("--rebuild", action="store_true",
                       help="embed everything into a new index, switch to it and delete the old one "
                            "(safe while a server runs on the same data folder)")

    serve = commands.add_parser("serve", help="start the web app and API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None, choices=range(1, 17), metavar="1-16",
                       help="worker processes behind the one host:port (default: WORKERS, 1); more than 1 "
                            "needs CHROMA_MODE=http")
    # Set by the front of several workers for each child it starts (assistant/web/workers.py).
    serve.add_argument("--worker-socket", type=Path, default=None, help=argparse.SUPPRESS)
    return parser


def _prepare_model() -> None:
    settings = get_settings()
    if not settings.embedding_model and not (settings.prepared_model_dir / MARKER).exists():
        from assistant.maintenance.model_prep import prepare_model

        prepare_model(settings.prepared_model_dir)


def _assistant():
    from assistant.core import Assistant

    _prepare_model()
    return Assistant.from_settings(get_settings())


def print_human(reply: Reply) -> None:
    print(reply.answer)
    if reply.follow_up and reply.follow_up not in reply.answer:
        print(f"\n→ {reply.follow_up}")
    for calc in reply.calculations:
        print(f"\n[{calc.title}] {calc.formula}")
        for note in calc.notes:
            print(f"  · {note}")
    for number, cite in enumerate(reply.citations, start=1):
        print(f"\n[{number}] {cite.source} {cite.location}\n    {cite.text}")
    for warning in reply.warnings:
        print(f"\n⚠ {warning}")


def run_ask(args: argparse.Namespace, today: date) -> int:
    try:
        reply = _assistant().reply(args.session, args.message, today)
    except Exception:
        logging.getLogger(__name__).exception("the question could not be answered")
        reply = Reply(session=args.session or new_session_id(), status=Status.ERROR,
                      answer="处理时发生内部错误，请稍后重试或联系管理员。")
    if args.json:
        print(reply.model_dump_json(indent=2))
    else:
        print_human(reply)
    return 1 if reply.status is Status.ERROR else 0


def _error_line(line_no: int, problem: str, request_id: str | None = None, session: str | None = None) -> Reply:
    return Reply(id=request_id, session=session or new_session_id(), status=Status.ERROR,
                 answer=f"第{line_no}行：{problem}")


def run_batch(args: argparse.Namespace, today: date) -> int:
    try:
        lines = args.file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        print(Reply(session=new_session_id(), status=Status.ERROR,
                    answer=f"找不到批量文件：{args.file}").model_dump_json())
        return 1
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as exc:
        print(Reply(session=new_session_id(), status=Status.ERROR,
                    answer=f"无法读取批量文件 {args.file}（需为UTF-8编码的JSON Lines）：{exc}").model_dump_json())
        return 1
    assistant = _assistant()
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        reply = _batch_reply(assistant, line_no, line, today)
        print(reply.model_dump_json(), flush=True)
    return 0


def _batch_reply(assistant, line_no: int, line: str, today: date) -> Reply:
    try:
        request = json.loads(line)
    except json.JSONDecodeError as exc:
        return _error_line(line_no, f"不是有效的JSON（{exc.msg}，第{exc.colno}列）")
    if not isinstance(request, dict):
        return _error_line(line_no, "应为JSON对象，例如 {\"id\": \"1\", \"session\": \"s1\", \"message\": \"…\"}")
    request_id = request.get("id")
    request_id = None if request_id is None else str(request_id)
    session = request.get("session")
    session = None if session is None else str(session)
    if "message" not in request:
        return _error_line(line_no, "缺少 message 字段", request_id, session)
    try:
        return assistant.reply(session, request["message"], today, request_id=request_id)
    except Exception:
        # One broken line must not cost the rest of the file its answers; the log keeps the cause.
        logging.getLogger(__name__).exception("line %d failed", line_no)
        return _error_line(line_no, "处理时发生内部错误，请稍后重试或联系管理员", request_id, session)


def run_index(args: argparse.Namespace) -> int:
    """Index every policy that loads; a policy folder that does not is named with its file, line
    and reason, and the exit status is 1 so a script notices, while the others are indexed."""
    from assistant.corpus.library import load_library
    from assistant.retrieval.indexes import update_index

    settings = get_settings()
    library = load_library(settings.corpus_dir, settings.library_snapshot)  # the one update_index reads
    for policy in library.policies:
        meta = policy.meta
        print(f"policy {policy.doc_id}: {len(policy.document.clauses)} clauses, {len(policy.rulebook.rules)} "
              f"calculator rules, in force {meta.in_force_from} to {meta.in_force_until}")
    for problem in library.problems:
        print(f"policy left out: {problem}", file=sys.stderr)
    _prepare_model()
    report = update_index(settings, rebuild=args.rebuild, progress=True)
    print(report.summary())
    return 1 if library.problems else 0


def run_serve(args: argparse.Namespace, today: date | None) -> int:
    from assistant.web.api import serve

    settings = get_settings()
    host, port, workers = args.host or settings.host, args.port or settings.port, args.workers or settings.workers
    if args.worker_socket is not None:
        from assistant.web.workers import serve_worker

        serve_worker(_assistant(), args.worker_socket, today=today)
        return 0
    if workers > 1:
        from assistant.web.workers import WorkersFailed, serve_workers

        try:
            return serve_workers(settings, host, port, workers, today=today)
        except WorkersFailed as exc:
            print(f"policy-assistant serve: {exc}", file=sys.stderr)
            return 2
    serve(_assistant(), host=host, port=port, today=today)
    return 0


def main(argv: list[str] | None = None) -> int:
    set_offline_environment()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    install_log_masking(get_settings().mask_personal_data)  # phone and ID numbers never reach a log
    for chatty in ("sentence_transformers", "httpx", "chromadb"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    today = args.today or date.today()
    if args.command == "ask":
        return run_ask(args, today)
    if args.command == "batch":
        return run_batch(args, today)
    if args.command == "index":
        return run_index(args)
    return run_serve(args, args.today)


if __name__ == "__main__":
    sys.exit(main())
