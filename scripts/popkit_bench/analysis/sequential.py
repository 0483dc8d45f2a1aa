"""Group-sequential stopping for `run --sequential`: after each batch, stop for a clear difference (alpha
spending, Lan-DeMets O'Brien-Fleming type by default) or for futility (non-binding beta spending by default,
see analysis/futility.py; or conditional power under the current trend), else continue up to max_trials.
Naive "run until p < 0.05" is never done.

Futility is tuned for the common case of a plugin that does not help: when the metric's better direction is
known, the futility bound is one-sided (stop when the treatment is not trending better by enough); efficacy
stays two-sided (a clear regression still stops as a clear difference). Non-binding: the efficacy bounds
ignore futility, so the false-positive rate stays <= alpha whatever futility does.

Each look's test (Welch, or Boschloo for 0/1 outcomes) is turned into a z statistic through its p-value
(z = Phi^-1(1 - p/2), signed by the difference), so the z-scale boundaries also hold at small n.
The function is pure: the scheduler (execution/sequential_looks.py) calls `sequential_decision` after each batch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from popkit_bench.analysis.futility import design_drift, futility_bounds
from popkit_bench.analysis.hypothesis import welch
from popkit_bench.analysis.proportions import binary_p_strict

_GRID = 801  # points of the numerical integration per look
_NO_STOP = 40.0  # a boundary that is never crossed (no alpha spent at this look)


@dataclass(frozen=True)
class SequentialPlan:
    """How a sequential run is looked at. Trials counts are per arm.

    spending: "obrien_fleming" (conservative early, near fixed-n power at the end) or "pocock".
    futility (non-binding: it can only lower the false-positive rate), futility_rule:
    - "beta_spending" (default): stop when the signed z (positive = better) is below a bound that spends
      futility_beta * t^futility_rho of probability under the effect a fixed design of max_trials per arm
      detects with power 1 - design_beta (one-sided when direction is known, |z| below it when unknown);
    - "conditional_power": stop when the conditional power under the current trend is below futility_power.
    futility_from: the information fraction from which futility may stop (None: 0 for beta spending, 0.5 for
    conditional power). kind / scale / direction describe the decision metric ("continuous"/"binary",
    "raw"/"log", "lower"/"higher"/"unknown").
    """

    max_trials: int
    batch_size: int
    alpha: float = 0.05
    spending: str = "obrien_fleming"
    futility: bool = True
    futility_power: float = 0.05
    futility_from: float | None = None
    kind: str = "continuous"
    scale: str = "raw"
    direction: str = "unknown"
    futility_rule: str = "beta_spending"
    futility_beta: float = 0.2
    futility_rho: float = 1.0
    design_beta: float = 0.2

    @property
    def futility_start(self) -> float:
        """The information fraction from which futility may stop."""
        if self.futility_from is not None:
            return self.futility_from
        return 0.0 if self.futility_rule == "beta_spending" else 0.5

    @property
    def looks(self) -> int:
        return max(1, math.ceil(self.max_trials / self.batch_size))

    def fractions(self) -> tuple[float, ...]:
        """Planned information fractions of the looks (the last is 1)."""
        return tuple(min(k * self.batch_size, self.max_trials) / self.max_trials for k in range(1, self.looks + 1))


@dataclass
class Decision:
    """The outcome of one look. reason: efficacy | futility | max_trials | continue."""

    stop: bool
    reason: str
    look: int
    n_baseline: int
    n_treatment: int
    information_fraction: float
    z: float | None
    boundary: float
    nominal_alpha: float
    p_value: float | None
    conditional_power: float | None
    direction: str | None
    better: bool | None
    message: str
    futility_boundary: float | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, float) and not math.isfinite(value):
                data[key] = None
        return data


def spent(t: float, alpha: float, spending: str) -> float:
    """Cumulative two-sided alpha spent by information fraction t."""
    if t <= 0:
        return 0.0
    t = min(t, 1.0)
    if spending == "obrien_fleming":
        return float(2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - alpha / 2) / math.sqrt(t)))
    if spending == "pocock":
        return float(alpha * math.log(1 + (math.e - 1) * t))
    raise ValueError(f"unknown spending function {spending!r}")


@lru_cache(maxsize=256)
def boundaries(fractions: tuple[float, ...], alpha: float = 0.05, spending: str = "obrien_fleming") -> tuple[float, ...]:
    """Two-sided z boundaries at increasing information fractions so that P(cross any | H0) = alpha spent.

    Numerical recursion on the Brownian-motion scale B(t) = Z sqrt(t) (Armitage-McPherson-Rowe).
    """
    out: list[float] = []
    previous_t = 0.0
    previous_spent = 0.0
    grid = density = None
    for t in fractions:
        increment = spent(t, alpha, spending) - previous_spent
        if grid is None:
            c = float(stats.norm.isf(increment / 2)) if increment > 0 else _NO_STOP
            c = min(c, _NO_STOP)
            grid = np.linspace(-c * math.sqrt(t), c * math.sqrt(t), _GRID)
            density = stats.norm.pdf(grid, scale=math.sqrt(t))
        else:
            step = math.sqrt(t - previous_t)
            weights = _trapezoid(grid) * density

            args = (t, step, grid, weights)
            if increment <= 1e-15 or _exit_prob(_NO_STOP, *args) >= increment:
                c = _NO_STOP
            else:
                c = float(optimize.brentq(lambda c, a=args, i=increment: _exit_prob(c, *a) - i, 1e-6, _NO_STOP,
                                          xtol=1e-10))
            new_grid = np.linspace(-c * math.sqrt(t), c * math.sqrt(t), _GRID)
            kernel = stats.norm.pdf((new_grid[:, None] - grid[None, :]) / step) / step
            density = kernel @ weights
            grid = new_grid
        out.append(c)
        previous_t = t
        previous_spent = spent(t, alpha, spending)
    return tuple(out)


def _exit_prob(c: float, t: float, step: float, grid: np.ndarray, weights: np.ndarray) -> float:
    """P(|B(t)| >= c sqrt(t) and no earlier crossing), given the continuation sub-density on grid."""
    edge = c * math.sqrt(t)
    tails = stats.norm.cdf((-edge - grid) / step) + stats.norm.sf((edge - grid) / step)
    return float(weights @ tails)


def _trapezoid(grid: np.ndarray) -> np.ndarray:
    h = grid[1] - grid[0]
    w = np.full(grid.shape, h)
    w[0] = w[-1] = h / 2
    return w


def _z_statistic(xb: np.ndarray, xt: np.ndarray, plan: SequentialPlan) -> tuple[float | None, float | None]:
    """(signed z, p) of the look's test, or (None, None) when it cannot be computed."""
    if plan.kind == "binary":
        if len(xb) < 1 or len(xt) < 1:
            return None, None
        s_b, s_t = int(np.sum(xb > 0.5)), int(np.sum(xt > 0.5))
        _, p = binary_p_strict(s_b, len(xb), s_t, len(xt))
        diff = s_t / len(xt) - s_b / len(xb)
    else:
        if len(xb) < 2 or len(xt) < 2:
            return None, None
        if plan.scale == "log" and np.all(xb > 0) and np.all(xt > 0):
            xb, xt = np.log(xb), np.log(xt)
        res = welch(xb, xt)
        p = float(res.p_value)
        diff = float(res.difference)
        if not math.isfinite(p):
            return None, None
    z = float(-special.ndtri(max(p, 1e-300) / 2)) * (1 if diff >= 0 else -1)
    return z, p


