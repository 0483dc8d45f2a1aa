"""The one-sided group-sequential design `run --sequential` uses when the metric's better direction is known.

The question is "does the treatment help?". Per look k (signed z: positive = better):
- stop for a benefit when z >= upper[k]: alpha/2 is spent under no effect (the same false "better" rate as a
  two-sided fixed test at alpha), with a Lan-DeMets spending function;
- stop for futility when z < lower[k]: beta is spent as `beta * t^rho` under the design effect;
- the futility bound is binding (the upper bounds are computed over the paths futility has not stopped), so
  the scheduler always stops at it; at the last look lower == upper.
The design effect is calibrated: the drift theta (expected z at full information) for which the two bounds
meet at the last look, so the design has power exactly 1 - beta at theta. A fixed design detects the same
effect with power 1 - beta at `max_trials * equivalent_fixed_fraction` trials per arm; the expected trials
under no effect and under the design effect come from the same recursion.

Numerical recursion on B(t) = Z(t) sqrt(t) ~ N(theta t, t) over the continuation region (Armitage-McPherson-
Rowe), tracking the sub-densities under no effect and under theta together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize, special, stats

from popkit_bench.analysis.futility import design_drift
from popkit_bench.analysis.spending import spent

_GRID = 801
_SEARCH_GRID = 301  # the calibration's root search; the design itself is computed on _GRID
_NO_STOP = 40.0  # an upper bound never crossed / a lower bound never under-run (in z)


@dataclass(frozen=True)
class OneSidedDesign:
    """Bounds per look (signed z), the design drift, and the stopping probabilities per look."""

    fractions: tuple[float, ...]
    theta: float
    upper: tuple[float, ...]
    lower: tuple[float, ...]
    stop_null: tuple[float, ...]  # P(stop at look k | no effect)
    stop_effect: tuple[float, ...]  # P(stop at look k | the design effect)
    power: float  # P(stop for a benefit | the design effect)
    alpha: float
    beta: float

    @property
    def equivalent_fixed_fraction(self) -> float:
        """Trials per arm of the fixed design with the same alpha and power, as a fraction of max_trials."""
        return (design_drift(self.alpha, self.beta) / self.theta) ** 2

    def expected_fraction(self, effect: bool) -> float:
        """Expected trials per arm as a fraction of max_trials, under no effect or under the design effect."""
        probs = self.stop_effect if effect else self.stop_null
        return float(sum(p * t for p, t in zip(probs, self.fractions, strict=True)))


def bounds_for(fractions: tuple[float, ...], theta: float, alpha: float, beta: float, spending: str,
               rho: float, grid: int = _GRID) -> tuple[list[float], list[float], list[float], list[float], float]:
    """(upper, lower with the last one unforced, P(stop at k | 0), P(stop at k | theta), power) for drift theta."""
    upper: list[float] = []
    lower: list[float] = []
    stop0: list[float] = []
    stop1: list[float] = []
    power = 0.0
    state: _Continuation | None = None
    previous_t = spent_a = spent_b = 0.0
    for k, t in enumerate(fractions):
        inc_a = spent(t, alpha, spending) / 2 - spent_a
        inc_b = beta * min(t, 1.0) ** rho - spent_b
        u, lo, (above0, above1, below0, below1) = _look(state, t, previous_t, theta, inc_a, inc_b)
        upper.append(u)
        lower.append(lo)
        power += above1
        last = k == len(fractions) - 1
        stop0.append(1.0 - sum(stop0) if last else above0 + below0)
        stop1.append(1.0 - sum(stop1) if last else above1 + below1)
        if last:
            break
        state = _continue(state, t, previous_t, theta, min(lo, u), u, grid)
        previous_t, spent_a, spent_b = t, spent_a + max(inc_a, 0.0), spent_b + max(inc_b, 0.0)
    return upper, lower, stop0, stop1, power


@dataclass(frozen=True)
class _Continuation:
    """The sub-densities (times quadrature weights) of B(t) over the paths still running, under 0 and theta."""

    grid: np.ndarray
    w0: np.ndarray
    w1: np.ndarray


def _look(state: _Continuation | None, t: float, previous_t: float, theta: float, inc_a: float,
          inc_b: float) -> tuple[float, float, tuple[float, float, float, float]]:
    """(upper, lower, (P0 above, P1 above, P0 below, P1 below)) of the look at t."""
    root = math.sqrt(t)
    if state is None:
        u = min(float(stats.norm.isf(inc_a)), _NO_STOP) if inc_a > 0 else _NO_STOP
        lo = theta * root + float(stats.norm.ppf(inc_b)) if inc_b > 0 else -_NO_STOP
        cut = min(lo, u)
        return u, lo, (float(stats.norm.sf(u)), float(stats.norm.sf(u - theta * root)),
                       float(stats.norm.cdf(cut)), float(stats.norm.cdf(cut - theta * root)))
    step = math.sqrt(t - previous_t)
    grid, w0, w1 = state.grid, state.w0, state.w1
    mean1 = grid + theta * (t - previous_t)

    def above(weights: np.ndarray, means: np.ndarray, c: float) -> float:
        return float(weights @ special.ndtr((means - c * root) / step))

    def below(weights: np.ndarray, means: np.ndarray, c: float) -> float:
        return float(weights @ special.ndtr((c * root - means) / step))

    u = _solve(lambda c: above(w0, grid, c), inc_a, falling=True)
    lo = _solve(lambda c: below(w1, mean1, c), inc_b, falling=False)
    cut = min(lo, u)
    return u, lo, (above(w0, grid, u), above(w1, mean1, u), below(w0, grid, cut), below(w1, mean1, cut))


def _continue(state: _Continuation | None, t: float, previous_t: float, theta: float, low: float,
              high: float, points: int) -> _Continuation:
    """The continuation sub-densities at t over (low, high) on the z scale."""
    root = math.sqrt(t)
    new = np.linspace(low * root, high * root, points)
    if state is None:
        d0, d1 = stats.norm.pdf(new, 0.0, root), stats.norm.pdf(new, theta * t, root)
    else:
        step = math.sqrt(t - previous_t)
        d0 = _kernel(new, state.grid, step) @ state.w0
        d1 = _kernel(new, state.grid + theta * (t - previous_t), step) @ state.w1
    weights = _trapezoid(new)
    return _Continuation(new, weights * d0, weights * d1)


@lru_cache(maxsize=256)
def calibrated_design(fractions: tuple[float, ...], alpha: float = 0.05, beta: float = 0.2,
                      spending: str = "linear", rho: float = 1.0) -> OneSidedDesign:
    """The design whose bounds meet at the last look (power exactly 1 - beta at its drift theta)."""
    def gap(theta: float) -> float:
        upper, lower, *_ = bounds_for(fractions, theta, alpha, beta, spending, rho, _SEARCH_GRID)
        return upper[-1] - lower[-1]

    low = design_drift(alpha, beta) * 0.9
    high = low
    while gap(high) > 0:
        low, high = high, high + 0.25
        if high > 20:
            raise ValueError("no one-sided design meets these looks")
    theta = float(optimize.brentq(gap, low, high, xtol=1e-5))
    return design_at(fractions, theta, alpha, beta, spending, rho)


@lru_cache(maxsize=1024)
def design_at(fractions: tuple[float, ...], theta: float, alpha: float = 0.05, beta: float = 0.2,
              spending: str = "linear", rho: float = 1.0) -> OneSidedDesign:
    """The bounds at these (possibly unplanned) information fractions for a fixed drift theta; at full
    information the futility bound is the upper bound (the design ends there)."""
    upper, lower, stop0, stop1, power = bounds_for(fractions, theta, alpha, beta, spending, rho)
    if fractions[-1] >= 1.0:
        lower[-1] = upper[-1]
    return OneSidedDesign(tuple(fractions), theta, tuple(upper),
                          tuple(min(a, b) for a, b in zip(lower, upper, strict=True)), tuple(stop0), tuple(stop1),
                          power, alpha, beta)


def _solve(mass, target: float, *, falling: bool) -> float:
    """The z where mass(z) == target; mass falls with z for an upper bound, rises for a lower bound."""
    if target <= 1e-14:
        return _NO_STOP if falling else -_NO_STOP
    far_low, far_high = mass(-_NO_STOP), mass(_NO_STOP)
    if falling and far_low < target:
        return -_NO_STOP
    if not falling and far_high < target:
        return _NO_STOP
    return float(optimize.brentq(lambda c: mass(c) - target, -_NO_STOP, _NO_STOP, xtol=1e-9))


def _kernel(new: np.ndarray, means: np.ndarray, step: float) -> np.ndarray:
    return np.exp(-0.5 * ((new[:, None] - means[None, :]) / step) ** 2) / (step * math.sqrt(2 * math.pi))


def _trapezoid(grid: np.ndarray) -> np.ndarray:
    h = grid[1] - grid[0]
    w = np.full(grid.shape, h)
    w[0] = w[-1] = h / 2
    return w
