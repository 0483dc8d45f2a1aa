"""Description A/B on the same queries: McNemar's exact test on per-query outcomes, recall and precision
differences with intervals. Differences are `skill - compare` (the config's skill minus --compare's)."""

from __future__ import annotations

from typing import Any

from popkit_bench.analysis.proportions import mcnemar_exact_p, newcombe_interval, newcombe_paired_interval
from popkit_bench.skill.triggers.detect import COUNTED, Observation
from popkit_bench.skill.triggers.queries import TriggerQuery
from popkit_bench.skill.triggers.stats import confusion, interval

ALPHA = 0.05


def query_outcome(query: TriggerQuery, observations: list[Observation]) -> bool | None:
    """Correct (triggered exactly when it should) in more than half of the counted runs: True; in fewer than
    half: False; exactly half, or no counted run: None (the query then leaves the paired test)."""
    counted = [o for o in observations if o.status == COUNTED]
    right = sum(o.triggered == query.should_trigger for o in counted)
    if not counted or 2 * right == len(counted):
        return None
    return 2 * right > len(counted)


def mcnemar(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Exact McNemar on the queries both variants decided: b = only skill correct, c = only compare correct."""
    decided = [r for r in rows if r["skill_correct"] is not None and r["compare_correct"] is not None]
    b = sum(r["skill_correct"] and not r["compare_correct"] for r in decided)
    c = sum(r["compare_correct"] and not r["skill_correct"] for r in decided)
    out: dict[str, Any] = {"test": "McNemar exact (binomial test of b in b + c at 0.5, two-sided)",
                           "queries_paired": len(decided), "queries_undecided": len(rows) - len(decided),
                           "b_only_skill_correct": b, "c_only_compare_correct": c, "p_value": None}
    if b + c == 0:
        out["reason"] = "no discordant query: both descriptions were right (or wrong) on the same queries"
        out["verdict"] = "no difference seen"
        return out
    out["p_value"] = round(mcnemar_exact_p(b, c), 6)
    better = "skill" if b > c else "compare"
    out["verdict"] = (f"{better} is right on more queries (p={out['p_value']:.4g})" if out["p_value"] < ALPHA
                      else f"no significant difference (p={out['p_value']:.4g})")
    return out


def recall_difference(queries: list[TriggerQuery], skill: dict[str, list[Observation]],
                      other: dict[str, list[Observation]]) -> dict[str, Any]:
    """Recall skill - compare over paired runs (run k of a should-trigger query in both): Newcombe paired interval."""
    a = b = c = d = 0
    for query in (q for q in queries if q.should_trigger):
        for mine, theirs in zip(skill[query.id], other[query.id], strict=True):
            if mine.status != COUNTED or theirs.status != COUNTED:
                continue
            a, b, c, d = (a + (mine.triggered and theirs.triggered), b + (mine.triggered and not theirs.triggered),
                          c + (theirs.triggered and not mine.triggered), d + (not mine.triggered and not theirs.triggered))
    n = a + b + c + d
    if n == 0:
        return {"value": None, "ci": None, "pairs": 0, "reason": "no should-trigger run counted in both variants"}
    return {"value": round((b - c) / n, 6), "ci": interval(*newcombe_paired_interval(a, b, c, d)), "pairs": n,
            "method": "Newcombe paired (method 10) on runs paired by query and run number"}


def precision_difference(queries: list[TriggerQuery], skill: dict[str, list[Observation]],
                         other: dict[str, list[Observation]]) -> dict[str, Any]:
    """Precision skill - compare (different sets of triggered runs): Newcombe's hybrid score interval."""
    mine = confusion((q, o) for q in queries for o in skill[q.id])
    theirs = confusion((q, o) for q in queries for o in other[q.id])
    n_mine, n_theirs = mine.tp + mine.fp, theirs.tp + theirs.fp
    if n_mine == 0 or n_theirs == 0:
        which = "either" if n_mine == n_theirs == 0 else "skill" if n_mine == 0 else "compare"
        return {"value": None, "ci": None, "reason": f"precision is undefined for {which}: never triggered"}
    value = mine.tp / n_mine - theirs.tp / n_theirs
    return {"value": round(value, 6), "ci": interval(*newcombe_interval(theirs.tp, n_theirs, mine.tp, n_mine)),
            "method": "Newcombe hybrid score interval (independent samples of triggered runs)"}


def compare(queries: list[TriggerQuery], skill: dict[str, list[Observation]],
            other: dict[str, list[Observation]]) -> dict[str, Any]:
    """The paired comparison of two description variants over `queries`."""
    rows = []
    for query in queries:
        rows.append({"id": query.id, "should_trigger": query.should_trigger,
                     "skill_correct": query_outcome(query, skill[query.id]),
                     "compare_correct": query_outcome(query, other[query.id])})
    return {"per_query": rows, "mcnemar": mcnemar(rows),
            "recall_difference": recall_difference(queries, skill, other),
            "precision_difference": precision_difference(queries, skill, other)}
