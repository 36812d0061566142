"""First-contact measurement: sets of cases written by examiners who read only the policy text
and the Reply contract (tests/data/fresh/). Each set is scored once, before anything is changed
because of it, and that score is written into the set's header with its date; `make eval`
prints it next to today's score, per category.

    python -m assistant.maintenance.fresh_sets record tests/data/fresh/set_b.jsonl

scores an unscored set and records its first contact; a set already recorded is refused, so the
figure can never be re-taken after tuning."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from assistant.config import REPO_ROOT, set_offline_environment
from assistant.maintenance.scoring import passes, run_batch

FRESH_DIR = REPO_ROOT / "tests" / "data" / "fresh"
# The categories examiners write, in the order the table prints them.
FRESH_CATEGORIES = ("fact", "not_stated", "amount", "follow_up", "english", "typo", "long", "multi_part",
                    "refusal")
# Runs of a set beside the product: without the example fallback and without the callers' words,
# to show what each contributes.
VARIANTS = {
    "today": {},
    "no examples": {"POLICY_ASSISTANT_USE_EXAMPLES": "false"},
    "no callers' words": {"POLICY_ASSISTANT_USE_SYNONYMS": "false"},
}

Table = dict[str, tuple[int, int]]


def read_set(path: Path) -> tuple[dict, list[dict]]:
    """(header, cases): the first line of a set is {"header": {...}}."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines or "header" not in lines[0]:
        raise ValueError(f"{path}: the first line must be {{\"header\": {{...}}}}")
    return lines[0]["header"], lines[1:]


def write_header(path: Path, header: dict) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = json.dumps({"header": header}, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def fresh_sets(folder: Path = FRESH_DIR) -> list[Path]:
    return sorted(folder.glob("*.jsonl"))


def table_of(cases: list[dict], passed: Callable[[dict], bool]) -> Table:
    table: Table = {}
    for case in cases:
        ok, total = table.get(case["category"], (0, 0))
        table[case["category"]] = (ok + passed(case), total + 1)
    ordered = [c for c in FRESH_CATEGORIES if c in table] + sorted(set(table) - set(FRESH_CATEGORIES))
    return {category: table[category] for category in ordered}


def overall(table: Table) -> tuple[int, int]:
    return sum(ok for ok, _ in table.values()), sum(total for _, total in table.values())


def _cell(ok: int, total: int) -> str:
    return f"{ok:3d}/{total:<3d} {ok / total if total else 0:6.1%}"


def print_tables(name: str, header: dict, tables: dict[str, Table]) -> None:
    """One row per category: the recorded first contact, then each run of today."""
    first = header.get("first_contact") or {}
    recorded = {category: tuple(cell) for category, cell in (first.get("categories") or {}).items()}
    print(f"\nFresh set {name} (written {header.get('written', '?')}; first contact "
          f"{first.get('date', 'not recorded')}) — passed/total per category")
    columns = ["first contact", *tables]
    print(f"  {'category':12} " + "  ".join(f"{column:>18}" for column in columns))
    categories = list(dict.fromkeys([*recorded, *(c for table in tables.values() for c in table)]))
    for category in [*categories, "all"]:
        cells = []
        for table in [recorded, *tables.values()]:
            ok, total = overall(table) if category == "all" else table.get(category, (0, 0))
            cells.append(f"{_cell(ok, total):>18}" if total else f"{'—':>18}")
        print(f"  {category:12} " + "  ".join(cells))


def record(path: Path, today: str | None) -> int:
    """Scores an unscored set once and writes its first contact into the header."""
    header, cases = read_set(path)
    if header.get("first_contact"):
        print(f"{path.name}: first contact already recorded on {header['first_contact']['date']}; "
              "it is never re-taken", file=sys.stderr)
        return 2
    replies = run_batch(cases, today)
    table = table_of(cases, lambda case: passes(case, replies[case["id"]]))
    ok, total = overall(table)
    header["first_contact"] = {"date": date.today().isoformat(), "passed": ok, "total": total,
                               "categories": {category: list(cell) for category, cell in table.items()}}
    write_header(path, header)
    print_tables(path.stem, header, {})
    return 0


def main(argv: list[str] | None = None) -> int:
    set_offline_environment()
    parser = argparse.ArgumentParser(prog="python -m assistant.maintenance.fresh_sets")
    sub = parser.add_subparsers(dest="command", required=True)
    recording = sub.add_parser("record", help="score an unscored set once and record its first contact")
    recording.add_argument("path", type=Path)
    recording.add_argument("--today", default=None)
    args = parser.parse_args(argv)
    return record(args.path, args.today)


if __name__ == "__main__":
    sys.exit(main())
