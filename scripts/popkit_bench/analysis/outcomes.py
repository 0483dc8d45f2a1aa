"""The numbers plugin authors ask for, per task and arm: pass@k / pass^k, cost and tokens per success,
efficiency among successful trials only, and the context footprint (first request) against the baseline.

Everything is computed over the usable trials (completed + failed) whose `success` is known. A plugin that
makes Claude give up early has cheap trials but few successes: cost per success charges it for every trial.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from popkit_bench.analysis import pass_k
from popkit_bench.analysis.nulls import put
from popkit_bench.analysis.samples import ArmTable

SUCCESS = "success"
FOOTPRINT = "context_footprint_tokens"
EFFICIENCY = ("tokens_total", "cost_usd", "duration_s")
CAVEAT = ("among successful trials only: an arm that succeeds only on its easy attempts looks efficient here; "
          "read these with the success rate and cost per success")
METHOD = {
    **pass_k.METHOD,
    "cost_per_success_usd": ("total cost_usd of every usable trial with a known outcome / number of successes; "
                             "null when there is no success or a trial's cost is unknown"),
    "tokens_per_success": "total tokens_total of the same trials / number of successes",
    "successful_only": CAVEAT,
    "context_footprint_tokens": ("input + cache read + cache creation tokens of each trial's first main-loop "
                                 "request (what the arm costs before doing anything); difference = arm mean - "
                                 "baseline mean of the same task"),
}


def outcomes(tables: dict[tuple[str, str], ArmTable], tasks: list[str], arms: list[str], base: str,
             level: float = 0.95) -> dict[str, Any]:
    """The `outcomes` section of analysis.json (docs/analysis-schema.md)."""
    per_task: dict[str, dict[str, Any]] = {}
    for task in tasks:
        entries = {arm: arm_outcome(tables.get((task, arm)), level) for arm in arms}
        for arm, entry in entries.items():
            _footprint_difference(entry, entries.get(base), arm == base, base)
        per_task[task] = entries
    overall = {arm: _overall([tables[(t, arm)] for t in tasks if (t, arm) in tables]) for arm in arms}
    return {"baseline": base, "confidence_level": level, "method": dict(METHOD), "caveat": CAVEAT,
            "per_task": per_task, "overall": overall}


def _known(table: ArmTable | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(success 0/1 of the trials whose outcome is known, the other columns restricted to those trials)."""
    if table is None or SUCCESS not in table.columns:
        return np.array([], dtype=float), {}
    success = table.columns[SUCCESS]
    mask = ~np.isnan(success)
    columns = {name: table.columns[name][mask] for name in EFFICIENCY + (FOOTPRINT,) if name in table.columns}
    return (success[mask] > 0.5).astype(float), columns


def arm_outcome(table: ArmTable | None, level: float = 0.95) -> dict[str, Any]:
    """One task and arm: counts, pass@k / pass^k, per-success costs, successful-only efficiency, footprint."""
    success, columns = _known(table)
    n, c = int(success.size), int(success.sum())
    out: dict[str, Any] = {"trials": table.n if table else 0, "outcome_known": n,
                           "outcome_unknown": (table.n if table else 0) - n, "successes": c}
    put(out, "success_rate", c / n if n else None, _no_outcome(table))
    out.update(pass_k.curves(n, c, level))
    if n == 0:
        out["pass_at_k_reason"] = out["pass_hat_k_reason"] = _no_outcome(table)
    _per_success(out, "cost_total_usd", "cost_per_success_usd", columns.get("cost_usd"), n, c)
    _per_success(out, "tokens_total", "tokens_per_success", columns.get("tokens_total"), n, c)
    out["successful_only"] = _successful_only(success, columns, c)
    out[FOOTPRINT] = _footprint(table)
    return out


def _no_outcome(table: ArmTable | None) -> str:
    if table is None or table.n == 0:
        return "no usable trials in this arm"
    return "success is null in every usable trial (e.g. no verification commands)"


