"""The group-sequential decision function: boundaries, decisions, JSON safety."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from popkit_bench.analysis.futility import design_drift, futility_bounds
from popkit_bench.analysis.one_sided import calibrated_design
from popkit_bench.analysis.sequential import (
    SequentialPlan,
    boundaries,
    conditional_power,
    sequential_decision,
)
from popkit_bench.analysis.spending import spent


def test_single_look_is_the_fixed_design() -> None:
    assert boundaries((1.0,)) == (pytest.approx(1.959964, abs=1e-5),)


def test_obrien_fleming_spending_and_boundaries() -> None:
    assert spent(1.0, 0.05, "obrien_fleming") == pytest.approx(0.05)
    assert spent(0.25, 0.05, "obrien_fleming") < 0.001
    bounds = boundaries((0.25, 0.5, 0.75, 1.0))
    assert bounds[0] > bounds[1] > bounds[2] > bounds[3] > 1.96  # strict early, near 1.96 at the end
    assert bounds[-1] < 2.1
    pocock = boundaries((0.25, 0.5, 0.75, 1.0), 0.05, "pocock")
    assert max(pocock) - min(pocock) < 0.05


def test_boundaries_spend_exactly_alpha_monte_carlo() -> None:
    fractions = (0.25, 0.5, 0.75, 1.0)
    bounds = np.array(boundaries(fractions))
    rng = np.random.default_rng(0)
    steps = rng.standard_normal((400_000, 4)) * np.sqrt(np.diff((0.0,) + fractions))
    z = np.cumsum(steps, axis=1) / np.sqrt(fractions)
    assert np.mean((np.abs(z) >= bounds).any(axis=1)) == pytest.approx(0.05, abs=0.0015)


def test_plan_looks_and_fractions() -> None:
    plan = SequentialPlan(max_trials=12, batch_size=5)
    assert plan.looks == 3 and plan.fractions() == (5 / 12, 10 / 12, 1.0)


def test_clear_difference_stops_for_efficacy() -> None:
    plan = SequentialPlan(max_trials=20, batch_size=5, direction="lower")
    base = [100, 101, 99, 102, 98, 100, 101, 99, 100, 102]
    treat = [60, 61, 59, 62, 58, 60, 61, 59, 60, 62]
    decision = sequential_decision(base, treat, 2, plan)
    assert decision.stop and decision.reason == "efficacy" and decision.better is True
    assert decision.direction == "treatment lower"


def test_first_look_is_strict() -> None:
    plan = SequentialPlan(max_trials=20, batch_size=5)
    decision = sequential_decision([10, 11, 9, 10, 12], [8, 9, 7, 9, 8], 1, plan)
    assert decision.p_value < 0.05 and not decision.stop and decision.reason == "continue"
    assert decision.nominal_alpha < 0.001


def test_futility_and_max_trials() -> None:
    plan = SequentialPlan(max_trials=20, batch_size=5)
    rng = np.random.default_rng(3)
    same_b, same_t = rng.normal(0, 1, 10), rng.normal(0, 1, 10)
    same_t += same_b.mean() - same_t.mean()  # no difference at all
    decision = sequential_decision(same_b, same_t, 2, plan)
    assert decision.stop and decision.reason == "futility" and decision.conditional_power < 0.05
    no_futility = SequentialPlan(max_trials=20, batch_size=5, futility=False)
    assert not sequential_decision(same_b, same_t, 2, no_futility).stop
    final = sequential_decision(rng.normal(0, 1, 20), rng.normal(0, 1, 20), 4, no_futility)
    assert final.stop and final.reason in ("max_trials", "efficacy") and final.information_fraction == 1.0


def test_too_little_data_continues_until_the_last_look() -> None:
    plan = SequentialPlan(max_trials=10, batch_size=5)
    early = sequential_decision([1.0], [2.0, None], 1, plan)
    assert not early.stop and early.z is None
    last = sequential_decision([1.0], [2.0], 2, plan)
    assert last.stop and last.reason == "max_trials"
    assert json.loads(json.dumps(last.to_json(), allow_nan=False))["z"] is None


def test_binary_and_log_scale_metrics() -> None:
    plan = SequentialPlan(max_trials=30, batch_size=10, kind="binary", direction="higher")
    decision = sequential_decision([0] * 10, [1] * 10, 1, plan)
    assert decision.z > 0 and decision.better is True
    log_plan = SequentialPlan(max_trials=20, batch_size=10, scale="log")
    assert sequential_decision([1e3, 2e3, 1.5e3], [1e3, 1.1e3, 3e3], 1, log_plan).z is not None


def test_conditional_power() -> None:
    assert conditional_power(0.0, 0.5, 2.0) < 0.05
    assert conditional_power(3.0, 0.5, 2.0) > 0.9
    assert conditional_power(2.5, 1.0, 2.0) == 1.0


def test_beta_spending_futility_bounds_spend_what_they_promise() -> None:
    """Under the design alternative, P(stopped for futility by look k) = futility_beta * t_k (Monte Carlo)."""
    fractions = (0.25, 0.5, 0.75, 1.0)
    efficacy = boundaries(fractions)
    theta = design_drift(0.05, 0.2)
    assert theta == pytest.approx(1.959964 + 0.841621, abs=1e-5)
    bounds = futility_bounds(fractions, efficacy, theta, 0.2, 1.0)
    assert bounds[0] < bounds[1] < bounds[2] < bounds[3] == efficacy[3]
    assert bounds[0] == pytest.approx(theta * 0.5 + stats.norm.ppf(0.05), abs=1e-9)  # first look: closed form
    rng = np.random.default_rng(1)
    steps = rng.standard_normal((400_000, 4)) * np.sqrt(np.diff((0.0,) + fractions)) + theta * np.diff((0.0,) + fractions)
    z = np.cumsum(steps, axis=1) / np.sqrt(fractions)
    alive = np.ones(len(z), dtype=bool)
    stopped = []
    for k in range(3):
        futile = alive & (z[:, k] < bounds[k])
        stopped.append(futile.mean())
        alive &= ~futile & (z[:, k] < efficacy[k])
    assert np.cumsum(stopped) == pytest.approx([0.05, 0.10, 0.15], abs=0.002)


def test_futility_is_one_sided_when_the_better_direction_is_known() -> None:
    """A treatment trending worse (more tokens) stops for futility at the second look: no benefit is coming.
    Without a known direction the same data continue (|z| is large)."""
    base = [100, 104, 98, 101, 103, 99, 102, 97, 100, 101]
    worse = [102, 107, 99, 104, 105, 100, 104, 98, 103, 102]
    lower = sequential_decision(base, worse, 2, SequentialPlan(max_trials=20, batch_size=5, direction="lower"))
    assert lower.stop and lower.reason == "futility" and lower.futility_boundary is not None
    assert lower.z > 0 and "benefit is unlikely" in lower.message
    unknown = sequential_decision(base, worse, 2, SequentialPlan(max_trials=20, batch_size=5))
    assert not unknown.stop or unknown.reason == "efficacy"
    better = [98, 101, 97, 98, 101, 98, 100, 96, 97, 100]
    going = sequential_decision(base, better, 2, SequentialPlan(max_trials=20, batch_size=5, direction="lower"))
    assert going.reason == "continue" and going.z < 0
    assert json.loads(json.dumps(going.to_json(), allow_nan=False))["futility_boundary"] is not None


def test_conditional_power_rule_is_still_available() -> None:
    plan = SequentialPlan(max_trials=20, batch_size=5, futility_rule="conditional_power")
    assert plan.futility_start == 0.5 and SequentialPlan(20, 5).futility_start == 0.0
    same = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert not sequential_decision(same, same, 1, plan).stop  # t = 0.25 < futility_from
    decision = sequential_decision(same * 2, same * 2, 2, plan)
    assert decision.reason == "futility" and decision.futility_boundary is None
    with pytest.raises(ValueError):
        sequential_decision(same * 2, [v + 1 for v in same * 2], 2, SequentialPlan(20, 5, futility_rule="nope"))


def _brownian_looks(fractions: tuple[float, ...], drift: float, paths: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    steps = rng.standard_normal((paths, len(fractions))) * np.sqrt(np.diff((0.0,) + fractions))
    steps += drift * np.diff((0.0,) + fractions)
    return np.cumsum(steps, axis=1) / np.sqrt(fractions)


def _run_design(z: np.ndarray, design) -> tuple[float, float]:
    """(rate of stops for a benefit, mean information fraction at the stop) of paths z under the design."""
    alive = np.ones(len(z), dtype=bool)
    benefit = np.zeros(len(z), dtype=bool)
    at = np.ones(len(z))
    for k, t in enumerate(design.fractions):
        up = alive & (z[:, k] >= design.upper[k])
        stop = up | (alive & (z[:, k] < design.lower[k]))
        at[stop] = t
        benefit |= up
        alive &= ~stop
    return float(benefit.mean()), float(at.mean())


def test_one_sided_design_is_calibrated_to_its_power_and_alpha() -> None:
    """The calibrated one-sided design: bounds meet at the last look; by Monte Carlo on Brownian motion, a
    false benefit in alpha/2 of runs under no effect, power 1 - beta at its drift, and the expected trials the
    design reports under both."""
    fractions = tuple(k / 6 for k in range(1, 7))
    design = calibrated_design(fractions, 0.05, 0.2, "linear", 1.0)
    assert design.lower[-1] == design.upper[-1]
    assert all(lo <= up for lo, up in zip(design.lower, design.upper, strict=True))
    assert design.theta > design_drift(0.05, 0.2)  # a sequential design needs more information at most
    assert 1.0 < 1 / design.equivalent_fixed_fraction < 1.4
    null_rate, null_t = _run_design(_brownian_looks(fractions, 0.0, 300_000, 11), design)
    power, effect_t = _run_design(_brownian_looks(fractions, design.theta, 300_000, 12), design)
    assert null_rate == pytest.approx(0.025, abs=0.0015)
    assert power == pytest.approx(0.80, abs=0.004)
    assert null_t == pytest.approx(design.expected_fraction(False), abs=0.005)
    assert effect_t == pytest.approx(design.expected_fraction(True), abs=0.005)


def test_one_sided_decisions_benefit_regression_futility() -> None:
    """Direction known: a clear benefit and a clear regression both stop; a flat result stops for futility
    once the bound is above 0; the plan describes the fixed design of the same power."""
    plan = SequentialPlan(max_trials=20, batch_size=5, direction="lower")
    assert plan.uses_one_sided and plan.efficacy_spending == "linear"
    base = [100, 101, 99, 102, 98, 100, 101, 99, 100, 102]
    benefit = sequential_decision(base, [v - 20 for v in base], 2, plan)
    assert benefit.reason == "efficacy" and benefit.better is True and "clear benefit" in benefit.message
    regression = sequential_decision(base, [v + 20 for v in base], 2, plan)
    assert regression.reason == "efficacy" and regression.better is False and "regression" in regression.message
    flat = sequential_decision(base, list(base), 2, plan)
    assert flat.reason == "futility" and flat.futility_boundary > 0
    described = plan.describe()
    assert described["design"] == "one-sided" and 14 < described["equivalent_fixed_n"] < 20
    assert described["expected_trials_no_effect"] < described["expected_trials_design_effect"] < 20
    two_sided = SequentialPlan(max_trials=20, batch_size=5, direction="lower", one_sided=False)
    assert not two_sided.uses_one_sided and two_sided.describe()["design"] == "two-sided"


def test_a_suite_is_tested_with_its_tasks_as_blocks() -> None:
    """Three tasks at very different token levels, the treatment 5% lower on each: pooled over tasks the
    difference drowns in the task levels; with the task as a block it is clear. The information fraction
    counts trials per task (5 of 20 per arm and task = 0.25), not trials pooled over tasks."""
    rng = np.random.default_rng(4)
    levels = {"small": 1_000.0, "medium": 10_000.0, "large": 100_000.0}
    base = {task: list(level * np.exp(rng.normal(0, 0.02, 5))) for task, level in levels.items()}
    treat = {task: list(level * 0.95 * np.exp(rng.normal(0, 0.02, 5))) for task, level in levels.items()}
    plan = SequentialPlan(max_trials=20, batch_size=5, scale="log", direction="lower")
    blocked = sequential_decision(base, treat, 1, plan)
    assert blocked.information_fraction == pytest.approx(0.25)
    assert blocked.n_baseline == 15 and blocked.reason == "efficacy" and blocked.better is True
    pooled = sequential_decision([v for vs in base.values() for v in vs], [v for vs in treat.values() for v in vs],
                                 1, plan)
    assert pooled.reason != "efficacy" and abs(pooled.z) < 1


def test_a_suite_whose_tasks_each_have_one_arm_has_no_test_yet() -> None:
    """Values of the baseline in one task and of the treatment in another compare nothing: no z, continue."""
    plan = SequentialPlan(max_trials=20, batch_size=5, direction="lower")
    decision = sequential_decision({"a": [1.0, 2.0, 3.0], "b": []}, {"a": [], "b": [9.0, 8.0, 7.0]}, 1, plan)
    assert decision.z is None and decision.reason == "continue" and decision.information_fraction == 0.0
