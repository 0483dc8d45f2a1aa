"""Trials a sequential design saves against the fixed design of the same alpha and power (t tests, seeded).

Usage: python benchmarks/bench_sequential.py [--sims N] [--design BATCH,MAX ...] [--fixed-n N]
For each design (batches of BATCH trials per arm up to MAX, the one-sided design of analysis/one_sided.py,
a lower-is-better metric), prints the equivalent fixed n it reports, and, over N simulated runs each with no
difference and with the shift a fixed Welch design of --fixed-n per arm detects with power 0.80: the rate of
stops for a clear difference, the mean trials per arm and the saving against --fixed-n.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from popkit_bench.analysis import power as pw
from popkit_bench.analysis.sequential import SequentialPlan, sequential_decision


def simulate(plan: SequentialPlan, shift: float, sims: int, rng: np.random.Generator) -> tuple[float, float]:
    """(rate of stops for a clear difference, mean trials per arm) over `sims` runs."""
    clear, trials = [], []
    for _ in range(sims):
        base, treat = rng.normal(0, 1, plan.max_trials), rng.normal(shift, 1, plan.max_trials)
        n = plan.max_trials
        for look in range(1, plan.looks + 1):
            n = min(look * plan.batch_size, plan.max_trials)
            decision = sequential_decision(base[:n], treat[:n], look, plan)
            if decision.stop:
                break
        clear.append(decision.reason == "efficacy")
        trials.append(n)
    return float(np.mean(clear)), float(np.mean(trials))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sims", type=int, default=4000)
    parser.add_argument("--fixed-n", type=int, default=20)
    parser.add_argument("--design", nargs="*", default=["1,26", "2,26", "5,25"])
    args = parser.parse_args()
    delta = pw.mde_t(1.0, 1.0, args.fixed_n, args.fixed_n)
    fixed = pw.power_welch(delta, 1.0, 1.0, args.fixed_n, args.fixed_n)
    print(f"fixed design: Welch, {args.fixed_n} per arm, power {fixed:.3f} for a shift of {delta:.3f} sd; "
          f"{args.sims} runs per case")
    for text in args.design:
        batch, most = (int(v) for v in text.split(","))
        plan = SequentialPlan(max_trials=most, batch_size=batch, direction="lower")
        started = time.perf_counter()
        design = plan.describe()
        rng = np.random.default_rng(99)
        power, alt_n = simulate(plan, -delta, args.sims, rng)
        size, null_n = simulate(plan, 0.0, args.sims, rng)
        print(f"batches of {batch} up to {most}: equivalent fixed n {design.get('equivalent_fixed_n')}; "
              f"no difference: size {size:.3f}, {null_n:.1f} per arm (saving {1 - null_n / args.fixed_n:.1%}); "
              f"shift: power {power:.3f}, {alt_n:.1f} per arm (saving {1 - alt_n / args.fixed_n:.1%}) "
              f"[{time.perf_counter() - started:.0f} s]")


if __name__ == "__main__":
    main()
