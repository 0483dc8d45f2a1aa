"""Non-binding beta-spending futility bounds for the group-sequential design (analysis/sequential.py).

The bounds are on the signed z scale (positive = the treatment is better). Under the design alternative, a
drift theta = z_{1-alpha/2} + z_{1-beta} (the effect a fixed design with the maximum number of trials detects
with power 1 - beta), the probability of stopping for futility by information fraction t is spent as
`futility_beta * t^rho`. Recursion on B(t) = Z(t) sqrt(t) ~ N(theta t, t) over the paths that neither crossed
the efficacy bound nor stopped for futility (Armitage-McPherson-Rowe, as for the efficacy bounds).

Non-binding: the efficacy bounds ignore futility, so stopping for futility (or not) can only lower the
false-positive rate.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import optimize, special, stats

_GRID = 801
_NEVER = -40.0  # a futility bound that never stops


def design_drift(alpha: float, beta: float) -> float:
    """theta: the expected z at the last look under the effect the fixed design detects with power 1 - beta."""
    return float(-special.ndtri(alpha / 2) - special.ndtri(beta))


def beta_spent(t: float, total: float, rho: float) -> float:
    """Cumulative futility probability under the alternative by information fraction t."""
    return total * min(max(t, 0.0), 1.0) ** rho


@lru_cache(maxsize=256)
def futility_bounds(fractions: tuple[float, ...], efficacy: tuple[float, ...], theta: float, total: float,
                    rho: float) -> tuple[float, ...]:
    """Signed-z futility bound per look; the last look's is its efficacy bound (the design ends there)."""
    out: list[float] = []
    grid = weights = None
    previous_t = previous = 0.0
    for index, (t, c) in enumerate(zip(fractions, efficacy, strict=True)):
        if index == len(fractions) - 1:
            out.append(c)
            break
        increment = beta_spent(t, total, rho) - previous
        root = math.sqrt(t)
        if grid is None:  # first look: Z ~ N(theta sqrt(t), 1)
            f = theta * root + float(stats.norm.ppf(increment)) if increment > 0 else _NEVER

            def below(y: float, t=t, root=root) -> float:
                return float(stats.norm.cdf(y / root - theta * root))
        else:
            step = math.sqrt(t - previous_t)
            mean = grid + theta * (t - previous_t)

            def below(y: float, mean=mean, step=step, weights=weights) -> float:
                return float(weights @ stats.norm.cdf((y - mean) / step))
            f = _solve(below, increment, root, c)
        f = min(f, c)
        out.append(f)
        low = max(f, -c) * root
        new_grid = np.linspace(low, c * root, _GRID)
        if grid is None:
            density = stats.norm.pdf(new_grid, loc=theta * t, scale=root)
        else:
            kernel = np.exp(-0.5 * ((new_grid[:, None] - mean[None, :]) / step) ** 2) / (step * math.sqrt(2 * math.pi))
            density = kernel @ weights
        weights = _trapezoid(new_grid) * density
        grid = new_grid
        previous_t, previous = t, previous + max(increment, 0.0)
    return tuple(out)


def _solve(below, increment: float, root: float, c: float) -> float:
    """The z with P(continue so far and Z < z) = increment (clipped to [_NEVER, c])."""
    if increment <= 1e-12 or below(_NEVER * root) >= increment:
        return _NEVER
    if below(c * root) <= increment:
        return c
    return float(optimize.brentq(lambda z: below(z * root) - increment, _NEVER, c, xtol=1e-8))


def _trapezoid(grid: np.ndarray) -> np.ndarray:
    h = grid[1] - grid[0]
    w = np.full(grid.shape, h)
    w[0] = w[-1] = h / 2
    return w
