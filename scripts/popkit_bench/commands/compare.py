"""`popkit-bench compare RUN_DIR RUN_DIR...`: analyse several runs together (merged, or arm vs arm across runs)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

from popkit_bench.analysis.analyze import analyze_records
from popkit_bench.analysis.io import write_analysis
from popkit_bench.analysis.merge import merge_runs
from popkit_bench.commands.analyze import render_summary
from popkit_bench.errors import InsufficientDataError
from popkit_bench.record.rundir import RunDir


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compare", help="analyse several run folders together",
        description="Merge the trial records of several runs (e.g. made on several machines) and analyse "
                    "them as one data set; with --by-run, arms are named <run>:<arm> so that, for example, "
                    "the plugin arm of an old run can be compared with the plugin arm of a new one.")
    parser.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    parser.add_argument("--by-run", action="store_true", help="keep runs apart: arms become <run>:<arm>")
    parser.add_argument("--baseline", metavar="ARM", help="baseline arm (with --by-run: <run>:<arm>)")
    parser.add_argument("--treatment", metavar="ARM", help="treatment arm (default: every other arm)")
    parser.add_argument("--output", type=Path, help="folder for the merged run (default .popkit/compare/<time>)")
    parser.add_argument("--json", action="store_true", help="print the analysis JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    records, info = merge_runs(list(args.run_dirs), by_run=args.by_run)
    analysis = analyze_records(records, baseline=args.baseline, treatment=args.treatment, run_info=info,
                               seed=args.seed)
    out = args.output or Path(".popkit") / "compare" / datetime.now().strftime("%Y%m%d-%H%M%S")
    merged = RunDir(out)
    merged.write_run_json({**info, "run_id": out.name, "schema": 1})
    merged.results_path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records),
                                   encoding="utf-8")
    written = write_analysis(out, analysis)
    if args.json:
        print(written.read_text(encoding="utf-8"), end="")
    else:
        print(render_summary(analysis, written))
        print(f"merged run folder (use `popkit-bench report {out}`): {out}")
    if not analysis["sufficiency"]["ok"]:
        raise InsufficientDataError("too little data: " + "; ".join(analysis["sufficiency"]["problems"]))
    return 0
