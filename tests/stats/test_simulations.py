"""Proof that the statistics are honest: A/A false-positive rates, Holm's family-wise rate, A/B power against
the formula, and the sequential design's error rate and trial saving.

Run with `pytest tests/stats -s` to see the measured numbers. Every simulation is seeded (deterministic).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from popkit_bench.analysis import power as pw
from popkit_bench.analysis.compare import ArmSample, compare_metric
from popkit_bench.analysis.hypothesis import welch
from popkit_bench.analysis.metrics_catalog import spec_for
from popkit_bench.analysis.multiplicity import holm
from popkit_bench.analysis.proportions import binary_p, boschloo_p
from popkit_bench.analysis.sequential import SequentialPlan, sequential_decision

ALPHA = 0.05
BAND = (0.03, 0.07)
SIMS = 20_000  # continuous A/A comparisons per setting (>= 2,000 required; more = less simulation error)


def _se(rate: float, sims: int) -> float:
    return math.sqrt(max(rate * (1 - rate), 1e-4) / sims)


def _report(label: str, rate: float, sims: int) -> None:
    print(f"{label}: rate {rate:.4f} (+- {_se(rate, sims):.4f}, {sims} comparisons)")


# ---------------------------------------------------------------- A/A, continuous

@pytest.mark.slow
@pytest.mark.parametrize("n", [3, 5, 10])
@pytest.mark.parametrize("dist", ["normal", "lognormal-0.5", "lognormal-1.0"])
def test_aa_continuous_false_positive_rate(dist: str, n: int) -> None:
    """Welch (raw for normal, on logs for log-scale metrics as the analyzer does) keeps its size."""
    rng = np.random.default_rng(1000 + 100 * ["normal", "lognormal-0.5", "lognormal-1.0"].index(dist) + n)
    raw = None
    if dist == "normal":
        x, y = rng.normal(10, 2, (SIMS, n)), rng.normal(10, 2, (SIMS, n))
        p = welch(x, y).p_value
    else:
        sigma = float(dist.split("-")[1])
        x, y = rng.lognormal(9, sigma, (SIMS, n)), rng.lognormal(9, sigma, (SIMS, n))
        p = welch(np.log(x), np.log(y)).p_value
        raw = float(np.mean(welch(x, y).p_value < ALPHA))
    rate = float(np.mean(p < ALPHA))
    _report(f"A/A {dist} n={n}", rate, SIMS)
    if raw is not None:
        print(f"  (for contrast, Welch on the raw lognormal values: {raw:.4f})")
    assert BAND[0] <= rate <= BAND[1]


@pytest.mark.slow
@pytest.mark.parametrize("metric,n", [("tokens_total", 5), ("tool_calls", 3), ("success", 10)])
def test_aa_through_the_analyzer(metric: str, n: int) -> None:
    """The same check through compare_metric, the analyzer's own per-metric code path (2,000 comparisons)."""
    spec = spec_for(metric)
    rng = np.random.default_rng(7000 + n)
    sims, hits = 2000, 0
    for _ in range(sims):
        if metric == "success":
            xb, xt = rng.binomial(1, 0.5, n).astype(float), rng.binomial(1, 0.5, n).astype(float)
        elif metric == "tokens_total":
            xb, xt = rng.lognormal(9, 0.6, n), rng.lognormal(9, 0.6, n)
        else:
            xb, xt = rng.normal(8, 2, n), rng.normal(8, 2, n)
        entry = compare_metric(spec, ArmSample("baseline", xb), ArmSample("treatment", xt))
        hits += entry["p_value"] is not None and entry["p_value"] < ALPHA
    rate = hits / sims
    _report(f"A/A via compare_metric {metric} n={n} ({entry['p_value_test']})", rate, sims)
    assert BAND[0] - 2 * _se(0.03, sims) <= rate <= BAND[1]


# ---------------------------------------------------------------- A/A, binary

