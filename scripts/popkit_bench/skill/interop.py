"""Files Anthropic's skill-creator tools read, written beside ours so users can move between the two.

- `skill-creator-benchmark.json`: skill-creator's documented benchmark.json schema (`metadata`, `runs[]` with a
  nested `result`, `run_summary` with mean/stddev/min/max per configuration and a `delta` of signed strings,
  `notes`). Our own `benchmark.json` keeps the skill-forge seed's schema.
- grading.json fields its aggregator reads: `expectations[]` {text, passed, evidence}, `summary`
  {passed, failed, total, pass_rate}, `timing.total_duration_seconds`, `execution_metrics`. A pass rate that
  cannot be computed (nothing graded) is left out, never written as 0 or null.

An iteration run with `skill run --arms`: its first treatment arm's runs are written as configuration
`with_skill` and its baseline arm's as `without_skill` (skill-creator knows only those names); the other
treatment arms are left out and named in `notes` (benchmark.json `arms` has them).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from popkit_bench.skill.arms import read_roles
from popkit_bench.skill.jsonio import write_json
from popkit_bench.skill.layout import BASELINE_CONFIGS, WITH_CONFIGS

CREATOR_BENCHMARK = "skill-creator-benchmark.json"
METRICS = ("pass_rate", "time_seconds", "tokens")


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _run_entry(run: Path, eval_id: Any, eval_name: str, config: str) -> dict[str, Any] | None:
    """One `runs[]` item from a graded run folder (excluded trials have no grading.json and are left out)."""
    grading = _read(run / "grading.json")
    if not grading:
        return None
    timing, summary = _read(run / "timing.json"), grading.get("summary") or {}
    execution = grading.get("execution_metrics") or {}
    seconds = timing.get("total_duration_seconds", (grading.get("timing") or {}).get("total_duration_seconds"))
    number = run.name.split("-", 1)[-1]
    return {
        "eval_id": eval_id, "eval_name": eval_name, "configuration": config,
        "run_number": int(number) if number.isdigit() else 1,
        "result": {"pass_rate": summary.get("pass_rate"), "passed": summary.get("passed"),
                   "failed": summary.get("failed"), "total": summary.get("total"), "time_seconds": seconds,
                   "tokens": timing.get("total_tokens"), "tool_calls": execution.get("total_tool_calls"),
                   "errors": execution.get("errors_encountered")},
        "expectations": [{"text": e.get("text"), "passed": e.get("passed"), "evidence": e.get("evidence")}
                         for e in grading.get("expectations") or [] if isinstance(e, dict)],
        "notes": [] if summary.get("pass_rate") is not None else ["no expectation was graded: no pass rate"],
    }


def configurations(iteration: Path) -> dict[str, str]:
    """{run folder name: skill-creator configuration}: the known names as they are, or with --arms the gated
    treatment arm as with_skill and the baseline arm as without_skill."""
    roles = read_roles(iteration)
    if roles is None:
        return {name: name for name in WITH_CONFIGS + BASELINE_CONFIGS}
    return {roles.gated: WITH_CONFIGS[0], roles.baseline: BASELINE_CONFIGS[0]}


def collect_runs(iteration: Path) -> list[dict[str, Any]]:
    """Every graded run of an iteration folder as skill-creator `runs[]` items."""
    runs = []
    names = configurations(iteration)
    for folder in sorted(p for p in iteration.glob("eval-*") if p.is_dir()):
        meta = _read(folder / "eval_metadata.json")
        eval_id = meta.get("eval_id", folder.name[len("eval-"):])
        name = str(meta.get("eval_name") or folder.name)
        for config in sorted((p for p in folder.iterdir() if p.is_dir() and p.name in names),
                             key=lambda p: (names[p.name], p.name)):
            for run in sorted(config.glob("run-*")):
                entry = _run_entry(run, eval_id, name, names[config.name])
                if entry is not None:
                    runs.append(entry)
    return runs


def stats(values: list[Any]) -> dict[str, float | None]:
    """mean, sample stddev (null below 2 values), min, max over the numbers given; all null when none."""
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not numbers:
        return {"mean": None, "stddev": None, "min": None, "max": None, "n": 0}
    mean = sum(numbers) / len(numbers)
    sd = math.sqrt(sum((v - mean) ** 2 for v in numbers) / (len(numbers) - 1)) if len(numbers) > 1 else None
    return {"mean": round(mean, 4), "stddev": None if sd is None else round(sd, 4),
            "min": round(min(numbers), 4), "max": round(max(numbers), 4), "n": len(numbers)}


def run_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per configuration: pass_rate, time_seconds, tokens stats; `delta` = skill minus baseline as signed strings."""
    configs = list(dict.fromkeys(r["configuration"] for r in runs))
    out: dict[str, Any] = {c: {m: stats([r["result"][m] for r in runs if r["configuration"] == c]) for m in METRICS}
                           for c in configs}
    skill = next((c for c in WITH_CONFIGS if c in out), None)
    base = next((c for c in BASELINE_CONFIGS if c in out), None)
    delta = {}
    for metric, digits in (("pass_rate", 2), ("time_seconds", 1), ("tokens", 0)):
        a = (out.get(skill) or {}).get(metric, {}).get("mean") if skill else None
        b = (out.get(base) or {}).get(metric, {}).get("mean") if base else None
        delta[metric] = f"{a - b:+.{digits}f}" if a is not None and b is not None else None
    out["delta"] = delta
    return out


def arms_notes(bench: dict[str, Any]) -> list[str]:
    """With --arms: which arms are with_skill and without_skill here, and which treatment arms are left out."""
    arms = bench.get("arms")
    if not isinstance(arms, dict):
        return []
    others = [t["arm"] for t in arms.get("treatments") or [] if not t.get("gated")]
    note = (f"arms file: with_skill is arm {arms.get('gated')!r}, without_skill is the baseline arm "
            f"{(arms.get('baseline') or {}).get('arm')!r}")
    return [note + (f"; treatment arm(s) {', '.join(others)} are in benchmark.json `arms`, not here" if others else "")]


def write_creator_benchmark(iteration: Path, bench: dict[str, Any], skill_path: str | None = None) -> Path:
    """skill-creator's benchmark.json schema for this iteration, as `skill-creator-benchmark.json`."""
    runs = collect_runs(iteration)
    per_config = [r["run_number"] for r in runs]
    source = bench.get("model_source") or {}
    models = sorted({str(m) for t in iteration.glob("eval-*/*/run-*/trial.json") if (m := _read(t).get("model"))})
    data = {
        "metadata": {
            "skill_name": bench.get("skill_name"), "skill_path": skill_path,
            "executor_model": "scripted model (rehearsal)" if source.get("kind") == "scripted"
            else ", ".join(models) or None,
            "analyzer_model": None, "timestamp": bench.get("timestamp"),
            "evals_run": [p["eval_id"] for p in bench.get("per_eval") or []],
            "runs_per_configuration": max(per_config) if per_config else 0,
            "written_by": "popkit-bench (skill-creator's benchmark.json schema; ours is benchmark.json)",
        },
        "runs": runs,
        "run_summary": run_summary(runs),
        "notes": list(bench.get("notes") or []) + ([source["label"]] if source.get("label") else [])
        + arms_notes(bench),
    }
    path = iteration / CREATOR_BENCHMARK
    write_json(path, data)
    return path
