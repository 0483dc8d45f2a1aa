"""`popkit-bench list [--json]`: the tasks that can be run."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.report.fmt import ellipsize
from popkit_bench.tasks.discovery import discover


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("list", help="list the available tasks")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument("--tasks-dir", action="append", default=[], help="extra folder of tasks (repeatable)")
    parser.add_argument("--category", help="only this category")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    found = discover(args.tasks_dir)
    tasks = [t for t in found if not args.category or t.category == args.category]
    if args.category and not tasks:
        known = ", ".join(sorted({t.category for t in found})) or "none"
        raise InputError(f"no task in category {args.category!r}", field="--category",
                         expected=f"one of the categories found: {known}")
    rows = [
        {
            "id": t.id,
            "category": t.category,
            "difficulty": t.difficulty,
            "codebase": t.codebase,
            "description": t.description,
            "path": str(t.path),
            "verification": [v.command for v in t.verification],
            "tags": list(t.tags),
        }
        for t in tasks
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no tasks found")
    else:
        print(table(rows, shutil.get_terminal_size().columns if sys.stdout.isatty() else None))
    return 0


COLUMNS = ("id", "category", "difficulty", "codebase", "description")
MAX_CODEBASE = 32


def table(rows: list[dict[str, Any]], width: int | None = None) -> str:
    """The task list as aligned columns with a header; descriptions cut to `width` (a terminal's) with '…'."""
    cells = [[str(r[c] or "-") for c in COLUMNS] for r in rows]
    codebase = COLUMNS.index("codebase")
    for line in cells:
        line[codebase] = ellipsize(line[codebase], MAX_CODEBASE, keep_end=True)
    header = [c.upper() for c in COLUMNS]
    widths = [max(len(x) for x in column) for column in zip(header, *cells, strict=True)]
    room = max(20, width - sum(widths[:-1]) - 2 * (len(COLUMNS) - 1)) if width else 10_000
    lines = []
    for line in [header, *cells]:
        line = [*line[:-1], ellipsize(line[-1], room)]
        lines.append("  ".join(x.ljust(w) for x, w in zip(line[:-1], widths[:-1], strict=True)) + "  " + line[-1])
    return "\n".join(lines)
