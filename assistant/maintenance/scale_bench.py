"""`make bench`'s library-size table: retrieval over generated libraries of 1k, 10k and 100k clauses
(scale_library.py) beside one of 24, the size of the corpus today.

Per size: the index build (the real tokenizer and bm25s; Chroma filled with generated vectors of
the model's dimension), then a fresh process that starts as a server does — imports, the
embedding model, opening the saved indexes — and answers questions through the real
HybridRetriever (query embedded by the real model, BM25 and Chroma top-k, fusion, answerability
signals). Printed: build time, start-up (to the first retrieval), warm retrieval p50/p95, the
process's peak RSS, and the model's embedding throughput.

Builds are kept under <cache_dir>/scale-bench/<size>/ and reused; a build interrupted (Ctrl-C,
a crash) resumes where it stopped: tokens are cached per batch and vectors already in Chroma are
not added again. `--rebuild` starts afresh. Asserts nothing."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from assistant.config import Settings, get_settings, set_offline_environment
from assistant.maintenance import scale_library

SIZES = (24, 1_000, 10_000, 100_000)
GOALS = {"warm_p95_ms": 150, "startup_over_smallest_s": 2.0, "peak_rss_mb": 2048}
QUERIES = 200
# Vectors added to Chroma per request: one progress step, and what an interruption loses at most.
UPSERT_BATCH = 1000
BUILD_RECORD = "build.json"
FIRST_QUESTION = "智能工厂改造项目补助标准是多少"


def bench_settings(base: Settings, size: int) -> Settings:
    """A generated library's own corpus, data folder and collection, kept between runs."""
    folder = base.cache_dir / "scale-bench" / str(size)
    return base.model_copy(update={"corpus_dir": folder / "corpus", "data_dir": folder, "collection": "scale-bench"})


def build(settings: Settings, size: int, embedder, rebuild: bool) -> dict:
    """The indexes `policy-assistant index` would save for a generated library of `size` items,
    with generated vectors in place of the model's; built, or resumed where a build stopped."""
    from assistant.corpus.library import load_library
    from assistant.language.tokenizer import tokenizer_for
    from assistant.retrieval.indexes import library_fingerprint
    from assistant.retrieval.lexical_store import LexicalStore, passages_of

    record = settings.data_dir / BUILD_RECORD
    if rebuild:
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    built = json.loads(record.read_text()) if record.exists() else None
    started = time.perf_counter()
    if built is None:
        scale_library.policy_folders(settings.corpus_dir, size)
    # As `index` does: the library's snapshot saved, the lexical index named by its fingerprint.
    library = load_library(settings.corpus_dir, settings.library_snapshot)
    tokenizer = tokenizer_for(settings, library.user_dictionaries)
    name = library_fingerprint(library, tokenizer, embedder)
    store = LexicalStore(settings.data_dir)
    if store.current() != name:  # none yet, or saved by a build whose fingerprint differed
        store.build(passages_of(library.documents), tokenizer, progress=True, name=name)
    if built is not None:
        return built
    lexical_s = time.perf_counter() - started
    _fill_vectors(settings, library.documents, embedder)
    figures = {"items": size, "clauses": sum(len(d.clauses) for d in library.documents),
               "build_s": time.perf_counter() - started, "lexical_build_s": lexical_s}
    record.write_text(json.dumps(figures))
    return figures