def _binary_table(n_b: int, n_t: int) -> np.ndarray:
    """p-value of the analyzer's binary test for every outcome (x_b, x_t)."""
    return np.array([[binary_p(xb, n_b, xt, n_t)[1] for xt in range(n_t + 1)] for xb in range(n_b + 1)])


def _exact_rate(table: np.ndarray, n_b: int, n_t: int, rate: float) -> float:
    weights = np.outer(stats.binom.pmf(np.arange(n_b + 1), n_b, rate), stats.binom.pmf(np.arange(n_t + 1), n_t, rate))
    return float((weights * (table <= ALPHA)).sum())


@pytest.mark.slow
@pytest.mark.parametrize("n", [3, 5, 10])
def test_aa_binary_false_positive_rate(n: int) -> None:
    """The primary binary test (Boschloo mid-p): rate inside [0.03, 0.07] at a success rate of 0.5, and never
    above 0.07 at any rate; simulation agrees with the exact rate.

    At p = 0.5: n=3 0.0312, n=5 0.0605, n=10 0.0422. The strict Boschloo p (size <= alpha at every rate, also
    reported) gives 0.0215 at n=5: see test_binary_n5_attainable_levels for why no level-0.05 test does better.
    """
    table = _binary_table(n, n)
    exact = _exact_rate(table, n, n, 0.5)
    worst = max(_exact_rate(table, n, n, q) for q in np.linspace(0.02, 0.98, 49))
    sims = 20_000
    rng = np.random.default_rng(2000 + n)
    xb, xt = rng.binomial(n, 0.5, sims), rng.binomial(n, 0.5, sims)
    rate = float(np.mean(table[xb, xt] <= ALPHA))
    _report(f"A/A binary p=0.5 n={n} (Boschloo mid-p)", rate, sims)
    print(f"  exact rate at p=0.5: {exact:.4f}; worst over p in [0.02, 0.98]: {worst:.4f}")
    assert abs(rate - exact) <= 4 * _se(exact, sims)
    assert BAND[0] <= exact <= BAND[1]
    assert BAND[0] <= rate <= BAND[1]
    assert worst <= BAND[1]


@pytest.mark.slow
@pytest.mark.parametrize("n", [3, 5, 10])
def test_aa_binary_strict_test_keeps_alpha_at_every_rate(n: int) -> None:
    """The strict Boschloo p reported beside the mid-p: size <= alpha at every common success rate."""
    table = np.array([[boschloo_p(xb, n, xt, n) for xt in range(n + 1)] for xb in range(n + 1)])
    worst = max(_exact_rate(table, n, n, q) for q in np.linspace(0.02, 0.98, 49))
    assert worst <= ALPHA + 1e-9
    if n == 5:
        assert _exact_rate(table, n, n, 0.5) == pytest.approx(22 / 1024, abs=1e-6)


def _orbits(n: int) -> list[frozenset]:
    """Outcome sets closed under swapping the arms and under swapping success/failure labels."""
    seen, out = set(), []
    for x, y in itertools.product(range(n + 1), repeat=2):
        if (x, y) in seen:
            continue
        orbit = frozenset({(x, y), (y, x), (n - x, n - y), (n - y, n - x)})
        seen |= orbit
        if x != y:  # equal counts never reject
            out.append(orbit)
    return out


def _convex(region: set, n: int) -> bool:
    """Barnard's convexity: a rejected outcome stays rejected when it moves further from the other arm."""
    for x, y in region:
        if x > y and ((x + 1 <= n and (x + 1, y) not in region) or (y - 1 >= 0 and (x, y - 1) not in region)):
            return False
    return True