def _information(n_b: int, n_t: int, plan: SequentialPlan, look: int) -> float:
    if look >= plan.looks or min(n_b, n_t) >= plan.max_trials:
        return 1.0
    if n_b == 0 or n_t == 0:
        return 0.0
    return min(1.0, (2 * n_b * n_t / (n_b + n_t)) / plan.max_trials)


def conditional_power(z: float, t: float, final_boundary: float) -> float:
    """P(crossing the final boundary | Z(t) = z), assuming the current trend continues (drift z / sqrt(t))."""
    if t >= 1:
        return float(abs(z) >= final_boundary)
    drift = z / math.sqrt(t)
    mean = z * math.sqrt(t) + drift * (1 - t)
    sd = math.sqrt(1 - t)
    return float(special.ndtr((mean - final_boundary) / sd) + special.ndtr((-final_boundary - mean) / sd))


def sequential_decision(values_baseline, values_treatment, look: int, plan: SequentialPlan) -> Decision:
    """Decide after look `look` (1-based) whether to stop, given all values so far of the decision metric."""
    xb = np.asarray([v for v in values_baseline if v is not None], dtype=float)
    xt = np.asarray([v for v in values_treatment if v is not None], dtype=float)
    xb, xt = xb[np.isfinite(xb)], xt[np.isfinite(xt)]
    t = _information(len(xb), len(xt), plan, look)
    planned = [f for f in plan.fractions()[: max(0, look - 1)] if f < t]
    fractions = tuple(planned + [t]) if t > 0 else tuple(planned)
    final = t >= 1.0
    if t > 0:
        bounds = boundaries(fractions, plan.alpha, plan.spending)
        c = bounds[-1]
    else:
        c = _NO_STOP
    final_c = boundaries(plan.fractions(), plan.alpha, plan.spending)[-1]
    z, p = _z_statistic(xb, xt, plan)
    base = dict(look=look, n_baseline=len(xb), n_treatment=len(xt), information_fraction=t, z=z, boundary=c,
                nominal_alpha=float(2 * special.ndtr(-c)), p_value=p)
    if z is None:
        reason = "max_trials" if final else "continue"
        return Decision(stop=final, reason=reason, conditional_power=None, direction=None, better=None,
                        message="too little data for a test at this look" + ("; stopping at max trials" if final else ""),
                        **base)
    direction = "treatment higher" if z > 0 else ("treatment lower" if z < 0 else None)
    sign = {"higher": 1, "lower": -1}.get(plan.direction, 0)
    better = None if sign == 0 or z == 0 else (z * sign > 0)
    if abs(z) >= c:
        return Decision(stop=True, reason="efficacy", conditional_power=None, direction=direction,
                        better=better, message=f"|z| = {abs(z):.2f} >= boundary {c:.2f}: clear difference", **base)
    if final:
        return Decision(stop=True, reason="max_trials", conditional_power=None, direction=direction, better=None,
                        message="maximum trials reached without a clear difference", **base)
    cp = conditional_power(z, t, final_c)
    stop, bound, why = _futility(plan, z, sign, t, cp, fractions)
    if stop:
        return Decision(stop=True, reason="futility", conditional_power=cp, direction=direction, better=None,
                        message=why, futility_boundary=bound, **base)
    return Decision(stop=False, reason="continue", conditional_power=cp, direction=direction, better=None,
                    message=f"|z| = {abs(z):.2f} < boundary {c:.2f}: continue", futility_boundary=bound, **base)


