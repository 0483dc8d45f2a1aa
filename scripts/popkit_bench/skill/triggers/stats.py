"""Trigger statistics: per-query rates and the confusion table over runs, with Wilson intervals.

precision = tp / (tp + fp), recall = tp / (tp + fn), specificity = tn / (tn + fp): Wilson score intervals.
f1 = 2tp / (2tp + fp + fn); its interval maps the Wilson interval of the Jaccard index J = tp / (tp + fp + fn)
through f1 = 2J / (1 + J) (monotone, so the coverage carries over). Every run counts as one observation: runs
of one query are not independent, so with --runs > 1 the intervals are too narrow (the paired per-query test
of compare.py is not affected). A value that cannot be computed is null with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from popkit_bench.analysis.proportions import wilson_interval
from popkit_bench.skill.triggers.detect import COUNTED, Observation
from popkit_bench.skill.triggers.queries import TriggerQuery

LEVEL = 0.95


@dataclass(frozen=True)
class Confusion:
    """Counts over counted runs: tp (should, did), fn (should, did not), fp (should not, did), tn."""

    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    def to_json(self) -> dict[str, int]:
        return {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn}


def interval(low: float, high: float) -> dict[str, float]:
    return {"low": round(low, 6), "high": round(high, 6), "level": LEVEL}


def proportion(x: int, n: int, reason_if_empty: str) -> dict[str, Any]:
    """`{"value", "ci", "x", "n"}`; with n = 0 the value and ci are null and `reason` says why."""
    if n == 0:
        return {"value": None, "ci": None, "x": x, "n": n, "reason": reason_if_empty}
    return {"value": round(x / n, 6), "ci": interval(*wilson_interval(x, n, LEVEL)), "x": x, "n": n}


def f1_score(c: Confusion) -> dict[str, Any]:
    """F1 = 2tp / (2tp + fp + fn) with the Jaccard-Wilson interval; null when no run was positive or triggered."""
    n = c.tp + c.fp + c.fn
    if n == 0:
        return {"value": None, "ci": None, "reason": "no should-trigger run and no trigger: tp + fp + fn = 0"}
    low, high = wilson_interval(c.tp, n, LEVEL)
    return {"value": round(2 * c.tp / (2 * c.tp + c.fp + c.fn), 6),
            "ci": interval(2 * low / (1 + low), 2 * high / (1 + high)),
            "method": "2tp / (2tp + fp + fn); interval: Wilson interval of tp / (tp + fp + fn) mapped by 2J / (1 + J)"}


def confusion(pairs: Iterable[tuple[TriggerQuery, Observation]]) -> Confusion:
    """The confusion table over counted runs."""
    tp = fp = tn = fn = 0
    for query, obs in pairs:
        if obs.status != COUNTED:
            continue
        if query.should_trigger:
            tp, fn = (tp + 1, fn) if obs.triggered else (tp, fn + 1)
        else:
            fp, tn = (fp + 1, tn) if obs.triggered else (fp, tn + 1)
    return Confusion(tp, fp, tn, fn)


def metrics(c: Confusion) -> dict[str, Any]:
    """precision, recall, specificity and f1, each with its interval or null with a reason."""
    return {
        "precision": proportion(c.tp, c.tp + c.fp, "the skill was never triggered: precision = tp / (tp + fp) "
                                                   "is 0/0"),
        "recall": proportion(c.tp, c.tp + c.fn, "no counted run of a should-trigger query: recall = tp / (tp + fn) "
                                                "is 0/0"),
        "specificity": proportion(c.tn, c.tn + c.fp, "no counted run of a should-not-trigger query: "
                                                     "specificity = tn / (tn + fp) is 0/0"),
        "f1": f1_score(c),
    }


def query_row(query: TriggerQuery, observations: list[Observation]) -> dict[str, Any]:
    """One query's detail: trigger rate over its counted runs, rivals that fired, excluded runs with reasons."""
    counted = [o for o in observations if o.status == COUNTED]
    hits = sum(o.triggered for o in counted)
    rivals: dict[str, int] = {}
    instead: dict[str, int] = {}
    for obs in counted:
        for name in obs.rivals:
            rivals[name] = rivals.get(name, 0) + 1
            if not obs.triggered:
                instead[name] = instead.get(name, 0) + 1
    rate = proportion(hits, len(counted), "no run of this query could be counted")
    return {
        "id": query.id, "query": query.query, "should_trigger": query.should_trigger,
        "runs_requested": len(observations), "runs_counted": len(counted), "triggers": hits,
        "trigger_rate": rate["value"], "trigger_rate_ci": rate["ci"],
        **({"trigger_rate_reason": rate["reason"]} if "reason" in rate else {}),
        "correct_runs": sum(o.triggered == query.should_trigger for o in counted),
        "rivals_fired": rivals, "rival_fired_instead": instead,
        "excluded": [{"run": i + 1, "reason": o.reason} for i, o in enumerate(observations) if o.status != COUNTED],
        "runs": [o.to_json() for o in observations],
    }


def summary(queries: list[TriggerQuery], by_query: dict[str, list[Observation]]) -> dict[str, Any]:
    """Confusion, metrics and per-query rows of one description variant over `queries`."""
    pairs = [(q, o) for q in queries for o in by_query[q.id]]
    table = confusion(pairs)
    counted = sum(o.status == COUNTED for _, o in pairs)
    return {"queries": len(queries), "runs_requested": len(pairs), "runs_counted": counted,
            "runs_excluded": len(pairs) - counted, "confusion": table.to_json(), **metrics(table),
            "per_query": [query_row(q, by_query[q.id]) for q in queries]}
