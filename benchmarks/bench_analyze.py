"""Time `analyze` on 10,000 synthetic trial records (target: under 2 s per shape).

Usage: python benchmarks/bench_analyze.py [--records N] [--repeat K]
Prints the wall time of analyze_records for three shapes of the same number of records: one task with
many trials, a suite of 20 tasks, and a suite of 100 tasks (2 arms each, 2,000 bootstrap resamples).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "shared"), str(ROOT / "tests")]

from popkit_bench.analysis.analyze import analyze_records  # noqa: E402

TARGET_S = 2.0


def _synthetic():
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "tests" / "stats" / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_shape(synthetic, records: int, tasks: int, repeat: int) -> tuple[float, int]:
    """Best wall time over `repeat` runs of analyze_records, and the analysis.json size in bytes."""
    names = [f"task-{i:03d}" for i in range(tasks)]
    trials = max(1, records // (2 * tasks))
    data = synthetic.make_records(tasks=names, trials=trials, scale={"popkit-ops": 0.9}, seed=1)
    info = synthetic.run_info(names, ["baseline", "popkit-ops"], trials)
    best = float("inf")
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        analysis = analyze_records(data, run_info=info, target_effect=10, seed=0)
        best = min(best, time.perf_counter() - start)
        size = len(json.dumps(analysis, allow_nan=False))
    return best, size


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    synthetic = _synthetic()
    worst = 0.0
    for tasks in (1, 20, 100):
        seconds, size = time_shape(synthetic, args.records, tasks, args.repeat)
        worst = max(worst, seconds)
        per_arm = args.records // (2 * tasks)
        print(f"analyze {args.records} records, {tasks:>3} task(s) x 2 arms x {per_arm} trials: "
              f"{seconds:.2f} s (analysis.json {size / 1e6:.1f} MB)")
    verdict = "ok" if worst < TARGET_S else "SLOW"
    print(f"worst {worst:.2f} s, target < {TARGET_S:.0f} s: {verdict}")


if __name__ == "__main__":
    cli()
