"""Threshold gating: each failed threshold with its value and the evals that caused it; regressions too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LABELS = {
    "min_pass_rate": ("pass rate", ">="),
    "max_avg_tokens": ("avg tokens", "<="),
    "max_avg_duration_seconds": ("avg duration (s)", "<="),
    "min_improvement_ratio": ("improvement ratio", ">="),
}


@dataclass
class GateFailure:
    """One reason the gate fails."""

    check: str
    value: Any
    limit: Any
    evals: list[Any] = field(default_factory=list)

    def describe(self) -> str:
        evals = f" (evals: {', '.join(str(e) for e in self.evals)})" if self.evals else ""
        if self.check == "regressions":
            return f"regressions: {len(self.evals)} eval(s) passed in the previous iteration and fail now{evals}"
        if self.check == "ungraded":
            return (f"ungraded: {len(self.evals)} eval(s) have no graded assertion, so nothing shows the skill "
                    "passes them (plain-text expectations need `llm_grader` in the config; --allow-ungraded "
                    f"accepts this){evals}")
        label, op = LABELS[self.check]
        return f"{self.check}: {label} {_show(self.value)} is not {op} {_show(self.limit)}{evals}"

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "value": self.value, "limit": self.limit, "evals": self.evals,
                "message": self.describe()}


def _show(value: Any) -> str:
    return "n/a" if value is None else f"{value:g}" if isinstance(value, (int, float)) else str(value)


def summary_value(benchmark: dict[str, Any], name: str) -> Any:
    ws = benchmark["summary"].get("with_skill") or {}
    key = {"min_pass_rate": "pass_rate", "max_avg_tokens": "avg_tokens",
           "max_avg_duration_seconds": "avg_duration_seconds"}.get(name)
    return ws.get(key) if key else benchmark["summary"].get("improvement_ratio")


def culprits(benchmark: dict[str, Any], name: str, limit: float) -> list[Any]:
    """The evals that push a threshold over: each eval judged against the same limit."""
    out = []
    for item in benchmark["per_eval"]:
        ws, base = item["with_skill"], item.get("baseline") or {}
        if name == "min_pass_rate":
            bad = ws["pass_rate"] is not None and ws["pass_rate"] < limit
        elif name == "max_avg_tokens":
            bad = ws["avg_tokens"] is not None and ws["avg_tokens"] > limit
        elif name == "max_avg_duration_seconds":
            bad = ws["avg_duration_seconds"] is not None and ws["avg_duration_seconds"] > limit
        else:
            bad = (ws["pass_rate"] is not None and base.get("pass_rate") is not None
                   and ws["pass_rate"] < limit * base["pass_rate"])
        if bad:
            out.append(item["eval_id"])
    return out


def ungraded_evals(benchmark: dict[str, Any]) -> list[Any]:
    """Evals whose completed trials have no graded assertion (files without `graded`: a null with-skill pass rate
    beside completed trials)."""
    out = []
    for item in benchmark["per_eval"]:
        ws = item.get("with_skill") or {}
        graded = item.get("graded")
        if graded is None:
            graded = not (ws.get("trials_completed") and ws.get("pass_rate") is None)
        if not graded:
            out.append(item["eval_id"])
    return out


def evaluate(benchmark: dict[str, Any], comparison: dict[str, Any] | None = None, *,
             allow_regressions: bool = False, allow_ungraded: bool = False) -> list[GateFailure]:
    """An eval without a graded assertion (unless allowed), every failed threshold (a value equal to its
    threshold passes; null = not evaluated), then regressions."""
    failures = []
    ungraded = ungraded_evals(benchmark)
    if ungraded and not allow_ungraded:
        failures.append(GateFailure("ungraded", len(ungraded), 0, ungraded))
    thresholds = benchmark.get("thresholds") or {}
    for name, met in benchmark["thresholds_met"].items():
        if met is False:
            limit = thresholds.get(name)
            failures.append(GateFailure(name, summary_value(benchmark, name), limit, culprits(benchmark, name, limit)))
    if comparison and comparison["regressions"] and not allow_regressions:
        failures.append(GateFailure("regressions", len(comparison["regressions"]), 0,
                                    [r["eval_id"] for r in comparison["regressions"]]))
    return failures
