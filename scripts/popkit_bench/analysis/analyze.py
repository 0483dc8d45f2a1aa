"""Top level: trial records (+ run.json) -> the analysis.json dict (schema: docs/analysis-schema.md)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from popkit_bench.analysis import power as pw
from popkit_bench.analysis.arms import arm_names, choose_arms, task_ids, trial_counts
from popkit_bench.analysis.bootstrap import DEFAULT_RESAMPLES, resampled_means
from popkit_bench.analysis.compare import ArmSample, compare_metric
from popkit_bench.analysis.exclusions import split
from popkit_bench.analysis.io import read_run_folder, validate_record, write_analysis
from popkit_bench.analysis.metrics_catalog import VERIFY_PREFIX, metric_order, spec_for
from popkit_bench.analysis.multiplicity import apply_holm
from popkit_bench.analysis.notes import general_notes, sufficiency
from popkit_bench.analysis.nulls import scrub
from popkit_bench.analysis.outcomes import outcomes
from popkit_bench.analysis.samples import ArmTable, build_tables
from popkit_bench.analysis.suite import paired_metric
from popkit_bench.analysis.summary import summarize
from popkit_bench.analysis.validity import checklist

SCHEMA = 1
LEVEL = 0.95


def analyze_run(run_dir: str | Path, *, baseline: str | None = None, treatment: str | None = None,
                target_effect: float | None = None, seed: int = 0, alpha: float = 0.05,
                write: bool = True) -> dict[str, Any]:
    """Read RUN_DIR/results.jsonl (+ run.json), analyse, and write RUN_DIR/analysis.json."""
    records, run_info = read_run_folder(run_dir)
    analysis = analyze_records(records, baseline=baseline, treatment=treatment, run_info=run_info,
                               target_effect=target_effect, seed=seed, alpha=alpha)
    if write:
        write_analysis(run_dir, analysis)
    return analysis


def analyze_records(records: list[dict[str, Any]], *, baseline: str | None = None, treatment: str | None = None,
                    run_info: dict[str, Any] | None = None, target_effect: float | None = None, seed: int = 0,
                    alpha: float = 0.05) -> dict[str, Any]:
    """The analysis.json dict of a list of results.jsonl records (JSON-safe: no NaN or infinity)."""
    for index, record in enumerate(records, start=1):
        validate_record(record, index=index)
    run_info = run_info or {}
    kept, usable, exclusions = split(records)
    arms_all = arm_names(run_info, kept)
    base, treatments = choose_arms(arms_all, run_info, baseline, treatment)
    if base not in arms_all:
        arms_all = [base] + arms_all
    tasks = task_ids(run_info, kept)
    tables = build_tables(usable)
    trials, per_task_trials, requested_source = trial_counts(run_info, kept, tasks, arms_all)
    exclusions.update(_null_metrics(tables))
    boots = {key: resampled_means(t.columns, seed=seed, key=f"{key[0]}\x1f{key[1]}") for key, t in tables.items()}
    notes: list[str] = []
    comparisons = [
        _comparison(base, treat, tasks, tables, boots, kept, trials, alpha, seed, target_effect, notes)
        for treat in treatments
    ]
    notes[:0] = general_notes(base, treatments, tables, tasks, exclusions, trials)
    first = comparisons[0] if comparisons else None
    unit = first["unit"] if first else "trial"
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": "popkit-bench-analysis",
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_id": run_info.get("run_id") or next((r.get("run_id") for r in kept if r.get("run_id")), None),
        "alpha": alpha,
        "confidence_level": LEVEL,
        "seed": seed,
        "bootstrap_resamples": DEFAULT_RESAMPLES,
        "target_effect_pct": target_effect,
        "unit": unit,
        "arms": {"baseline": base, "treatments": treatments, "all": arms_all, "trials": trials,
                 "requested_source": requested_source},
        "tasks": [{"id": t, "trials": per_task_trials[t]} for t in tasks],
        "exclusions": exclusions,
        "sufficiency": sufficiency(base, treatments, trials, usable),
        "outcomes": outcomes(tables, tasks, arms_all, base, LEVEL),
        "comparisons": comparisons,
        "baseline": base,
        "treatment": first["treatment"] if first else None,
        "metrics": first["metrics"] if first else {},
        "summary": first["summary"] if first else summarize({}, alpha=alpha, unit=unit),
        "validity": first["validity"] if first else None,
        "power": first["power"] if first else None,
    }
    if first is None:
        result["validity_reason"] = result["power_reason"] = "no treatment arm to compare"
    if first and "suite" in first:
        result["suite"] = first["suite"]
    result["notes"] = notes
    return scrub(result)


def _null_metrics(tables: dict[tuple[str, str], ArmTable]) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[str, int]] = {}
    for (_, arm), table in sorted(tables.items()):
        for metric, counter in table.null_reasons.items():
            total = sum(counter.values())
            arm_counts = counts.setdefault(arm, {})
            arm_counts[metric] = arm_counts.get(metric, 0) + total
            for why, n in counter.items():
                reasons.setdefault(metric, {})
                reasons[metric][why] = reasons[metric].get(why, 0) + n
    return {"null_metrics": counts, "null_metric_reasons": reasons}


# ---------------------------------------------------------------- one comparison

def _sample(tables, boots, task: str, arm: str, metric: str) -> ArmSample:
    table = tables.get((task, arm))
    if table is None:
        return ArmSample(arm, np.array([], dtype=float), 0, None)
    return ArmSample(arm, table.values(metric), table.missing(metric), boots.get((task, arm), {}).get(metric))


def _task_metrics(base: str, treat: str, task: str, tables, boots, alpha: float) -> dict[str, dict[str, Any]]:
    names: set[str] = set()
    for arm in (base, treat):
        if (task, arm) in tables:
            names.update(tables[(task, arm)].columns)
    metrics = {}
    for name in metric_order(names):
        metrics[name] = compare_metric(spec_for(name), _sample(tables, boots, task, base, name),
                                       _sample(tables, boots, task, treat, name), LEVEL)
    apply_holm(metrics, alpha)
    return metrics


def _comparison(base: str, treat: str, tasks: list[str], tables, boots, records, trials, alpha: float, seed: int,
                target: float | None, notes: list[str]) -> dict[str, Any]:
    present = [t for t in tasks if (t, base) in tables or (t, treat) in tables]
    per_task = {}
    for task in present:
        metrics = _task_metrics(base, treat, task, tables, boots, alpha)
        per_task[task] = {"metrics": metrics, "summary": summarize(metrics, alpha=alpha, unit="trial")}
    out: dict[str, Any] = {"baseline": base, "treatment": treat}
    if len(present) <= 1:
        metrics = per_task[present[0]]["metrics"] if present else {}
        out.update(unit="trial", metrics=metrics)
        out["power"] = _unpaired_power(metrics, tables, present, base, treat, alpha, target)
    else:
        metrics, suite, power = _suite(base, treat, present, tables, per_task, alpha, seed, target, notes)
        out.update(unit="task", metrics=metrics)
        out["power"] = power
        out["suite"] = suite
    out["summary"] = summarize(out["metrics"], alpha=alpha, unit=out["unit"])
    out["validity"] = checklist(metrics=out["metrics"], tables=tables, tasks=present or tasks, base=base,
                                treat=treat, records=records, trials=trials, alpha=alpha)
    out["per_task"] = per_task
    return out


def _power_header(unit: str, alpha: float, target: float | None) -> dict[str, Any]:
    method = ("normal approximation: n per arm = (z_{1-a/2} + z_{1-b})^2 (sd_b^2 + sd_t^2) / delta^2; "
              "*_t: t quantiles" if unit == "trial" else
              "paired over tasks: n_tasks = (z_{1-a/2} + z_{1-b})^2 var(d) / delta^2; *_t: t quantiles")
    return {"alpha": alpha, "power": pw.POWER, "unit": unit, "method": method, "target_effect_pct": target}


def _unpaired_power(metrics, tables, present, base, treat, alpha, target) -> dict[str, Any]:
    out = _power_header("trial", alpha, target)
    rows = {}
    for name, entry in metrics.items():
        task = present[0]
        xb = tables[(task, base)].values(name) if (task, base) in tables else np.array([])
        xt = tables[(task, treat)].values(name) if (task, treat) in tables else np.array([])
        row = pw.unpaired_entry(xb, xt, target, alpha, binary=entry["kind"] == "binary", scale=entry["scale"],
                                direction=entry["direction"])
        row["interpretation"] = pw.interpretation(row, bool(entry.get("significant")))
        rows[name] = row
    out["metrics"] = rows
    return out


def _suite(base, treat, present, tables, per_task, alpha, seed, target, notes):
    names: set[str] = set()
    for task in present:
        for arm in (base, treat):
            if (task, arm) in tables:
                names.update(n for n in tables[(task, arm)].columns if not n.startswith(VERIFY_PREFIX))
    metrics: dict[str, Any] = {}
    rows: dict[str, Any] = {}
    power = _power_header("task", alpha, target)
    power["metrics"] = {}
    excluded: dict[str, str] = {}
    for task in present:
        for arm in (base, treat):
            if (task, arm) not in tables:
                excluded[task] = f"no usable trials in arm {arm}"
    for name in metric_order(names):
        used, mb, mt = [], [], []
        for task in present:
            if task in excluded:
                continue
            xb, xt = tables[(task, base)].values(name), tables[(task, treat)].values(name)
            if len(xb) and len(xt):
                used.append(task)
                mb.append(xb.mean())
                mt.append(xt.mean())
        spec = spec_for(name)
        entry, row = paired_metric(spec, base, treat, used, np.array(mb), np.array(mt), seed=seed, level=LEVEL)
        entry["tasks_used"] = len(used)
        metrics[name] = entry
        rows[name] = row
        power["metrics"][name] = pw.paired_entry(np.array(mb), np.array(mt), target, alpha, scale=entry["scale"],
                                                 direction=spec.direction)
    apply_holm(metrics, alpha)
    for name, row in rows.items():
        for task_row in row["per_task"]:
            trial_level = per_task[task_row["task"]]["metrics"].get(name, {})
            task_row["significant"] = bool(trial_level.get("significant"))
            task_row["better"] = trial_level.get("better")
    for name, entry in metrics.items():
        power["metrics"][name]["interpretation"] = pw.interpretation(
            power["metrics"][name], bool(entry.get("significant")), label="tasks")
    if excluded:
        notes.extend(f"task {t} left out of the paired analysis: {why}" for t, why in excluded.items())
    used_tasks = [t for t in present if t not in excluded]
    suite = {"n_tasks": len(used_tasks), "tasks": used_tasks, "excluded_tasks": excluded, "metrics": rows}
    return metrics, suite, power


