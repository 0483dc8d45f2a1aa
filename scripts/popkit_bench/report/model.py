"""The report model: every section of a report as plain data, numbers formatted once.

Markdown, HTML and JSON are all rendered from this one model, so their numbers agree. Keys starting with
an underscore carry raw values for the HTML charts and are left out of the JSON report.
"""

from __future__ import annotations

from datetime import datetime, timezone
from statistics import fmean
from typing import Any

from popkit_bench.report import (
    fmt,
    metric_view,
    outcomes_view,
    power_view,
    run_view,
    suite_view,
    trials_view,
    validity_view,
)
from popkit_bench.report.load import USABLE, RunData
from popkit_bench.report.model_source import model_source
from popkit_bench.report.verdict import comparisons, verdict_sentence
from popkit_shared.redact import Redactor

REPORT_KIND = "popkit-bench-report"
REPORT_SCHEMA = 1
TREND_METRICS = ("tokens_total", "duration_s", "cost_usd", "verification_pass_rate")
TREND_UNITS = {"tokens_total": "tokens", "duration_s": "s", "cost_usd": "USD", "verification_pass_rate": "fraction"}
TREND_LABELS = {"tokens_total": "Total tokens", "duration_s": "Duration", "cost_usd": "Cost",
                "verification_pass_rate": "Verification pass rate"}
KEY_METRIC_LABELS = ("Tokens", "Cost", "Duration", "Tool calls", "Pass rate")


def run_date(run: RunData, analysis: dict[str, Any] | None) -> str:
    """YYYY-MM-DD of the run (run.json created_at), else of the analysis, else today."""
    for stamp in ((run.run_json or {}).get("created_at"), (analysis or {}).get("generated_at")):
        if isinstance(stamp, str) and len(stamp) >= 10 and stamp[4] == "-":
            return stamp[:10]
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def run_key(run: RunData) -> str:
    """Identifies the run a report belongs to (so another run's report of the same name is not clobbered)."""
    created = (run.run_json or {}).get("created_at") or ""
    return f"{run.run_id}@{created}"


def metric_values(run: RunData, task_means: bool) -> dict[str, dict[str, list[float]]]:
    """metric -> arm -> the usable trials' values (or, for suites, each task's mean), in one pass."""
    groups: dict[tuple[str, str, str], list[float]] = {}
    for record in run.records:
        if record.get("status") not in USABLE or not isinstance(record.get("metrics"), dict):
            continue
        arm, task = str(record.get("arm")), str(record.get("task_id"))
        for metric, value in record["metrics"].items():
            if fmt.is_number(value):
                groups.setdefault((metric, arm, task), []).append(float(value))
    out: dict[str, dict[str, list[float]]] = {}
    for (metric, arm, _task), values in groups.items():
        out.setdefault(metric, {}).setdefault(arm, []).extend([fmean(values)] if task_means else values)
    return out


