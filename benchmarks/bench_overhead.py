"""Harness overhead per trial: trial wall time minus the claude process's own wall time, on the demo.

Usage: python benchmarks/bench_overhead.py [--trials N] [--parallel K]
Runs the bundled demo with the scripted model and prints the median, min and max overhead (target < 1 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal_json


def run(trials: int, parallel: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        code = main(["demo", "--trials", str(trials), "--parallel", str(parallel), "--run-dir", str(run_dir),
                     "--no-report"])
        if code != 0:
            raise SystemExit(f"demo failed with exit code {code}")
        records = read_journal_json(run_dir / "results.jsonl")
    return [r["wall_s"] - r["agent_wall_s"] for r in records if r.get("agent_wall_s") is not None]


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=1)
    args = parser.parse_args()
    overheads = run(args.trials, args.parallel)
    print(f"trials: {len(overheads)}")
    print(f"harness overhead per trial: median {statistics.median(overheads):.3f} s, "
          f"min {min(overheads):.3f} s, max {max(overheads):.3f} s (target < 1 s)")


if __name__ == "__main__":
    cli()
