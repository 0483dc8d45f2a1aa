"""Synthetic trial records in the results.jsonl shape (docs/formats.md), for analyzer tests and benchmarks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from records import build_record

# (metric, typical baseline value, kind): lognormal for sizes/times, Poisson for counts, Bernoulli for 0/1
BASE_METRICS: dict[str, tuple[float, str]] = {
    "tokens_total": (12000.0, "lognormal"),
    "tokens_input": (1500.0, "lognormal"),
    "tokens_output": (900.0, "lognormal"),
    "tokens_cache_read": (9000.0, "lognormal"),
    "tokens_cache_creation": (600.0, "lognormal"),
    "context_peak_tokens": (4000.0, "lognormal"),
    "cost_usd": (0.05, "lognormal"),
    "turns": (6.0, "poisson"),
    "tool_calls": (8.0, "poisson"),
    "errors": (1.0, "poisson"),
    "backtracking": (1.0, "poisson"),
    "duration_s": (40.0, "lognormal"),
    "duration_api_s": (20.0, "lognormal"),
    "success": (0.8, "bernoulli"),
    "questions_asked": (0.2, "poisson"),
}
COMMANDS = ("python -m unittest", "ruff check .")


def record(task_id: str, arm: str, trial: int, *, status: str = "completed", metrics: dict[str, Any] | None = None,
           verification: list[dict[str, Any]] | None = None, run_id: str = "synthetic", **extra: Any) -> dict[str, Any]:
    """One results.jsonl record (tests/records.py builds it over the typed definition)."""
    fields: dict[str, Any] = {
        "run_id": run_id, "status": status,
        "status_reason": None if status == "completed" else f"synthetic {status}", "attempts": 1,
        "metrics": metrics if metrics is not None else {}, "metrics_null_reasons": {},
        "verification": verification if verification is not None else [],
        "session_id": f"{task_id}-{arm}-{trial}", "claude_code_version": "2.1.330", "model": "claude-sonnet-4-5",
        "plugins_loaded": [] if arm == "baseline" else [arm],
        "purity": {"expected_plugin": arm, "ok": status != "contaminated"},
    }
    fields.update(extra)
    return build_record(task_id, arm, trial, **fields)


def draw_metrics(rng: np.random.Generator, scale: float = 1.0, sigma: float = 0.25,
                 success_rate: float = 0.8, commands: Iterable[str] = COMMANDS) -> tuple[dict[str, Any], list]:
    """Plausible metrics for one trial; `scale` multiplies sizes, times and counts (e.g. 0.8 = 20% fewer)."""
    metrics: dict[str, Any] = {}
    for name, (typical, kind) in BASE_METRICS.items():
        if kind == "lognormal":
            metrics[name] = float(typical * scale * rng.lognormal(0.0, sigma))
        elif kind == "poisson":
            metrics[name] = int(rng.poisson(typical * scale))
        else:
            metrics[name] = int(rng.random() < success_rate)
    metrics["tokens_total"] = round(metrics["tokens_total"])
    metrics["error_rate"] = metrics["errors"] / max(1, metrics["tool_calls"])
    checks = []
    for command in commands:
        passed = bool(metrics["success"]) or bool(rng.random() < 0.3)
        checks.append({"command": command, "exit_code": 0 if passed else 1, "passed": passed,
                       "duration_s": 0.4, "output_tail": "", "timed_out": False})
    metrics["verification_pass_rate"] = sum(c["passed"] for c in checks) / len(checks) if checks else None
    return metrics, checks


def make_records(*, tasks: Iterable[str] = ("demo",), arms: Iterable[str] = ("baseline", "popkit-ops"),
                 trials: int = 5, seed: int = 0, scale: dict[str, float] | None = None,
                 task_scale: dict[str, float] | None = None, success: dict[str, float] | None = None,
                 sigma: float = 0.25, statuses: dict[tuple[str, str, int], str] | None = None) -> list[dict[str, Any]]:
    """Records for every (task, arm, trial); scale/success per arm, task_scale per task, statuses by key."""
    rng = np.random.default_rng(seed)
    scale = scale or {}
    task_scale = task_scale or {}
    success = success or {}
    statuses = statuses or {}
    out = []
    for number in range(1, trials + 1):
        for task in tasks:
            for arm in arms:
                status = statuses.get((task, arm, number), "completed")
                metrics, checks = draw_metrics(rng, scale.get(arm, 1.0) * task_scale.get(task, 1.0), sigma,
                                               success.get(arm, 0.8))
                if status == "failed":
                    metrics["success"] = 0
                if status in ("timeout", "error", "interrupted"):
                    metrics = {k: None for k in metrics}
                    checks = []
                out.append(record(task, arm, number, status=status, metrics=metrics, verification=checks))
    return out


def run_info(tasks: Iterable[str], arms: Iterable[str], trials: int) -> dict[str, Any]:
    """A minimal run.json."""
    tasks, arms = list(tasks), list(arms)
    return {
        "schema": 1, "run_id": "synthetic", "trials_per_arm": trials,
        "trials_requested": {t: {a: trials for a in arms} for t in tasks},
        "arms": [{"name": a, "plugin_dirs": [], "plugin_name": None} for a in arms],
        "baseline_arm": "baseline" if "baseline" in arms else arms[0],
        "tasks": [{"id": t} for t in tasks],
    }


def write_run(path: Path, records: list[dict[str, Any]], info: dict[str, Any] | None = None) -> Path:
    """A run folder with results.jsonl (+ run.json when info is given)."""
    path.mkdir(parents=True, exist_ok=True)
    with open(path / "results.jsonl", "w", encoding="utf-8") as handle:
        for rec in records:
            handle.write(json.dumps(rec, allow_nan=False) + "\n")
    if info is not None:
        (path / "run.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return path
