"""The stratified (task-blocked) suite test: value ~ task + arm by OLS, checked against independent formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from popkit_bench.analysis.stratified import StratifiedResult, stratified_reason, stratified_test


def test_single_task_is_the_pooled_variance_t_test() -> None:
    xb = [10.0, 12.0, 9.5, 11.0, 13.2]
    xt = [14.0, 12.5, 15.1, 13.0]
    res = stratified_test({"a": xb}, {"a": xt})
    ref = stats.ttest_ind(xt, xb, equal_var=True)
    assert isinstance(res, StratifiedResult)
    assert res.difference == pytest.approx(np.mean(xt) - np.mean(xb), rel=1e-12)
    assert res.t == pytest.approx(ref.statistic, rel=1e-10)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert (res.df, res.tasks_used, res.n_baseline, res.n_treatment) == (7, 1, 5, 4)
    assert res.se == pytest.approx(res.difference / ref.statistic, rel=1e-10)


def _frisch_waugh(tasks: dict[str, tuple[list[float], list[float]]]) -> tuple[float, float, int]:
    """Independent OLS: centre value and arm indicator within each task, then a simple regression through the
    centred data (linregress); its slope is the arm coefficient, its stderr rescaled from df N-2 to N-k-1."""
    y, x = [], []
    for xb, xt in tasks.values():
        vals = np.array(xb + xt)
        arm = np.array([0.0] * len(xb) + [1.0] * len(xt))
        y.append(vals - vals.mean())
        x.append(arm - arm.mean())
    y_c, x_c = np.concatenate(y), np.concatenate(x)
    fit = stats.linregress(x_c, y_c)
    n, k = len(y_c), len(tasks)
    df = n - k - 1
    return fit.slope, fit.stderr * math.sqrt((n - 2) / df), df


@pytest.mark.parametrize("balanced", [True, False])
def test_several_tasks_match_an_independent_ols(balanced: bool) -> None:
    tasks = {
        "small": ([100.0, 120.0, 95.0, 110.0], [90.0, 105.0, 99.0, 93.0]),
        "big": ([510.0, 480.0, 530.0, 470.0], [450.0, 470.0, 500.0, 440.0]),
    }
    if not balanced:
        tasks["big"] = ([510.0, 480.0, 530.0], [450.0, 470.0, 500.0, 440.0, 455.0])
    res = stratified_test({k: v[0] for k, v in tasks.items()}, {k: v[1] for k, v in tasks.items()})
    slope, se, df = _frisch_waugh(tasks)
    assert res is not None
    assert res.difference == pytest.approx(slope, rel=1e-10)
    assert res.se == pytest.approx(se, rel=1e-10)
    assert res.df == df
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(slope / se), df), rel=1e-9)
    if balanced:  # equal counts: the plain mean of the per-task mean differences
        d = [np.mean(t) - np.mean(b) for b, t in tasks.values()]
        assert res.difference == pytest.approx(np.mean(d), rel=1e-12)


def test_blocking_removes_the_task_effect() -> None:
    """Shifting one task by a constant changes nothing; pooled Welch would see the shift as noise."""
    b = {"a": [10.0, 11.0, 12.0], "b": [20.0, 21.5, 19.0]}
    t = {"a": [11.0, 12.5, 12.0], "b": [21.0, 22.0, 20.5]}
    shifted_b = {"a": b["a"], "b": [v + 1000 for v in b["b"]]}
    shifted_t = {"a": t["a"], "b": [v + 1000 for v in t["b"]]}
    one, two = stratified_test(b, t), stratified_test(shifted_b, shifted_t)
    assert one is not None and two is not None
    assert two.difference == pytest.approx(one.difference, rel=1e-9)
    assert two.p_value == pytest.approx(one.p_value, rel=1e-7)


def test_a_task_with_one_arm_and_bad_values_are_left_out() -> None:
    b = {"a": [10.0, 12.0, None, 9.5, float("nan")], "only_b": [500.0, 700.0], "c": [float("inf")]}
    t = {"a": [14.0, 12.5, 15.1, float("-inf")], "only_t": [1.0], "c": [3.0]}
    res = stratified_test(b, t)
    ref = stratified_test({"a": [10.0, 12.0, 9.5]}, {"a": [14.0, 12.5, 15.1]})
    assert res == ref
    assert res is not None and (res.tasks_used, res.n_baseline, res.n_treatment) == (1, 3, 3)


def test_cases_that_cannot_be_computed_return_none_with_a_reason() -> None:
    cases = [
        ({}, {}, "no task has values in both arms"),
        ({"a": [1.0]}, {"b": [2.0]}, "no task has values in both arms"),
        ({"a": [None, float("nan")]}, {"a": [1.0, 2.0]}, "no task has values in both arms"),
        ({"a": [1.0]}, {"a": [2.0]}, "too few values"),  # N 2, 1 task: df 0
        ({"a": [1.0], "b": [5.0]}, {"a": [2.0], "b": [6.0]}, None),  # N 4, 2 tasks: df 1
        ({"a": [1.0], "b": [5.0], "c": [9.0]}, {"a": [2.0], "b": [7.0], "c": [1.0]}, None),  # df 2
        ({"a": [1.0], "b": [5.0]}, {"a": [2.0], "b": []}, "too few values"),  # task b dropped: df 0
        ({"a": [3.0, 3.0], "b": [7.0, 7.0]}, {"a": [3.0, 3.0], "b": [7.0, 7.0]}, "zero residual variance"),
    ]
    for base, treat, reason in cases:
        res, why = stratified_test(base, treat), stratified_reason(base, treat)
        if reason is None:
            assert res is not None and why is None, (base, treat)
        else:
            assert res is None, (base, treat)
            assert why is not None and why.startswith(reason)


def test_zero_variance_with_a_difference_is_certain() -> None:
    res = stratified_test({"a": [3.0, 3.0], "b": [7.0, 7.0]}, {"a": [4.0, 4.0], "b": [8.0, 8.0]})
    assert res is not None
    assert res.difference == pytest.approx(1.0)
    assert (res.se, res.t, res.p_value, res.df) == (0.0, math.inf, 0.0, 5)
    down = stratified_test({"a": [3.0, 3.0]}, {"a": [2.0, 2.0]})
    assert down is not None and down.t == -math.inf and down.p_value == 0.0


def test_log_scale_tests_the_logs_and_needs_positive_values() -> None:
    b = {"a": [100.0, 130.0, 90.0], "b": [1e5, 1.4e5, 0.8e5]}
    t = {"a": [120.0, 150.0, 110.0], "b": [1.3e5, 1.5e5, 1.1e5]}
    res = stratified_test(b, t, log_scale=True)
    ref = stratified_test({k: np.log(v) for k, v in b.items()}, {k: np.log(v) for k, v in t.items()})
    assert res is not None and res == ref
    assert math.exp(res.difference) > 1  # a geometric-mean ratio above 1
    with_zero = {"a": [0.0, 130.0, 90.0], "b": b["b"]}
    assert stratified_test(with_zero, t, log_scale=True) is None
    assert stratified_reason(with_zero, t, log_scale=True) == "log scale needs every value > 0"
    assert stratified_test(with_zero, t) is not None  # raw scale is fine with a zero
