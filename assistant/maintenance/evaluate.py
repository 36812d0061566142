"""`make eval`: the dev set and the eval set through `policy-assistant batch`, scored as the
data README says (the dev set per metric, the eval set per category), the fresh sets, routing
across a library with invented policies, plus retrieval hit@1/hit@3 for BM25 alone, dense alone
and the fusion."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path

import yaml

from assistant.config import REPO_ROOT, get_settings, set_offline_environment
from assistant.corpus.documents import Clause
from assistant.maintenance.fresh_sets import VARIANTS, fresh_sets, print_tables, read_set, table_of
from assistant.maintenance.scoring import fold_for_compare, load_cases, passes, passes_in, run_batch, score_case

DEV_CASES = REPO_ROOT / "tests" / "data" / "dev_cases.jsonl"
EVAL_CASES = REPO_ROOT / "tests" / "data" / "eval_cases.jsonl"
# Routing across a library: invented policies (tests/data/policies) beside the corpus's, on a day
# the invented one is in force and the Fuyang policy has expired.
LIBRARY_CASES = REPO_ROOT / "tests" / "data" / "library_cases.jsonl"
LIBRARY_POLICIES = REPO_ROOT / "tests" / "data" / "policies"
LIBRARY_DAY = "2026-12-03"
# The eval set's categories, in the order the table prints them, and the kinds each may hold.
CATEGORIES = {
    "not_stated": {"not_stated", "fact"},
    "follow_up": {"fact", "calc"},
    "typo": {"fact", "calc"},
    "long": {"fact", "calc"},
    "english": {"fact", "calc"},
    "multi_part": {"fact", "calc"},
}
def category_table(cases: list[dict], replies: dict[str, list[dict]]) -> dict[str, tuple[int, int]]:
    """Per category: (cases passing every check, cases)."""
    table = {category: (0, 0) for category in CATEGORIES}
    for case in cases:
        passed, total = table.get(case["category"], (0, 0))
        table[case["category"]] = (passed + all(score_case(case, replies[case["id"]]).values()), total + 1)
    return table


def print_eval(cases: list[dict], replies: dict[str, list[dict]], source: Path, verbose: bool) -> None:
    if verbose:
        for case in cases:
            failed = [name for name, ok in score_case(case, replies[case["id"]]).items() if not ok]
            if failed:
                last = replies[case["id"]][-1]
                print(f"FAIL {case['category']:10} {case['id']} [{', '.join(failed)}]: {case['turns'][-1][:60]} "
                      f"→ {last['status']}: {last['answer'][:100]!r}")
    print(f"\nReplies by category ({source.name}; a case passes when all its checks pass)")
    passed_all = total_all = 0
    for category, (passed, total) in category_table(cases, replies).items():
        print(f"  {category:13} {passed:3d}/{total:<3d} {passed / total if total else 0:6.1%}")
        passed_all, total_all = passed_all + passed, total_all + total
    print(f"  {'all':13} {passed_all:3d}/{total_all:<3d} {passed_all / total_all if total_all else 0:6.1%}")


# One log line per ASK turn of a model-configured assistant (integrations/llm/answerer.TURN_LOG).
_MODEL_TURN = re.compile(r"llm-turn outcome=(\w+)")


def model_summary(log: list[str]) -> str:
    """What the language model did over the run: answers kept, answers the guard replaced, turns
    it could not answer, questions not sent because the policy does not answer them."""
    settings = get_settings()
    counts: dict[str, int] = defaultdict(int)
    for line in log:
        match = _MODEL_TURN.search(line)
        if match:
            counts[match.group(1)] += 1
    produced = counts["answered"] + counts["replaced"]
    rate = counts["replaced"] / produced if produced else 0.0
    return (f"\nLanguage model ({settings.llm_provider}, {settings.llm_model}): {sum(counts.values())} ASK turns; "
            f"{counts['answered']} answered by the model, {counts['replaced']} replaced by the guard "
            f"(replacement rate {rate:.1%} of the model's answers), {counts['unavailable']} unavailable "
            f"(plain answer), {counts['not_stated']} not sent (the policy does not answer them)")


def print_fresh_set(path: Path, today: str | None, verbose: bool) -> None:
    """A fresh set's first contact beside today's runs: the product, and without the example
    fallback and the callers' words, to show what each contributes."""
    header, cases = read_set(path)
    tables = {}
    for variant, env in VARIANTS.items():
        replies = run_batch(cases, today, env=env)
        tables[variant] = table_of(cases, partial(passes_in, replies))
        if verbose and variant == "today":
            for case in cases:
                if not passes(case, replies[case["id"]]):
                    last = replies[case["id"]][-1]
                    print(f"FAIL {path.stem} {case['category']:10} {case['id']}: {case['turns'][-1][:60]} "
                          f"→ {last['status']}: {last['answer'][:100]!r}")
    print_tables(path.stem, header, tables)


RETRIEVAL_SETS = {
    "blind": REPO_ROOT / "tests" / "data" / "retrieval_blind.yaml",
    "held-out": REPO_ROOT / "tests" / "data" / "retrieval_cases.yaml",
}