def trend_means(run: RunData) -> dict[str, dict[str, dict[str, float | None]]]:
    """task -> metric -> arm -> mean over usable trials (for the index's trend charts)."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for task in run.task_ids():
        for metric in TREND_METRICS:
            for arm in run.arm_names():
                values = [float(v) for r in run.records
                          if r.get("task_id") == task and r.get("arm") == arm and r.get("status") in USABLE
                          and fmt.is_number(v := (r.get("metrics") or {}).get(metric))]
                out.setdefault(task, {}).setdefault(metric, {})[arm] = round(fmean(values), 6) if values else None
    return out


def comparison_view(comp: dict[str, Any], run: RunData) -> dict[str, Any]:
    """One treatment arm vs the baseline: summary rows, checklist, power, details, suite tables, chart data."""
    baseline, treatment = str(comp.get("baseline") or "baseline"), str(comp.get("treatment") or "")
    unit = str(comp.get("unit") or "trial")
    metrics = {k: v for k, v in (comp.get("metrics") or {}).items() if isinstance(v, dict)}
    summary = comp.get("summary") or {}
    family = [m for m in summary.get("family") or [] if m in metrics]
    primary = family or [m for m, r in metrics.items() if r.get("family") == "primary"]
    secondary = [m for m in metrics if m not in primary]
    rows = {m: metric_view.summary_row(m, metrics[m], baseline, treatment) for m in metrics}
    details = [metric_view.detail(m, metrics[m], baseline, treatment) for m in primary + secondary]
    all_values = metric_values(run, unit == "task")
    for item in details:
        values = all_values.get(item["metric"], {})
        result = metrics[item["metric"]]
        item["_series"] = [
            {"arm": arm, "values": values.get(arm, []),
             "mean": metric_view.arm_stats(result, arm, key).get("mean"),
             "ci": metric_view.arm_stats(result, arm, key).get("ci")}
            for arm, key in ((baseline, "baseline"), (treatment, treatment))
        ]
        item["_tone"] = rows[item["metric"]]["tone"]
    overall = summary.get("overall_effect_size")
    return {
        "baseline": baseline,
        "treatment": treatment,
        "unit": unit,
        "title": f"{treatment} vs {baseline}",
        "verdict": str(summary.get("verdict") or ""),
        "significant": ", ".join(str(m) for m in summary.get("significant_metrics") or []) or "none",
        "better": ", ".join(str(m) for m in summary.get("better_metrics") or []) or "none",
        "worse": ", ".join(str(m) for m in summary.get("worse_metrics") or []) or "none",
        "overall_effect": (f"{overall:+.2f} ({summary.get('overall_effect_size_label')})"
                           if isinstance(overall, (int, float)) else "n/a"),
        "rows_primary": [rows[m] for m in primary],
        "rows_secondary": [rows[m] for m in secondary],
        "validity": validity_view.validity(comp.get("validity")),
        "power": power_view.power(comp.get("power"), metrics),
        "details": details,
        "suite": suite_view.suite_summary(comp) if unit == "task" else [],
        "per_task": suite_view.per_task(comp, primary) if unit == "task" else [],
    }


def build_model(run: RunData, analysis: dict[str, Any] | None,
                limits: trials_view.Limits | None = None, redactor: Redactor | None = None) -> dict[str, Any]:
    """The whole report as data, secrets redacted (`redaction` says how many; the default Redactor has the
    built-in patterns and this process's credential values)."""
    redactor = redactor or Redactor()
    model = redactor.redact_data(_model(run, analysis, limits))
    model["redaction"] = redactor.summary()
    return model


def _model(run: RunData, analysis: dict[str, Any] | None, limits: trials_view.Limits | None) -> dict[str, Any]:
    limits = limits or trials_view.Limits.for_size(len(run.records))
    tasks = run.task_ids()
    arms = run.arm_names()
    suite = len(tasks) > 1
    subject = run.path.name if suite else (tasks[0] if tasks else run.path.name)
    rows, details, omitted = trials_view.trial_views(run, limits)
    comps = [comparison_view(c, run) for c in comparisons(analysis)] if analysis else []
    source = model_source(run)
    return {
        "kind": REPORT_KIND,
        "schema": REPORT_SCHEMA,
        "meta": {
            "title": f"Benchmark report: {subject}",
            "subject": subject,
            "run_id": run.run_id,
            "run_key": run_key(run),
            "run_dir": str(run.path.resolve()),
            "created_at": str((run.run_json or {}).get("created_at") or ""),
            "date": run_date(run, analysis),
            "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tasks": tasks,
            "suite": suite,
            "arms": arms,
            "baseline": run.baseline_arm,
            "treatments": [a for a in arms if a != run.baseline_arm],
            "analysed": analysis is not None,
            "trial_count": len(run.records),
        },
        "model_source": source.to_json(),
        "verdict": verdict_sentence(analysis),
        "verdict_word": verdict_word(analysis),
        "missing": run_view.missing_data(run, analysis),
        "stopping": run_view.stopping(run),
        "notes": [str(n) for n in (analysis or {}).get("notes") or []],
        "arm_counts": run_view.arm_counts(run, analysis),
        "comparisons": comps,
        "outcomes": outcomes_view.outcomes(analysis),
        "exclusions": run_view.exclusions(run, analysis),
        "environment": run_view.environment(run, analysis),
        "key_metric_labels": list(KEY_METRIC_LABELS),
        "trial_rows": rows,
        "trials": details,
        "omitted": omitted,
        "trends": trend_means(run),
    }


def verdict_word(analysis: dict[str, Any] | None) -> str:
    """The verdict's badge: `insufficient data` whenever there is no verdict, else the analysis' word."""
    if analysis is None or (analysis.get("sufficiency") or {}).get("ok") is False:
        return "insufficient data"
    return str((analysis.get("summary") or {}).get("verdict") or "")


def public(model: Any) -> Any:
    """The model without its underscore keys (what the JSON report carries)."""
    if isinstance(model, dict):
        return {k: public(v) for k, v in model.items() if not str(k).startswith("_")}
    if isinstance(model, list):
        return [public(v) for v in model]
    return model
