"""A reader of skill-creator's documented files (its references/schemas.md: grading.json, timing.json,
benchmark.json), written from the documentation for our interop tests. It is strict where the documentation
is: every field it names must be there with the documented type."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SIGNED = re.compile(r"^[+-]\d+(\.\d+)?$")
CONFIGS = ("with_skill", "without_skill", "new_skill", "old_skill")


def _number(value: Any, where: str) -> float:
    assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{where}: not a number: {value!r}"
    return float(value)


def read_grading_run(run: Path) -> dict[str, Any]:
    """One run folder as skill-creator's aggregator input: grading.json (expectations, summary, timing) and
    timing.json (total_tokens). A pass rate, when present, must be a number."""
    grading = json.loads((run / "grading.json").read_text())
    for item in grading["expectations"]:
        assert isinstance(item["text"], str) and "passed" in item and "evidence" in item, item
    summary = grading["summary"]
    for key in ("passed", "failed", "total"):
        _number(summary[key], f"summary.{key}")
    pass_rate = _number(summary["pass_rate"], "summary.pass_rate") if "pass_rate" in summary else None
    seconds = _number(grading["timing"]["total_duration_seconds"], "timing.total_duration_seconds")
    timing = json.loads((run / "timing.json").read_text())
    tokens = _number(timing["total_tokens"], "timing.json total_tokens")
    metrics = grading.get("execution_metrics") or {}
    return {"pass_rate": pass_rate, "seconds": seconds, "tokens": tokens,
            "tool_calls": metrics.get("total_tool_calls"), "errors": metrics.get("errors_encountered")}


def read_workspace(iteration: Path) -> dict[str, list[dict[str, Any]]]:
    """config -> graded runs of an iteration folder (eval-*/<config>/run-*/grading.json)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for grading in sorted(iteration.glob("eval-*/*/run-*/grading.json")):
        config = grading.parent.parent.name
        out.setdefault(config, []).append(read_grading_run(grading.parent))
    return out


def read_benchmark(path: Path) -> dict[str, Any]:
    """skill-creator's benchmark.json: metadata, runs[] with a nested result, run_summary with mean/stddev per
    configuration and metric, delta as signed strings. Returns {config: {metric: mean}} and the delta."""
    data = json.loads(path.read_text())
    meta = data["metadata"]
    assert isinstance(meta["skill_name"], str) and isinstance(meta["timestamp"], str)
    assert isinstance(meta["evals_run"], list) and isinstance(meta["runs_per_configuration"], int)
    for run in data["runs"]:
        assert run["configuration"] in CONFIGS and isinstance(run["run_number"], int)
        assert isinstance(run["eval_name"], str) and "eval_id" in run
        result = run["result"]
        for key in ("pass_rate", "passed", "total", "time_seconds", "tokens", "errors"):
            assert key in result, key
    summary = data["run_summary"]
    means = {}
    for config in (c for c in summary if c in CONFIGS):
        means[config] = {}
        for metric in ("pass_rate", "time_seconds", "tokens"):
            block = summary[config][metric]
            assert "mean" in block and "stddev" in block
            means[config][metric] = block["mean"]
    delta = summary["delta"]
    for metric in ("pass_rate", "time_seconds", "tokens"):
        assert delta[metric] is None or SIGNED.match(delta[metric]), delta
    assert isinstance(data["notes"], list)
    return {"means": means, "delta": delta, "runs": data["runs"]}
