"""Read a run folder (results.jsonl, optional run.json) and write analysis.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.record.journal import RESULTS, read_journal_json
from popkit_bench.record.rundir import RUN_JSON, write_json_atomic

ANALYSIS_JSON = "analysis.json"
REQUIRED_FIELDS = ("task_id", "arm")


def validate_record(record: Any, *, file: str | Path | None = None, line: int | None = None,
                    index: int | None = None) -> None:
    """Raise InputError unless the record has string task_id and arm and a metrics object (or null).

    The error names file and line when given, else the record's 1-based index.
    """
    where: dict[str, Any] = {"file": file, "line": line} if file is not None else {}
    label = f"record {index}: " if index is not None else ""
    if not isinstance(record, dict):
        raise InputError(f"{label}not a JSON object", **where)
    for key in REQUIRED_FIELDS:
        value = record.get(key)
        if not isinstance(value, str) or not value:
            raise InputError(f"{label}missing or empty", field=key, expected="a non-empty string", **where)
    if "status" in record and not isinstance(record["status"], str):
        raise InputError(f"{label}not a string", field="status", expected="a status string", **where)
    metrics = record.get("metrics")
    if metrics is not None and not isinstance(metrics, dict):
        raise InputError(f"{label}not an object", field="metrics", expected="an object of numbers", **where)
    if record.get("verification") is not None and not isinstance(record["verification"], list):
        raise InputError(f"{label}not a list", field="verification", expected="a list", **where)


def read_run_folder(run_dir: str | Path) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(records, run.json or None). InputError for a missing folder, file, or a malformed line."""
    path = Path(run_dir)
    if not path.is_dir():
        raise InputError("run folder not found", file=path)
    results = path / RESULTS
    if not results.is_file():
        raise InputError(f"no {RESULTS} in the run folder (not a run directory?)", file=path)
    records = read_journal_json(results)
    text_lines = results.read_text(encoding="utf-8").split("\n")
    line_numbers = [i for i, text in enumerate(text_lines, start=1) if text.strip()]
    for record, line in zip(records, line_numbers, strict=False):
        validate_record(record, file=results, line=line)
    run_info = None
    run_json = path / RUN_JSON
    if run_json.is_file():
        try:
            run_info = json.loads(run_json.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=run_json, line=exc.lineno) from None
        if not isinstance(run_info, dict):
            raise InputError("must be a JSON object", file=run_json)
    return records, run_info


def write_analysis(run_dir: str | Path, analysis: dict[str, Any]) -> Path:
    """Write analysis.json atomically (strict JSON: no NaN) and return its path."""
    target = Path(run_dir) / ANALYSIS_JSON
    write_json_atomic(target, analysis)
    return target