@pytest.mark.slow
def test_binary_n5_attainable_levels() -> None:
    """n = 5 per arm, success rate 0.5: every symmetric, Barnard-convex, non-randomised test whose rate is
    <= 0.05 there has rate <= 22/1024 = 0.0215, Boschloo's rate. The next attainable level is 0.0605 (above
    alpha, e.g. the uncorrected pooled z-test), so [0.03, 0.05] cannot be reached by a test of correct size."""
    n = 5
    pmf = stats.binom.pmf(np.arange(n + 1), n, 0.5)
    orbits = _orbits(n)
    levels = set()
    for k in range(len(orbits) + 1):
        for combo in itertools.combinations(orbits, k):
            region = set().union(*combo) if combo else set()
            if _convex(region, n):
                levels.add(round(sum(pmf[x] * pmf[y] for x, y in region), 6))
    valid = sorted(v for v in levels if v <= ALPHA)
    above = sorted(v for v in levels if v > ALPHA)
    print(f"n=5 attainable levels at p=0.5: largest <= 0.05: {valid[-1]:.4f}; next: {above[0]:.4f}")
    assert valid[-1] == pytest.approx(22 / 1024, abs=1e-6)
    assert above[0] > ALPHA


# ---------------------------------------------------------------- Holm family-wise rate

@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_holm_family_wise_rate(rho: float) -> None:
    """Eight metrics tested together (like the primary family), all A/A: Holm keeps P(any significant) <= 0.05."""
    sims, n, k = 10_000, 5, 8
    rng = np.random.default_rng(3000 + int(rho * 10))
    cov = np.full((k, k), rho) + (1 - rho) * np.eye(k)
    chol = np.linalg.cholesky(cov)
    x = rng.standard_normal((sims, n, k)) @ chol.T
    y = rng.standard_normal((sims, n, k)) @ chol.T
    p = welch(np.moveaxis(x, 1, 2), np.moveaxis(y, 1, 2)).p_value  # (sims, k)
    raw_fwer = float(np.mean((p < ALPHA).any(axis=1)))
    fwer = float(np.mean((holm(p) < ALPHA).any(axis=1)))
    _report(f"Holm FWER, {k} metrics, rho={rho}, n={n}", fwer, sims)
    print(f"  unadjusted: {raw_fwer:.4f}")
    assert fwer <= ALPHA + 2 * _se(ALPHA, sims)


# ---------------------------------------------------------------- A/B power

@pytest.mark.slow
@pytest.mark.parametrize("n,target", [(10, 0.8), (15, 0.8), (20, 0.8), (15, 0.5), (20, 0.5)])
def test_ab_detection_rate_matches_power_formula(n: int, target: float) -> None:
    """Normal data, sd 1 and 1.5, shift delta chosen so the STATS.md formula predicts `target` power.

    Checked against: the formula with t quantiles (what analysis.json's mde_t / n_per_arm_for_target_t
    invert), within 5 points at every n; the normal-approximation formula itself, within 5 points for
    n >= 15 (at n = 10 it is optimistic by about 6 points, which is why the report also shows the *_t
    numbers); and the noncentral-t power of Welch's test, within 3 simulation SEs + 1 point.
    """
    sd_b, sd_t = 1.0, 1.5
    delta = (stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(target)) * math.sqrt(sd_b**2 / n + sd_t**2 / n)
    formula = pw.power_normal(delta, sd_b, sd_t, n, n)
    formula_t = pw.power_t(delta, sd_b, sd_t, n, n)
    nct = pw.power_welch(delta, sd_b, sd_t, n, n)
    sims = 10_000
    rng = np.random.default_rng(4000 + n)
    x = rng.normal(0, sd_b, (sims, n))
    y = rng.normal(delta, sd_t, (sims, n))
    rate = float(np.mean(welch(x, y).p_value < ALPHA))
    _report(f"A/B n={n} delta={delta:.3f}", rate, sims)
    print(f"  predicted: formula (normal) {formula:.4f}; formula (t) {formula_t:.4f}; noncentral t {nct:.4f}")
    assert abs(formula - target) < 1e-3  # (the far tail adds a little at low power)
    assert abs(rate - formula_t) <= 0.05
    if n >= 15:
        assert abs(rate - formula) <= 0.05
    assert abs(rate - nct) <= 3 * _se(nct, sims) + 0.01


