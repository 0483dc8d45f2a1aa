"""Write a run's reports (markdown, HTML, JSON) and refresh the folder's index.html."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.report import naming
from popkit_bench.report.index import write_index
from popkit_bench.report.load import load_run_data
from popkit_bench.report.model import build_model, public
from popkit_bench.report.model_source import model_source
from popkit_bench.report.render import render_html, render_markdown, render_summary_markdown
from popkit_bench.report.trials_view import Limits
from popkit_bench.report.verdict import verdict_sentence
from popkit_shared.redact import Redactor

__all__ = ["FORMATS", "verdict_sentence", "verdict_line", "write_reports", "summary_markdown", "normalise_formats"]

FORMATS = ("markdown", "html", "json")


def normalise_formats(formats: tuple[str, ...] | list[str]) -> list[str]:
    """`all` -> every format; `md` is accepted for markdown; unknown names are an InputError."""
    chosen: list[str] = []
    for name in formats:
        name = {"md": "markdown", "htm": "html"}.get(name, name)
        if name == "all":
            chosen += [f for f in FORMATS if f not in chosen]
        elif name in FORMATS:
            if name not in chosen:
                chosen.append(name)
        else:
            raise InputError(f"unknown report format {name!r}", expected="markdown, html, json or all")
    return chosen or list(FORMATS)


def finite(data: Any) -> Any:
    """The same structure with NaN and infinities replaced by null (JSON has neither)."""
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [finite(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


def json_report(model: dict[str, Any], analysis: dict[str, Any] | None, run_json: dict[str, Any] | None,
                records: list[dict[str, Any]], redactor: Redactor | None = None) -> dict[str, Any]:
    """The JSON report: the formatted report model, the analysis, run.json and every trial record (the raw
    parts redacted like the model; the model's `redaction` counts what its views held)."""
    clean = (redactor or Redactor()).redact_data
    return {
        "kind": "popkit-bench-report",
        "schema": 1,
        "model_source": model.get("model_source"),
        "report": finite(public(model)),
        "analysis": finite(clean(analysis)),
        "run": finite(clean(run_json)),
        "trials": finite(clean(records)),
    }


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_reports(
    run_dir: Path,
    analysis: dict[str, Any] | None,
    output_dir: Path,
    formats: tuple[str, ...] = ("all",),
    *,
    limits: Limits | None = None,
    redact: tuple[str, ...] = (),
) -> list[Path]:
    """Write `<task-id>-<date>.md/.html/.json` (suites: the run folder's name) and index.html; return the paths.

    analysis None means the run could not be analysed: the report then says what is missing and still lists
    the trials and exclusions. A name taken by another run's report gets a suffix (-2, -3, ...).
    `redact`: the user's extra secret patterns (RE2 syntax), on top of the built-in ones.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError("not a run folder", file=run_dir, expected="a folder with run.json and results.jsonl")
    chosen = normalise_formats(formats)
    run = load_run_data(run_dir)
    model = build_model(run, analysis, limits, Redactor(redact))
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    meta = model["meta"]
    stem = naming.choose_stem(output_dir, f"{naming.safe_name(meta['subject'])}-{meta['date']}", meta["run_key"])
    model["files"] = {kind: f"{stem}{naming.EXTENSIONS[kind]}" for kind in chosen}
    paths = []
    for kind in chosen:
        path = output_dir / model["files"][kind]
        if kind == "markdown":
            _write(path, render_markdown(model))
        elif kind == "html":
            _write(path, render_html(model))
        else:
            data = json_report(model, analysis, run.run_json, run.records, Redactor(redact))
            indent = 1 if len(run.records) <= 1000 else None  # big runs: compact (and fast) JSON
            _write(path, json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False) + "\n")
        paths.append(path)
    paths.append(write_index(output_dir))
    return paths


def summary_markdown(run_dir: Path, analysis: dict[str, Any] | None) -> str:
    """The verdict and the summary table in markdown (for a CI job summary)."""
    run = load_run_data(Path(run_dir))
    return render_summary_markdown(build_model(run, analysis, Limits(detailed_trials=0, conversations=0)))


def verdict_line(run_dir: Path, analysis: dict[str, Any] | None) -> str:
    """The console's verdict line, tagged when the numbers come from the scripted model."""
    return f"Verdict{model_source(load_run_data(Path(run_dir))).tag()}: {verdict_sentence(analysis)}"