def _per_success(out: dict[str, Any], total_key: str, key: str, values: np.ndarray | None, n: int, c: int) -> None:
    """out[total_key] = sum over the n trials, out[key] = that sum / c; null with a reason when unknown."""
    metric = "cost_usd" if key.startswith("cost") else "tokens_total"
    if n == 0:
        put(out, total_key, None, "no trial with a known outcome")
        put(out, key, None, "no trial with a known outcome")
        return
    missing = n if values is None else int(np.isnan(values).sum())
    if missing:
        reason = f"{metric} is null in {missing} of {n} trials: the total is unknown"
        put(out, total_key, None, reason)
        put(out, key, None, reason)
        return
    total = float(values.sum())
    put(out, total_key, total, "")
    if c == 0:
        put(out, key, None, f"0 successes in {n} trials: nothing was bought with {total:g} {metric}")
    else:
        put(out, key, total / c, "")


def _successful_only(success: np.ndarray, columns: dict[str, np.ndarray], c: int) -> dict[str, Any]:
    out: dict[str, Any] = {"n": c}
    for name in EFFICIENCY:
        entry: dict[str, Any] = {}
        column = columns.get(name)
        values = column[(success > 0.5) & ~np.isnan(column)] if column is not None else np.array([])
        why = "no successful trial" if c == 0 else f"{name} is null in every successful trial"
        entry["n"] = int(values.size)
        put(entry, "mean", values.mean() if values.size else None, why)
        put(entry, "median", np.median(values) if values.size else None, why)
        out[name] = entry
    return out


def _footprint(table: ArmTable | None) -> dict[str, Any]:
    values = table.values(FOOTPRINT) if table is not None else np.array([])
    why = ("no usable trials in this arm" if table is None or table.n == 0
           else f"{FOOTPRINT} is null in every usable trial")
    entry: dict[str, Any] = {"n": int(values.size), "missing": (table.missing(FOOTPRINT) if table else 0)}
    for key, fn in (("mean", np.mean), ("median", np.median), ("min", np.min), ("max", np.max)):
        put(entry, key, fn(values) if values.size else None, why)
    return entry


def _footprint_difference(entry: dict[str, Any], base: dict[str, Any] | None, is_base: bool, name: str) -> None:
    """entry[FOOTPRINT]["difference_vs_baseline"] (+ _pct): arm mean - baseline mean of the same task."""
    target = entry[FOOTPRINT]
    if is_base:
        put(target, "difference_vs_baseline", None, "this is the baseline arm")
        put(target, "difference_vs_baseline_pct", None, "this is the baseline arm")
        return
    mine = target.get("mean")
    theirs = (base or {}).get(FOOTPRINT, {}).get("mean")
    why = (f"no footprint in the baseline arm {name}" if theirs is None else "no footprint in this arm")
    diff = mine - theirs if mine is not None and theirs is not None else None
    put(target, "difference_vs_baseline", diff, why)
    pct = 100.0 * diff / theirs if diff is not None and theirs else None
    put(target, "difference_vs_baseline_pct", pct, why if diff is None else "baseline footprint is 0")


def _overall(tables: list[ArmTable]) -> dict[str, Any]:
    """One arm over every task: trials, successes, cost and tokens per success (suites)."""
    n = c = 0
    cost: list[np.ndarray] = []
    tokens: list[np.ndarray] = []
    for table in tables:
        success, columns = _known(table)
        n, c = n + int(success.size), c + int(success.sum())
        cost.append(columns.get("cost_usd", np.full(success.size, np.nan)))
        tokens.append(columns.get("tokens_total", np.full(success.size, np.nan)))
    out: dict[str, Any] = {"tasks": len(tables), "outcome_known": n, "successes": c}
    put(out, "success_rate", c / n if n else None, "no trial with a known outcome")
    _per_success(out, "cost_total_usd", "cost_per_success_usd", np.concatenate(cost) if cost else None, n, c)
    _per_success(out, "tokens_total", "tokens_per_success", np.concatenate(tokens) if tokens else None, n, c)
    return out
