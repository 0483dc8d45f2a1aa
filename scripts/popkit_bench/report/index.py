"""The landing page: every run report in a folder (from its .json), newest first, with trend charts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from popkit_bench.report import fmt, naming, svg
from popkit_bench.report.model import REPORT_KIND, TREND_LABELS, TREND_METRICS, TREND_UNITS
from popkit_bench.report.render import _tick, render_index

INDEX_NAME = "index.html"
ARM_COLOURS = ("#0969da", "#8250df", "#bf3989", "#1b7c83")


def read_reports(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The `report` part of every popkit-bench JSON report in folder, and the files skipped (with why)."""
    reports, skipped = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            skipped.append(f"{path.name}: unreadable ({exc.__class__.__name__})")
            continue
        report = data.get("report") if isinstance(data, dict) else None
        if not isinstance(report, dict) or report.get("kind") != REPORT_KIND:
            continue  # analysis.json, benchmark.json and other files are not run reports
        report = dict(report)
        report["_json"] = path.name
        report["_model_source"] = _source(report, data.get("run"))
        reports.append(report)
    return reports, skipped


def _source(report: dict[str, Any], run_json: Any) -> dict[str, Any]:
    """The report's model source; reports written before it was recorded: from their run.json copy."""
    if isinstance(report.get("model_source"), dict):
        return report["model_source"]
    if not isinstance(run_json, dict):
        return {"kind": "unknown"}
    return {"kind": "scripted" if run_json.get("rehearsal") else "real"}


def _sort_key(report: dict[str, Any]) -> tuple[str, str]:
    meta = report.get("meta") or {}
    return (str(meta.get("created_at") or meta.get("date") or ""), str(report.get("_json")))


def entry(report: dict[str, Any], folder: Path) -> dict[str, Any]:
    """One row of the index."""
    meta = report.get("meta") or {}
    source = report.get("_model_source") or {}
    stem = Path(report["_json"]).stem
    links = {"json": report["_json"]}
    for kind, ext in naming.EXTENSIONS.items():
        path = folder / f"{stem}{ext}"
        if kind != "json" and path.is_file() and naming.owner(path) == meta.get("run_key"):
            links[kind] = path.name
    return {
        "title": str(meta.get("subject") or meta.get("run_id") or report["_json"]),
        "date": str(meta.get("date") or ""),
        "created_at": str(meta.get("created_at") or ""),
        "run_id": str(meta.get("run_id") or ""),
        "tasks": ", ".join(str(t) for t in meta.get("tasks") or []),
        "arms": ", ".join(str(a) for a in meta.get("arms") or []),
        "trials": str(meta.get("trial_count", "")),
        "verdict": str(report.get("verdict") or ""),
        "verdict_word": str(report.get("verdict_word") or ""),
        "model_kind": str(source.get("kind") or "unknown"),
        "model_label": str(source.get("label") or ""),
        "links": links,
    }


def trend_charts(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per task: one chart per key metric with each arm's mean across runs (oldest to newest)."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for report in sorted(reports, key=_sort_key):
        for task in (report.get("trends") or {}):
            by_task.setdefault(str(task), []).append(report)
    out = []
    for task, runs in sorted(by_task.items()):
        labels = [str((r.get("meta") or {}).get("date") or "?") for r in runs]
        arms: list[str] = []
        for report in runs:
            for metric in TREND_METRICS:
                for arm in ((report.get("trends") or {}).get(task) or {}).get(metric) or {}:
                    if arm not in arms:
                        arms.append(str(arm))
        charts = []
        for metric in TREND_METRICS:
            series = []
            for index, arm in enumerate(arms):
                values = []
                for report in runs:
                    value = ((((report.get("trends") or {}).get(task) or {}).get(metric) or {}).get(arm))
                    values.append(float(value) if fmt.is_number(value) else None)
                baseline = index == 0
                colour = svg.NEUTRAL if baseline else ARM_COLOURS[(index - 1) % len(ARM_COLOURS)]
                series.append(svg.TrendSeries(arm, values, colour, dashed=baseline))
            if any(v is not None for s in series for v in s.values):
                unit = TREND_UNITS[metric]
                chart = svg.TrendChart(TREND_LABELS[metric], labels, series)
                charts.append(svg.trend_plot(chart, lambda v, unit=unit: _tick(v, unit)))
        legend = [{"arm": arm, "colour": svg.NEUTRAL if i == 0 else ARM_COLOURS[(i - 1) % len(ARM_COLOURS)]}
                  for i, arm in enumerate(arms)]
        out.append({"task": task, "runs": len(runs), "charts": charts, "legend": legend})
    return out


def write_index(folder: Path) -> Path:
    """(Re)write folder/index.html from the JSON reports found there."""
    reports, skipped = read_reports(folder)
    reports.sort(key=_sort_key, reverse=True)
    entries = [entry(r, folder) for r in reports]
    path = folder / INDEX_NAME
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_index(entries, trend_charts(reports), skipped), encoding="utf-8")
    tmp.replace(path)
    return path
