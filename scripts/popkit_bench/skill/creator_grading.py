"""grading.json as both readers want it: ours, plus the fields skill-creator's aggregator reads."""

from __future__ import annotations

from typing import Any


def creator_grading(grading: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """grading.json with the fields skill-creator's aggregator reads, from the trial record's measurements."""
    out = dict(grading)
    summary = dict(out.get("summary") or {})
    if summary.get("pass_rate") is None:
        summary.pop("pass_rate", None)  # not computable: absent (their reader crashes on null)
    out["summary"] = summary
    metrics = record.get("metrics") or {}
    timing = dict(out.get("timing") or {})
    if timing.get("total_duration_seconds") is None and isinstance(metrics.get("duration_s"), (int, float)):
        timing["total_duration_seconds"] = round(metrics["duration_s"], 3)
    if isinstance(metrics.get("tokens_total"), (int, float)):
        timing["total_tokens"] = metrics["tokens_total"]
    out["timing"] = {k: v for k, v in timing.items() if v is not None}
    execution = {"tool_calls": dict(record.get("tools") or {})}
    for ours, theirs in (("tool_calls", "total_tool_calls"), ("errors", "errors_encountered"),
                         ("turns", "total_steps")):
        if isinstance(metrics.get(ours), (int, float)):
            execution[theirs] = metrics[ours]
    out["execution_metrics"] = execution
    return out
