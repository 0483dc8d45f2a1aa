"""Scale-out on Ray: the same fixed plan on a local cluster of 1 worker node and of 2 worker nodes (one trial
slot each; all on 127.0.0.1), with a scripted model that waits a fixed time per API turn, so the trials
wait like real sessions and the CPU is not the limit. Target: 2 nodes >= 1.8x faster than 1 node.

Usage: PYTHONPATH=scripts:shared python benchmarks/bench_ray.py [--trials-per-arm 4] [--turn-delay 3]
Wall time is measured from the start to the end of `run` (cluster start-up not included); each setting
gets its own fresh cluster.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ray"))

from slow_tasks import slow_task  # noqa: E402

from popkit_bench.cli import main  # noqa: E402
from popkit_bench.execution.ray.local_cluster import LocalCluster  # noqa: E402
from popkit_bench.record.journal import read_journal_json  # noqa: E402


def measure(nodes: int, trials_per_arm: int, turn_delay: float) -> dict[str, float]:
    """One run of the plan on a fresh cluster of `nodes` worker nodes: wall time, trials, nodes used."""
    cluster = LocalCluster(worker_slots=[1] * nodes)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            task = slow_task(Path(tmp) / "tasks", turn_delay)
            run_dir = Path(tmp) / "run"
            t0 = time.monotonic()
            with redirect_stdout(io.StringIO()):
                code = main(["run", str(task), "--trials", str(trials_per_arm), "--rehearsal", "--executor", "ray",
                             "--ray-address", cluster.address, "--run-dir", str(run_dir), "--no-report"])
            wall = time.monotonic() - t0
            if code != 0:
                raise SystemExit(f"run failed with exit code {code}")
            records = read_journal_json(run_dir / "results.jsonl")
    finally:
        cluster.shutdown()
    return {"wall_s": wall, "trials": len(records), "completed": sum(r["status"] == "completed" for r in records),
            "nodes_used": len({r["node"] for r in records})}


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials-per-arm", type=int, default=4, help="4 -> 8 trials (2 arms)")
    parser.add_argument("--turn-delay", type=float, default=3.0, help="seconds the scripted model waits per turn")
    args = parser.parse_args()
    results = {}
    for nodes in (1, 2):
        r = results[nodes] = measure(nodes, args.trials_per_arm, args.turn_delay)
        print(f"{nodes} node(s): {r['trials']} trials ({r['completed']} completed) on {r['nodes_used']} node(s) "
              f"in {r['wall_s']:.1f} s", flush=True)
    ratio = results[1]["wall_s"] / results[2]["wall_s"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"2 nodes vs 1: {ratio:.2f}x faster ({'meets' if ratio >= 1.8 else 'misses'} the 1.8x target; "
          f"turn delay {args.turn_delay:g} s, CPUs {os.cpu_count()}, load average {load:.1f})")


if __name__ == "__main__":
    cli()
