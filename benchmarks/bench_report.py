"""Report generation time and HTML size for synthetic runs of 100 and 10,000 trials.

Targets: under 3 s and under 3 MB of HTML per run. Run: `python benchmarks/bench_report.py [--sizes 100 10000]`.
The analysis is timed separately (it is the statistics engineer's code); the report timing covers
write_reports: reading the run, building the model, rendering markdown, HTML, JSON and the index.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "shared"), str(ROOT / "tests")]

from synthetic_run import RunSpec, write_run  # noqa: E402

from popkit_bench.analysis.analyze import analyze_run  # noqa: E402
from popkit_bench.report.generate import write_reports  # noqa: E402

TIME_TARGET_S = 3.0
SIZE_TARGET_BYTES = 3 * 1024 * 1024


def bench(trials: int, workdir: Path) -> dict[str, float | int | bool]:
    """Make a run of `trials` trials (two arms, every trial with a stream.jsonl) and time its reports."""
    per_arm = trials // 2
    run = write_run(workdir / f"run-{trials}", RunSpec(run_id=f"bench-{trials}", trials_requested=per_arm))
    started = time.perf_counter()
    analysis = analyze_run(run, write=False)
    analysed = time.perf_counter() - started
    started = time.perf_counter()
    paths = write_reports(run, analysis, workdir / f"out-{trials}")
    elapsed = time.perf_counter() - started
    sizes = {p.suffix: p.stat().st_size for p in paths if p.name != "index.html"}
    return {"trials": trials, "analysis_s": analysed, "report_s": elapsed, "html_bytes": sizes[".html"],
            "md_bytes": sizes[".md"], "json_bytes": sizes[".json"],
            "ok": elapsed < TIME_TARGET_S and sizes[".html"] < SIZE_TARGET_BYTES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000], help="trial counts (default 100 10000)")
    args = parser.parse_args(argv)
    failed = False
    print(f"{'trials':>7} {'analysis':>9} {'report':>8} {'html':>9} {'markdown':>9} {'json':>9}  target (<3 s, <3 MB)")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        for size in args.sizes:
            r = bench(size, Path(tmp))
            failed |= not r["ok"]
            print(f"{r['trials']:>7,} {r['analysis_s']:>8.2f}s {r['report_s']:>7.2f}s {r['html_bytes'] / 1e6:>7.2f}MB "
                  f"{r['md_bytes'] / 1e6:>7.2f}MB {r['json_bytes'] / 1e6:>7.2f}MB  {'ok' if r['ok'] else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
