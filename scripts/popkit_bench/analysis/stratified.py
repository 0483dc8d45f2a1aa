"""Stratified (task-blocked) two-arm test for a suite: value ~ task + arm by ordinary least squares.

Each task is a block with its own level (fixed effect), so differences between tasks (one task taking 5x the
tokens of another) do not enter the error variance, unlike pooling every value of an arm across tasks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

# A residual variance below (_ZERO_TOL * the data's spread)^2 is numerical noise from the solver, i.e. zero.
_ZERO_TOL = 1e-12


@dataclass(frozen=True)
class StratifiedResult:
    """Treatment minus baseline with the task as a block (on the log scale when asked: a log ratio)."""

    difference: float
    se: float
    df: int
    t: float
    p_value: float
    tasks_used: int
    n_baseline: int
    n_treatment: int


Cells = list[tuple[np.ndarray, np.ndarray]]


def stratified_test(
    baseline: Mapping[str, Sequence[float]],
    treatment: Mapping[str, Sequence[float]],
    *,
    log_scale: bool = False,
) -> StratifiedResult | None:
    """Test treatment vs baseline in the linear model value ~ task + arm (task indicators plus an arm indicator).

    Keys are task ids. None and non-finite values are dropped; a task where either arm then has no value is left
    out. `difference` is the arm coefficient: the mean over tasks of the per-task treatment-minus-baseline mean
    difference, weighted by n_b * n_t / (n_b + n_t) (equal weights when every task has the same counts). `se`
    uses the residual variance on df = N - tasks - 1 (N = values used); `p_value` is two-sided from t(df).
    Assumes one error variance shared by both arms and all tasks, and an arm effect that is the same in every
    task (no task x arm interaction; any interaction goes into the residual). With one task this is exactly the
    pooled-variance two-sample t-test. log_scale: the test runs on log values (a geometric-mean ratio); every
    kept value must then be > 0, else the whole test is undefined (None): dropping them would bias it.
    Zero residual variance with a non-zero difference gives se 0, t = +-inf and p 0 (a certain difference).
    Returns None when the test cannot be computed; `stratified_reason` says why.
    """
    outcome = _analyse(baseline, treatment, log_scale)
    return outcome if isinstance(outcome, StratifiedResult) else None


def stratified_reason(
    baseline: Mapping[str, Sequence[float]],
    treatment: Mapping[str, Sequence[float]],
    *,
    log_scale: bool = False,
) -> str | None:
    """Why `stratified_test` returns None for these inputs (a short reason), or None when it returns a result."""
    outcome = _analyse(baseline, treatment, log_scale)
    return outcome if isinstance(outcome, str) else None


def finite_values(values: Sequence[float] | None) -> np.ndarray:
    """The finite numbers among values (None, NaN, +-inf and non-numbers dropped)."""
    kept = []
    for value in () if values is None else values:
        if value is None or isinstance(value, bool):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            kept.append(number)
    return np.asarray(kept, dtype=float)


def _cells(baseline: Mapping[str, Sequence[float]], treatment: Mapping[str, Sequence[float]]) -> Cells:
    """(baseline, treatment) values of each task with at least one finite value in both arms, in key order."""
    cells = []
    for task in sorted(set(baseline) & set(treatment), key=str):
        xb, xt = finite_values(baseline[task]), finite_values(treatment[task])
        if len(xb) and len(xt):
            cells.append((xb, xt))
    return cells


def _analyse(
    baseline: Mapping[str, Sequence[float]], treatment: Mapping[str, Sequence[float]], log_scale: bool
) -> StratifiedResult | str:
    """The result, or the reason it cannot be computed."""
    cells = _cells(baseline, treatment)
    if not cells:
        return "no task has values in both arms"
    if log_scale:
        if any(np.any(xb <= 0) or np.any(xt <= 0) for xb, xt in cells):
            return "log scale needs every value > 0"
        cells = [(np.log(xb), np.log(xt)) for xb, xt in cells]
    n_b = sum(len(xb) for xb, _ in cells)
    n_t = sum(len(xt) for _, xt in cells)
    df = n_b + n_t - len(cells) - 1
    if df < 1:
        return "too few values: needs more values than tasks + 1"
    difference, se = _fit(cells)
    if se is None:
        return "zero residual variance and zero difference"
    if se == 0.0:
        t, p = math.copysign(math.inf, difference), 0.0
    else:
        t = difference / se
        p = float(2 * special.stdtr(df, -abs(t)))
    return StratifiedResult(
        difference=difference, se=se, df=df, t=t, p_value=p,
        tasks_used=len(cells), n_baseline=n_b, n_treatment=n_t,
    )


def _fit(cells: Cells) -> tuple[float, float | None]:
    """OLS of value on task indicators and an arm indicator (1 = treatment): (arm coefficient, its se).

    se is 0.0 for an exact fit with a non-zero coefficient, None for an exact fit with a zero coefficient.
    """
    values = np.concatenate([np.concatenate([xb, xt]) for xb, xt in cells])
    design = np.zeros((len(values), len(cells) + 1))
    row = 0
    for k, (xb, xt) in enumerate(cells):
        size = len(xb) + len(xt)
        design[row:row + size, k] = 1.0
        design[row + len(xb):row + size, -1] = 1.0
        row += size
    coef, _, _, _ = np.linalg.lstsq(design, values, rcond=None)
    residual = values - design @ coef
    df = len(values) - design.shape[1]
    sigma2 = float(residual @ residual) / df
    inverse = np.linalg.inv(design.T @ design)
    difference = float(coef[-1])
    scale = max(float(np.max(np.abs(values))), 1e-300)
    if sigma2 <= (_ZERO_TOL * scale) ** 2:
        return (0.0, None) if abs(difference) <= _ZERO_TOL * scale else (difference, 0.0)
    return difference, math.sqrt(sigma2 * float(inverse[-1, -1]))