# ---------------------------------------------------------------- sequential

def _simulate_sequential(plan: SequentialPlan, draw, sims: int, rng: np.random.Generator):
    """(rate of stops for a clear difference, mean trials per arm, stops by reason) over `sims` runs."""
    stops, trials, reasons = [], [], {}
    for _ in range(sims):
        xb_all, xt_all = draw(rng, plan.max_trials)
        for look in range(1, plan.looks + 1):
            n = min(look * plan.batch_size, plan.max_trials)
            decision = sequential_decision(xb_all[:n], xt_all[:n], look, plan)
            if decision.stop:
                break
        reasons[decision.reason] = reasons.get(decision.reason, 0) + 1
        stops.append(decision.reason == "efficacy")
        trials.append(n)
    return float(np.mean(stops)), float(np.mean(trials)), reasons


@pytest.mark.slow
@pytest.mark.parametrize("dist", ["normal", "lognormal", "binary"])
def test_sequential_aa_keeps_alpha(dist: str) -> None:
    """Batches of 5 up to 20 per arm, O'Brien-Fleming spending: P(stop for a 'clear difference' | A/A) <= alpha."""
    kind = "binary" if dist == "binary" else "continuous"
    plan = SequentialPlan(max_trials=20, batch_size=5, kind=kind, scale="log" if dist == "lognormal" else "raw")
    draws = {
        "normal": lambda r, n: (r.normal(0, 1, n), r.normal(0, 1, n)),
        "lognormal": lambda r, n: (r.lognormal(9, 0.7, n), r.lognormal(9, 0.7, n)),
        "binary": lambda r, n: (r.binomial(1, 0.5, n).astype(float), r.binomial(1, 0.5, n).astype(float)),
    }
    sims = 2000
    seed = 5000 + list(draws).index(dist)
    rate, mean_n, reasons = _simulate_sequential(plan, draws[dist], sims, np.random.default_rng(seed))
    _report(f"sequential A/A {dist}", rate, sims)
    print(f"  mean trials per arm {mean_n:.1f} of {plan.max_trials}; stops: {reasons}")
    assert rate <= ALPHA + 2 * _se(ALPHA, sims)