def _fill_vectors(settings: Settings, documents, embedder) -> None:
    """Generated vectors under each clause's key, with the metadata `index` writes, so a server
    over this library opens the collection as its own; clauses already there are skipped."""
    from tqdm import tqdm

    from assistant.retrieval.chroma_index import chroma_client, clause_hash, collection_statistics
    from assistant.retrieval.embeddings import ChromaPolicyEmbedding
    from assistant.retrieval.index_versions import current_name, new_collection_name, switch_to

    clauses = [(clause, document.meta.title) for document in documents for clause in document.clauses]
    client = chroma_client(settings)
    pending = [c.name for c in client.list_collections() if c.name.startswith(settings.collection + "-")
               and not c.name.endswith("-current")]
    name = current_name(client, settings) or (pending[0] if pending else new_collection_name(settings))
    # Our embedding function, as every collection gets: Chroma's default one downloads a model.
    collection = client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"},
                                                 embedding_function=ChromaPolicyEmbedding(embedder))  # type: ignore[arg-type]
    present = set(collection.get(include=[])["ids"])
    bar = tqdm(total=len(clauses), initial=len(present), desc="vectors into Chroma", unit="clause", file=sys.stderr)
    batches = scale_library.vector_batches(len(clauses), batch=UPSERT_BATCH)
    for start, vectors in zip(range(0, len(clauses), UPSERT_BATCH), batches, strict=True):
        batch = clauses[start:start + UPSERT_BATCH]
        keys = [f"{clause.doc_id}:{clause.clause_id}" for clause, _ in batch]
        if all(key in present for key in keys):
            continue
        collection.upsert(ids=keys, embeddings=vectors, documents=[clause.text for clause, _ in batch],
                          metadatas=[{"doc_id": clause.doc_id, "clause_id": clause.clause_id,
                                      "location": clause.location, "title": title, "kind": clause.kind,
                                      "content_hash": clause_hash(clause, embedder)} for clause, title in batch])
        bar.update(len(keys))
    bar.close()
    collection_statistics(settings, collection, fresh=True)
    switch_to(client, settings, name)


def probe(size: int) -> None:
    """Run in a fresh process: start as a server would, then time retrievals. Prints JSON."""
    started = time.perf_counter()
    from assistant.language.tokenizer import tokenizer_for
    from assistant.language.vocabulary import Vocabulary
    from assistant.retrieval.chroma_index import ChromaVectors, chroma_client
    from assistant.retrieval.embeddings import Embedder, QueryCache
    from assistant.retrieval.hybrid import HybridRetriever
    from assistant.retrieval.lexical_store import LexicalStore

    base = get_settings()
    settings = bench_settings(base, size)
    imported = time.perf_counter()
    questions = _questions(size)
    # Each question's vector is kept after its first retrieval, so the timed pass measures
    # search, fusion and signals; the first pass's extra time is the query's embedding.
    embedder = QueryCache(Embedder.from_settings(base), size=len(questions))
    tokenizer = tokenizer_for(settings)
    store = LexicalStore(settings.data_dir)
    lexical = store.open(store.current() or "")
    if lexical is None:
        raise SystemExit(f"no saved index for {size} clauses: build it first")
    retriever = HybridRetriever(scale_library.GeneratedClauses(size), tokenizer, lexical,
                                ChromaVectors(chroma_client(settings), settings, embedder),
                                Vocabulary(base.corpus_dir / "vocabulary"))
    retriever.retrieve(FIRST_QUESTION)
    ready = time.perf_counter()
    first: list[float] = []
    timings: list[float] = []
    for timed in (first, timings):
        for question in questions:
            begun = time.perf_counter()
            retriever.retrieve(question)
            timed.append((time.perf_counter() - begun) * 1000)
    embedding = statistics.median(a - b for a, b in zip(first, timings, strict=True))
    print(json.dumps({"imports_s": imported - started, "startup_s": ready - started, "timings_ms": timings,
                      "query_embedding_ms": embedding,
                      "peak_rss_mb": _peak_rss_mb()}))