def print_library_set(path: Path, verbose: bool) -> None:
    """The library's routing on a day the demo policy is in force and the Fuyang one expired: the
    corpus's policies beside the invented ones of tests/data/policies, in a corpus and data folder
    of this run's own (the index is built for them on the way)."""
    cases = load_cases(path)
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        shutil.copytree(REPO_ROOT / "corpus", corpus)
        for folder in sorted(LIBRARY_POLICIES.iterdir()):
            shutil.copytree(folder, corpus / "policies" / folder.name)
        env = {"POLICY_ASSISTANT_CORPUS_DIR": str(corpus), "POLICY_ASSISTANT_DATA_DIR": str(Path(scratch) / "data")}
        replies = run_batch(cases, LIBRARY_DAY, env=env)
    print(f"\nThe policy library ({path.relative_to(REPO_ROOT)}: the corpus and tests/data/policies, "
          f"on {LIBRARY_DAY}) — passed/total per category")
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in cases:
        table[case["category"]][0] += passes(case, replies[case["id"]])
        table[case["category"]][1] += 1
    for category, (passed, total) in table.items():
        print(f"  {category:13} {passed:3d}/{total:<3d} {passed / total:6.1%}")
    if verbose:
        for case in cases:
            if not passes(case, replies[case["id"]]):
                print(f"FAIL {case['id']}: {case['turns'][-1]} → {replies[case['id']][-1]['answer'][:80]!r}")


def _quotes(key: str) -> Callable[[Clause], bool]:
    folded = fold_for_compare(key)
    return lambda clause: folded in fold_for_compare(clause.text)


def _located_at(where: str) -> Callable[[Clause], bool]:
    return lambda clause: clause.location == where


def retrieval_questions(cases: list[dict]) -> dict[str, list[tuple[str, Callable[[Clause], bool]]]]:
    """Per question set: (question, does this clause answer it?)."""
    sets = {"dev": [(c["turns"][-1], _quotes(c["clause_key"])) for c in cases if c["kind"] == "fact"]}
    for name, path in RETRIEVAL_SETS.items():
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        sets[name] = [(e["q"], _located_at(e["location"])) for e in entries]
    return sets


def retrieval_table(cases: list[dict], use_synonyms: bool = True) -> dict[str, dict[str, tuple[int, int, int]]]:
    from assistant.core import Assistant

    retriever = Assistant.from_settings(get_settings().model_copy(update={"use_synonyms": use_synonyms})).retriever
    table: dict[str, dict[str, tuple[int, int, int]]] = {}
    for set_name, questions in retrieval_questions(cases).items():
        for mode in ("bm25", "dense", "fusion"):
            at1 = at3 = 0
            for question, answers in questions:
                found = [answers(hit.clause) for hit in retriever.retrieve(question, k=3, mode=mode).hits]
                at1 += bool(found) and found[0]  # no clause holds any of the question's words: a miss
                at3 += any(found)
            table.setdefault(set_name, {})[mode] = (at1, at3, len(questions))
    return table


def main(argv: list[str] | None = None) -> int:
    set_offline_environment()
    parser = argparse.ArgumentParser(prog="python -m assistant.maintenance.evaluate")
    parser.add_argument("--cases", type=Path, default=DEV_CASES)
    parser.add_argument("--eval-cases", type=Path, default=EVAL_CASES,
                        help="the per-category eval set (skipped when the file is absent)")
    parser.add_argument("--today", default=None, help="passed to batch (default: the system date)")
    parser.add_argument("--verbose", action="store_true", help="list every failed case")
    parser.add_argument("--fresh", type=Path, nargs="*", default=None,
                        help="fresh sets to score (default: every set in tests/data/fresh/)")
    args = parser.parse_args(argv)
    if not args.cases.exists():
        print(f"no dev cases at {args.cases}", file=sys.stderr)
        return 2
    cases = load_cases(args.cases)
    eval_cases = load_cases(args.eval_cases) if args.eval_cases.exists() else []
    batch_log: list[str] = []
    replies = run_batch(cases + eval_cases, args.today, batch_log)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in cases:
        for metric, passed in score_case(case, replies[case["id"]]).items():
            totals[metric][0] += passed
            totals[metric][1] += 1
            if not passed and args.verbose:
                last = replies[case["id"]][-1]
                print(f"FAIL {metric:13} {case['id']}: {case['turns'][-1]} → {last['status']}: "
                      f"{last['answer'][:80]!r}")
    print("\nReplies (dev set through `policy-assistant batch`)")
    for metric in ("facts", "citation", "out_of_scope", "calculation"):
        hits, total = totals.get(metric, [0, 0])
        print(f"  {metric:13} {hits:3d}/{total:<3d} {hits / total if total else 0:6.1%}")
    if eval_cases:
        print_eval(eval_cases, replies, args.eval_cases, args.verbose)
    for path in fresh_sets() if args.fresh is None else args.fresh:
        print_fresh_set(path, args.today, args.verbose)
    if LIBRARY_CASES.exists():
        print_library_set(LIBRARY_CASES, args.verbose)
    if get_settings().llm_provider != "none":
        print(model_summary(batch_log))
    for use_synonyms in (True, False):
        print(f"\nRetrieval hit@1 / hit@3, {'with' if use_synonyms else 'WITHOUT'} "
              "corpus/vocabulary/callers_words.yaml (dev: clause_key in the clause; the others: the labelled clause)")
        table = retrieval_table(cases, use_synonyms)
        print(f"  {'set':10} {'n':>3}  " + "  ".join(f"{mode:>15}" for mode in ("bm25", "dense", "fusion")))
        for set_name, modes in table.items():
            cells = "  ".join(f"{at1 / n:6.1%} / {at3 / n:6.1%}" for at1, at3, n in modes.values())
            print(f"  {set_name:10} {next(iter(modes.values()))[2]:3d}  {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
