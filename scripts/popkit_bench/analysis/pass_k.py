"""pass@k and pass^k of one task and arm: the unbiased estimators from n trials with c successes, with intervals.

pass@k (at least one of k independent attempts succeeds) = 1 - C(n-c, k) / C(n, k);
pass^k (all k attempts succeed) = C(c, k) / C(n, k); both for k = 1..n (Chen et al. 2021, Yao et al. 2024).
Interval: the Wilson interval of the per-trial success rate p, mapped through p -> 1 - (1 - p)^k (pass@k) or
p -> p^k (pass^k). Both maps are monotone, so the mapped interval covers pass@k(p) exactly when Wilson's
covers p: it keeps Wilson's near-nominal coverage at n = 3-20 and is not degenerate at c = 0 or c = n, where a
bootstrap of n binary outcomes collapses to a single point. The unbiased estimator reaches 1 (pass@k, when
k > n - c) or 0 (pass^k, when k > c) while the mapped interval stops short of it; the interval is then widened
to include the estimate, which can only raise its coverage.
"""

from __future__ import annotations

from math import comb
from typing import Any

from popkit_bench.analysis.nulls import interval
from popkit_bench.analysis.proportions import wilson_interval

INTERVAL_METHOD = "wilson_mapped"
METHOD = {
    "pass_at_k": "unbiased estimator 1 - C(n-c, k) / C(n, k): P(at least one of k trials succeeds)",
    "pass_hat_k": "unbiased estimator C(c, k) / C(n, k): P(all k trials succeed)",
    "interval": ("wilson_mapped: the Wilson interval of the per-trial success rate p mapped through "
                 "1 - (1 - p)^k (pass@k) and p^k (pass^k); assumes independent trials with one success rate. "
                 "Chosen over a bootstrap, which collapses to a point when every trial succeeds or fails. "
                 "Where the unbiased estimate is 1 (pass@k, k > n - c) or 0 (pass^k, k > c) the interval is "
                 "widened to include it (more conservative, never less); for k near n the estimate rests on "
                 "few trials (pass@n is 1 as soon as one trial succeeded)"),
}


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n trials with c successes (1 <= k <= n)."""
    _check(n, c, k)
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k (all k succeed) from n trials with c successes (1 <= k <= n)."""
    _check(n, c, k)
    return comb(c, k) / comb(n, k)


def _check(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")


def curves(n: int, c: int, level: float = 0.95) -> dict[str, list[dict[str, Any]]]:
    """{"pass_at_k": [...], "pass_hat_k": [...]}: one {"k", "estimate", "ci"} per k = 1..n ([] when n = 0)."""
    if n == 0:
        return {"pass_at_k": [], "pass_hat_k": []}
    low, high = wilson_interval(c, n, level)
    at, hat = [], []
    for k in range(1, n + 1):
        at.append(_entry(k, pass_at_k(n, c, k), 1 - (1 - low) ** k, 1 - (1 - high) ** k, level))
        hat.append(_entry(k, pass_hat_k(n, c, k), low ** k, high ** k, level))
    return {"pass_at_k": at, "pass_hat_k": hat}


def _entry(k: int, estimate: float, low: float, high: float, level: float) -> dict[str, Any]:
    return {"k": k, "estimate": estimate, "ci": interval(min(low, estimate), max(high, estimate), level)}
