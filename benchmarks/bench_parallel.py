"""Parallel efficiency of the orchestrator with the scripted model: wall time of the same trials at
--parallel 1 and --parallel K (target: >= 1.7x faster at K = 2), and the orchestrator's own CPU time per
trial (this process: orchestrator + host threads + the in-process scripted-model server; claude and the
verification commands are child processes and not counted).

Usage: PYTHONPATH=scripts:shared python benchmarks/bench_parallel.py [--trials-per-arm 6] [--parallel 2] [--repeat 3]
A warm-up run comes first (imports, caches); with --repeat the two settings alternate and medians are shown,
which matters on a shared machine.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal_json


def measure(trials_per_arm: int, parallel: int) -> dict[str, float]:
    """One demo run: wall time, CPU time of this process, trials and how many completed."""
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        before, t0 = os.times(), time.monotonic()
        with redirect_stdout(io.StringIO()):
            code = main(["demo", "--trials", str(trials_per_arm), "--parallel", str(parallel),
                         "--run-dir", str(run_dir), "--no-report"])
        wall, after = time.monotonic() - t0, os.times()
        if code != 0:
            raise SystemExit(f"demo failed with exit code {code}")
        records = read_journal_json(run_dir / "results.jsonl")
    cpu = (after.user - before.user) + (after.system - before.system)
    children = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall_s": wall, "cpu_s": cpu, "children_cpu_s": children, "trials": len(records),
            "completed": sum(r["status"] == "completed" for r in records)}


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials-per-arm", type=int, default=6, help="6 -> 12 trials (2 arms)")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="alternate the two settings this many times")
    args = parser.parse_args()
    measure(1, 2)  # warm-up
    runs: dict[int, list[dict[str, float]]] = {1: [], args.parallel: []}
    for index in range(args.repeat):
        for parallel in ((1, args.parallel) if index % 2 == 0 else (args.parallel, 1)):
            runs[parallel].append(measure(args.trials_per_arm, parallel))
    results = {p: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for p, rs in runs.items()}
    for parallel in (1, args.parallel):
        r = results[parallel]
        if args.repeat > 1:
            print(f"--parallel {parallel} wall times: " + ", ".join(f"{x['wall_s']:.1f}" for x in runs[parallel]))
        print(f"--parallel {parallel}: {r['trials']} trials ({r['completed']} completed) in {r['wall_s']:.1f} s wall; "
              f"orchestrator CPU {r['cpu_s']:.2f} s = {r['cpu_s'] / r['trials']:.3f} s per trial; "
              f"claude + verification + git CPU {r['children_cpu_s'] / r['trials']:.2f} s per trial")
    speedup = results[1]["wall_s"] / results[args.parallel]["wall_s"]
    verdict = "meets" if speedup >= 1.7 else "misses"
    # with CPU-bound trials, K workers cannot beat the CPUs left over: wall(1) / (CPU per run / CPUs)
    r1 = results[1]
    ceiling = r1["wall_s"] / ((r1["cpu_s"] + r1["children_cpu_s"]) / (os.cpu_count() or 1))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"speed-up at --parallel {args.parallel}: {speedup:.2f}x ({verdict} the 1.7x target; CPUs: {os.cpu_count()}, "
          f"CPU-bound ceiling {min(args.parallel, ceiling):.2f}x, load average {load:.1f})")


if __name__ == "__main__":
    cli()
