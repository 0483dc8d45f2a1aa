"""Lan-DeMets alpha-spending functions of the group-sequential designs (analysis/sequential.py, one_sided.py)."""

from __future__ import annotations

import math

from scipy import stats

SPENDING = ("obrien_fleming", "pocock", "linear")


def spent(t: float, alpha: float, spending: str) -> float:
    """Cumulative two-sided alpha spent by information fraction t (halve it for one side).

    obrien_fleming: almost nothing early, near the fixed design at the end; pocock: Lan-DeMets Pocock type;
    linear: alpha * t (Kim-DeMets rho = 1), between the two, which stops early on a real effect most often.
    """
    if t <= 0:
        return 0.0
    t = min(t, 1.0)
    if spending == "obrien_fleming":
        return float(2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - alpha / 2) / math.sqrt(t)))
    if spending == "pocock":
        return float(alpha * math.log(1 + (math.e - 1) * t))
    if spending == "linear":
        return float(alpha * t)
    raise ValueError(f"unknown spending function {spending!r}")
