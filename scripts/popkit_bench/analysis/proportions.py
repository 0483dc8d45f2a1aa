"""Binary outcomes: Wilson intervals, Newcombe's hybrid-score interval, Fisher and Boschloo tests."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import optimize, special, stats

# Boschloo's exact unconditional test enumerates (n_b + 1)(n_t + 1) tables; beyond this total n, use Fisher.
BOSCHLOO_MAX_N = 200


def _z(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2))


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (n >= 1)."""
    z = _z(level)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def newcombe_interval(x_b: int, n_b: int, x_t: int, n_t: int, level: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid-score interval (method 10) for p_t - p_b."""
    p_b, p_t = x_b / n_b, x_t / n_t
    l_b, u_b = wilson_interval(x_b, n_b, level)
    l_t, u_t = wilson_interval(x_t, n_t, level)
    diff = p_t - p_b
    low = diff - math.sqrt((p_t - l_t) ** 2 + (u_b - p_b) ** 2)
    high = diff + math.sqrt((u_t - p_t) ** 2 + (p_b - l_b) ** 2)
    return max(-1.0, low), min(1.0, high)


@lru_cache(maxsize=65536)
def fisher_test(x_b: int, n_b: int, x_t: int, n_t: int) -> tuple[float, float]:
    """Fisher's exact test, two-sided: (odds ratio, p)."""
    result = stats.fisher_exact([[x_t, n_t - x_t], [x_b, n_b - x_b]])
    return float(result.statistic), float(result.pvalue)


@lru_cache(maxsize=65536)
def boschloo_p(x_b: int, n_b: int, x_t: int, n_t: int) -> float:
    """Boschloo's exact unconditional test, two-sided p (size <= alpha for every common success rate).

    Two-sided p = 2 x the smaller one-sided p (the definition scipy.stats.boschloo_exact uses); each one-sided
    p is the largest, over the common success rate, probability of a table whose one-sided Fisher p is at most
    the observed one. Vectorised over tables and a grid of rates, refined around the grid maximum.
    """
    if x_b + x_t in (0, n_b + n_t):
        return 1.0  # all failures or all successes: no evidence of a difference
    greater = _boschloo_one_sided(x_t, n_t, x_b, n_b)
    less = _boschloo_one_sided(x_b, n_b, x_t, n_t)
    return float(min(1.0, 2 * min(greater, less)))


@lru_cache(maxsize=65536)
def boschloo_midp(x_b: int, n_b: int, x_t: int, n_t: int) -> float:
    """Mid-p version of Boschloo's test: tables as extreme as the observed one count half.

    The exact test's size sits well below alpha at small n because of discreteness (0.0215 at n = 5 per
    arm, where no non-randomised level-0.05 test does better). The mid-p keeps the false-positive rate near
    alpha instead: at a common success rate of 0.5 it is 0.031 (n = 3), 0.061 (n = 5), 0.042 (n = 10), and
    at most 0.061 over all rates at those n. The strict p (`boschloo_p`) is reported beside it.
    """
    if x_b + x_t in (0, n_b + n_t):
        return 1.0
    greater = _boschloo_one_sided(x_t, n_t, x_b, n_b, mid=True)
    less = _boschloo_one_sided(x_b, n_b, x_t, n_t, mid=True)
    return float(min(1.0, 2 * min(greater, less)))


@lru_cache(maxsize=256)
def _table_space(n1: int, n2: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every table (a successes of n1, b of n2): P(A >= a | a + b) (Fisher, one-sided), a + b, log C C."""
    a = np.arange(n1 + 1)[:, None]
    b = np.arange(n2 + 1)[None, :]
    total = a + b
    fisher = stats.hypergeom.sf(a - 1, n1 + n2, total, n1)
    log_comb = (special.gammaln(n1 + 1) - special.gammaln(a + 1) - special.gammaln(n1 - a + 1)
                + special.gammaln(n2 + 1) - special.gammaln(b + 1) - special.gammaln(n2 - b + 1))
    return fisher, np.broadcast_to(total, fisher.shape), log_comb


_RATES = np.linspace(0.0005, 0.9995, 400)


def _boschloo_one_sided(x1: int, n1: int, x2: int, n2: int, *, mid: bool = False) -> float:
    """sup over the common rate of P(Fisher's p for 'group 1 has the higher rate' <= the observed one).

    With `mid`, tables whose Fisher p equals the observed one count half (the mid-p).
    """
    fisher, total, log_comb = _table_space(n1, n2)
    observed = fisher[x1, x2]
    n = n1 + n2
    # log of the summed C(n1,a) C(n2,b) over the region, per total number of successes s = a + b
    log_w = np.full(n + 1, -np.inf)
    if mid:
        strict = fisher < observed * (1 - 1e-12)
        equal = np.abs(fisher - observed) <= observed * 1e-12
        np.logaddexp.at(log_w, total[strict], log_comb[strict])
        half = np.full(n + 1, -np.inf)
        np.logaddexp.at(half, total[equal], log_comb[equal] + np.log(0.5))
        log_w = np.logaddexp(log_w, half)
    else:
        region = fisher <= observed * (1 + 1e-13)
        np.logaddexp.at(log_w, total[region], log_comb[region])
    keep = np.isfinite(log_w)
    s = np.arange(n + 1)[keep]
    log_w = log_w[keep]

    def log_p(rate: np.ndarray) -> np.ndarray:
        rate = np.atleast_1d(rate)[:, None]
        terms = log_w + special.xlogy(s, rate) + special.xlog1py(n - s, -rate)
        return special.logsumexp(terms, axis=1)

    values = log_p(_RATES)
    i = int(np.argmax(values))
    lo, hi = _RATES[max(0, i - 1)], _RATES[min(len(_RATES) - 1, i + 1)]
    if i == 0:
        lo = 0.0
    if i == len(_RATES) - 1:
        hi = 1.0
    best = optimize.minimize_scalar(lambda r: -log_p(r)[0], bounds=(lo, hi), method="bounded",
                                    options={"xatol": 1e-7})
    return float(min(1.0, np.exp(max(values[i], -best.fun))))


def binary_p(x_b: int, n_b: int, x_t: int, n_t: int) -> tuple[str, float]:
    """The primary test for two proportions: Boschloo mid-p at small n, Fisher beyond BOSCHLOO_MAX_N."""
    if n_b + n_t <= BOSCHLOO_MAX_N:
        return "boschloo_midp", boschloo_midp(x_b, n_b, x_t, n_t)
    return "fisher", fisher_test(x_b, n_b, x_t, n_t)[1]


def binary_p_strict(x_b: int, n_b: int, x_t: int, n_t: int) -> tuple[str, float]:
    """A test of size <= alpha at every rate: Boschloo's exact p (used where alpha must be kept strictly)."""
    if n_b + n_t <= BOSCHLOO_MAX_N:
        return "boschloo", boschloo_p(x_b, n_b, x_t, n_t)
    return "fisher", fisher_test(x_b, n_b, x_t, n_t)[1]


def cohens_h(p_b: float, p_t: float) -> float:
    """Cohen's h = 2 asin(sqrt(p_t)) - 2 asin(sqrt(p_b)); same labels as d."""
    return 2 * math.asin(math.sqrt(p_t)) - 2 * math.asin(math.sqrt(p_b))


def ratio_of_proportions(x_b: int, n_b: int, x_t: int, n_t: int, level: float = 0.95):
    """(estimate, low, high) of p_t / p_b with the Katz log interval; None parts when undefined."""
    if x_b == 0:
        return None, None, None
    est = (x_t / n_t) / (x_b / n_b)
    if x_t == 0:
        return est, None, None
    se = math.sqrt(1 / x_t - 1 / n_t + 1 / x_b - 1 / n_b)
    z = _z(level)
    return est, est * math.exp(-z * se), est * math.exp(z * se)


def newcombe_paired_interval(a: int, b: int, c: int, d: int, level: float = 0.95) -> tuple[float, float]:
    """Newcombe's interval (1998, method 10) for p1 - p2 of paired proportions, p1 = (a+b)/n, p2 = (a+c)/n.

    a: both succeed, b: only the first, c: only the second, d: neither (n = a+b+c+d >= 1). Wilson intervals of
    the two margins, combined with the correlation phi as Newcombe gives it (ad - bc shrunk by n/2 when positive).
    """
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson_interval(a + b, n, level)
    l2, u2 = wilson_interval(a + c, n, level)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    shrunk = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
    phi = shrunk / math.sqrt(margins) if margins > 0 else 0.0
    diff = p1 - p2
    low = diff - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = diff + math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    return max(-1.0, low), min(1.0, high)


def mcnemar_exact_p(b: int, c: int) -> float:
    """McNemar's exact test, two-sided: the binomial test of b successes in b + c discordant pairs at 0.5."""
    return float(stats.binomtest(b, b + c, 0.5).pvalue)