def _peak_rss_mb() -> float:
    """This process's own peak (VmHWM). getrusage's maxrss would carry over the launching
    process's peak through fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _questions(size: int) -> list[str]:
    """Callers' questions over generated items: a clause's item and facet, in other words."""
    import random

    rng = random.Random(7)
    asked = []
    for _ in range(QUERIES):
        text = scale_library.clause_text(rng.randrange(size))
        fragment = text[rng.randrange(0, max(1, len(text) - 12)):][:12]
        asked.append(rng.choice(("{}有补贴吗", "{}最高补多少", "请问{}怎么申报", "{}要什么材料")).format(fragment))
    return asked


def embedding_throughput(base: Settings, count: int = 64) -> float:
    from assistant.retrieval.embeddings import Embedder

    embedder = Embedder.from_settings(base)
    texts = [passage.text for passage in scale_library.passages(count, seed=1)]
    embedder.passages(texts[:8])  # the first batch pays for the model's warm-up
    started = time.perf_counter()
    embedder.passages(texts)
    return count / (time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def app_startup(settings: Settings) -> float:
    """Seconds for `policy-assistant ask` over the generated library: the whole app's start-up
    (library, indexes opened, model) and one answer, in a new process."""
    environment = {**os.environ, "POLICY_ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
                   "POLICY_ASSISTANT_DATA_DIR": str(settings.data_dir),
                   "POLICY_ASSISTANT_COLLECTION": settings.collection}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "--json", FIRST_QUESTION],
                   check=True, capture_output=True, env=environment)
    return time.perf_counter() - started


def library_table(sizes: tuple[int, ...] = SIZES, rebuild: bool = False) -> list[dict]:
    from assistant.retrieval.embeddings import Embedder

    base = get_settings()
    embedder = Embedder.from_settings(base)
    rows = []
    for size in sizes:
        settings = bench_settings(base, size)
        built = build(settings, size, embedder, rebuild)
        measured = subprocess.run([sys.executable, "-m", "assistant.maintenance.scale_bench", "--probe", str(size)],
                                  check=True, capture_output=True, text=True)
        figures = json.loads(measured.stdout.strip().splitlines()[-1])
        timings = figures.pop("timings_ms")
        app_startup(settings)  # not counted: the first run after a build fills the OS file cache
        rows.append({**built, **figures, "warm_p50_ms": percentile(timings, 0.5),
                     "warm_p95_ms": percentile(timings, 0.95), "questions": len(timings),
                     "app_startup_s": app_startup(settings)})
    return rows


def print_table(rows: list[dict], throughput: float) -> None:
    smallest, smallest_app = rows[0]["startup_s"], rows[0]["app_startup_s"]
    print(f"retrieval by library size (generated policies; {rows[0]['questions']} questions each; "
          f"goals at 100k: p95 ≤ {GOALS['warm_p95_ms']} ms, start-up ≤ +{GOALS['startup_over_smallest_s']:.0f} s "
          f"of the smallest, RSS ≤ {GOALS['peak_rss_mb']} MB)")
    print(f"  {'clauses':>8}  {'build':>8}  {'retriever start-up':>22}  {'p50':>8}  {'p95':>8}  {'peak RSS':>9}"
          f"  {'app start-up (ask)':>22}")
    for row in rows:
        print(f"  {row['clauses']:>8}  {row['build_s']:>7.1f}s  "
              f"{row['startup_s']:>7.2f}s ({row['startup_s'] - smallest:>+6.2f}s)"
              f"  {row['warm_p50_ms']:>6.1f}ms  {row['warm_p95_ms']:>6.1f}ms  {row['peak_rss_mb']:>7.0f}MB"
              f"  {row['app_startup_s']:>7.2f}s ({row['app_startup_s'] - smallest_app:>+6.2f}s)")
    print(f"  a question's embedding adds {statistics.median(r['query_embedding_ms'] for r in rows):.0f} ms "
          "(median; once per question, cached for its other uses); the model embeds "
          f"{throughput:.1f} clauses/s when indexing")


def main(argv: list[str] | None = None) -> int:
    set_offline_environment()
    parser = argparse.ArgumentParser(prog="python -m assistant.maintenance.scale_bench")
    parser.add_argument("--probe", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--rebuild", action="store_true", help="build the generated libraries afresh")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.probe:
        probe(args.probe)
        return 0
    rows = library_table(tuple(args.sizes), args.rebuild)
    throughput = embedding_throughput(get_settings())
    if args.json:
        print(json.dumps({"sizes": rows, "embedding_clauses_per_s": throughput}, indent=2))
    else:
        print_table(rows, throughput)
    return 0


if __name__ == "__main__":
    sys.exit(main())