@pytest.mark.slow
@pytest.mark.parametrize("max_trials,batch", [(26, 2), (25, 5)])
def test_sequential_saves_trials_at_equal_alpha_and_power(max_trials: int, batch: int) -> None:
    """The one-sided design (the metric's better direction known) against the fixed design of the same alpha
    and power: Welch at 20 per arm, power 0.80 (two-sided alpha 0.05, so a false "better" in 2.5% of runs).
    The design reports that equivalent fixed n; its measured size stays <= alpha and its power within 2 SE of
    the fixed design's, and it runs fewer trials under no difference and under the shift (both printed)."""
    n_fixed, sd, sims = 20, 1.0, 2000
    delta = pw.mde_t(sd, sd, n_fixed, n_fixed)
    fixed = pw.power_welch(delta, sd, sd, n_fixed, n_fixed)
    plan = SequentialPlan(max_trials=max_trials, batch_size=batch, direction="lower")
    design = plan.describe()
    assert round(design["equivalent_fixed_n"]) == n_fixed
    rng = np.random.default_rng(6000 + max_trials)
    power, alt_n, alt_stops = _simulate_sequential(
        plan, lambda r, n: (r.normal(0, sd, n), r.normal(-delta, sd, n)), sims, rng)
    size, null_n, null_stops = _simulate_sequential(
        plan, lambda r, n: (r.normal(0, sd, n), r.normal(0, sd, n)), sims, rng)
    harm, harm_n, _ = _simulate_sequential(
        plan, lambda r, n: (r.normal(0, sd, n), r.normal(delta, sd, n)), sims // 5, rng)
    saving_null, saving_alt = 1 - null_n / n_fixed, 1 - alt_n / n_fixed
    print(f"\nsequential one-sided, batches of {batch} up to {max_trials} per arm, vs fixed n = {n_fixed} "
          f"(power {fixed:.3f}); design: {design}")
    print(f"  no difference: size {size:.3f}, {null_n:.1f} trials per arm (saving {100 * saving_null:.0f}%); "
          f"stops {null_stops}")
    print(f"  shift {delta:.3f} sd: power {power:.3f}, {alt_n:.1f} trials per arm (saving {100 * saving_alt:.0f}%); "
          f"stops {alt_stops}")
    print(f"  average saving {100 * (saving_null + saving_alt) / 2:.1f}%; a regression of the same size: "
          f"{harm_n:.1f} trials per arm, flagged as a clear regression in {harm:.3f} of runs")
    assert size <= ALPHA + 2 * _se(ALPHA, sims)
    assert power >= fixed - 2 * _se(0.8, sims)
    assert saving_null >= 0.45 and saving_alt >= 0.20
    assert harm_n < 0.5 * n_fixed  # a plugin that makes things worse stops early


def _stratified_p(base: dict, treat: dict) -> float:
    from popkit_bench.analysis.stratified import stratified_test

    return stratified_test(base, treat, log_scale=True).p_value


@pytest.mark.slow
def test_sequential_suite_blocks_by_task_at_equal_alpha_and_power() -> None:
    """A suite of 4 tasks at very different token levels (log-means 8-11, sigma 0.5): the looks test with the
    task as a block, and count information per task. Against the fixed blocked design of 20 per task and arm
    (power measured here), the sequential design keeps its size and power and saves trials in both cases."""
    tasks, n_fixed, sigma, sims = (8.0, 9.0, 10.0, 11.0), 20, 0.5, 600
    rng = np.random.default_rng(6100)
    shift = 0.2213  # log-ratio the fixed blocked design detects with power about 0.80 (checked below)

    def draw(effect: float, n: int) -> tuple[dict, dict]:
        base = {f"t{i}": rng.lognormal(mu, sigma, n) for i, mu in enumerate(tasks)}
        treat = {f"t{i}": rng.lognormal(mu - effect, sigma, n) for i, mu in enumerate(tasks)}
        return base, treat

    fixed = float(np.mean([_stratified_p(*draw(shift, n_fixed)) < ALPHA for _ in range(sims)]))
    plan = SequentialPlan(max_trials=26, batch_size=2, scale="log", direction="lower")

    def simulate(effect: float) -> tuple[float, float]:
        clear, trials = [], []
        for _ in range(sims):
            base, treat = draw(effect, plan.max_trials)
            for look in range(1, plan.looks + 1):
                n = min(look * plan.batch_size, plan.max_trials)
                decision = sequential_decision({k: v[:n] for k, v in base.items()},
                                               {k: v[:n] for k, v in treat.items()}, look, plan)
                if decision.stop:
                    break
            clear.append(decision.reason == "efficacy")
            trials.append(n)
        return float(np.mean(clear)), float(np.mean(trials))

    power, alt_n = simulate(shift)
    size, null_n = simulate(0.0)
    print(f"\nsuite of {len(tasks)} tasks, task as block, batches of 2 up to 26 per task and arm vs fixed n = "
          f"{n_fixed} (power {fixed:.3f}): no difference: size {size:.3f}, {null_n:.1f} trials per task and arm "
          f"(saving {100 * (1 - null_n / n_fixed):.0f}%); shift: power {power:.3f}, {alt_n:.1f} "
          f"(saving {100 * (1 - alt_n / n_fixed):.0f}%)")
    assert abs(fixed - 0.80) <= 2 * _se(0.8, sims)
    assert size <= ALPHA + 2 * _se(ALPHA, sims)
    assert power >= fixed - 2 * _se(0.8, sims)
    assert null_n <= 0.55 * n_fixed and alt_n <= 0.8 * n_fixed
