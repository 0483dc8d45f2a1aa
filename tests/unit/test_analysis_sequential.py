"""The group-sequential decision function: boundaries, decisions, JSON safety."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from popkit_bench.analysis.futility import design_drift, futility_bounds
from popkit_bench.analysis.sequential import (
    SequentialPlan,
    boundaries,
    conditional_power,
    sequential_decision,
    spent,
)


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