def _futility(plan: SequentialPlan, z: float, sign: int, t: float, cp: float,
              fractions: tuple[float, ...]) -> tuple[bool, float | None, str]:
    """(stop for futility?, the look's futility bound on the signed z or None, message)."""
    if not plan.futility or t < plan.futility_start:
        return False, None, ""
    if plan.futility_rule == "conditional_power":
        stop = cp < plan.futility_power
        return stop, None, f"conditional power {cp:.2f} < {plan.futility_power:.2f}: a difference is unlikely"
    if plan.futility_rule != "beta_spending":
        raise ValueError(f"unknown futility rule {plan.futility_rule!r}")
    bound = futility_bound(plan, fractions)
    if sign:
        signed = z * sign
        return (signed < bound, bound,
                f"z towards better = {signed:.2f} < futility bound {bound:.2f}: a benefit is unlikely")
    return (abs(z) < bound, bound, f"|z| = {abs(z):.2f} < futility bound {bound:.2f}: a difference is unlikely")


@lru_cache(maxsize=1024)
def futility_bound(plan: SequentialPlan, fractions: tuple[float, ...]) -> float:
    """The beta-spending futility bound (signed z) of the last look in `fractions` (before the final look)."""
    full = fractions + (1.0,)
    efficacy = boundaries(full, plan.alpha, plan.spending)
    theta = design_drift(plan.alpha, plan.design_beta)
    return futility_bounds(full, efficacy, theta, plan.futility_beta, plan.futility_rho)[len(fractions) - 1]
