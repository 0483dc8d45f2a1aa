"""Read an iteration folder's runs (ours or skill-creator's): eval-*/<config>/run-*/grading.json + timing.json."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.skill.layout import EXCLUDED_STATUSES


@dataclass
class RunResult:
    """One trial as read back: in the statistics only when `completed`; in the pass rate only when `graded`
    (a completed trial whose assertions were not graded keeps its tokens and time)."""

    number: int
    completed: bool
    status: str
    pass_rate: float | None = None
    tokens: float | None = None
    seconds: float | None = None
    assertions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def graded(self) -> bool:
        return self.completed and self.pass_rate is not None


@dataclass
class ArmRuns:
    """All runs of one configuration of one eval."""

    config: str
    requested: int | None
    runs: list[RunResult] = field(default_factory=list)

    @property
    def completed(self) -> list[RunResult]:
        return [r for r in self.runs if r.completed]

    def excluded(self) -> dict[str, int]:
        return dict(Counter(r.status for r in self.runs if not r.completed))


@dataclass
class EvalRuns:
    """One eval folder."""

    eval_id: int | str
    eval_name: str
    folder: str
    arms: dict[str, ArmRuns] = field(default_factory=dict)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def _eval_id(folder: Path, meta: dict[str, Any] | None) -> int | str:
    if meta and isinstance(meta.get("eval_id"), (int, str)) and not isinstance(meta.get("eval_id"), bool):
        return meta["eval_id"]
    rest = folder.name[len("eval-"):]
    return int(rest) if rest.isdigit() else rest


def _number(name: str) -> int:
    tail = name.split("-", 1)[1] if "-" in name else ""
    return int(tail) if tail.isdigit() else 0


def load_iteration(iteration: Path) -> list[EvalRuns]:
    """Every eval-* folder (also under runs/, skill-creator's legacy layout), sorted by eval id."""
    root = iteration / "runs" if (iteration / "runs").is_dir() and not list(iteration.glob("eval-*")) else iteration
    evals = []
    for folder in sorted(p for p in root.glob("eval-*") if p.is_dir()):
        meta = _json(folder / "eval_metadata.json")
        meta = meta if isinstance(meta, dict) else None
        eval_id = _eval_id(folder, meta)
        name = (meta or {}).get("eval_name") or (meta or {}).get("name") or folder.name
        item = EvalRuns(eval_id, str(name), folder.name)
        requested = (meta or {}).get("trials_requested")
        for config_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            run_dirs = sorted((p for p in config_dir.glob("run-*") if p.is_dir()), key=lambda p: _number(p.name))
            if not run_dirs and not (config_dir / "grading.json").is_file():
                continue  # not a configuration (inputs/, outputs/ ...)
            want = requested.get(config_dir.name) if isinstance(requested, dict) else requested
            arm = ArmRuns(config_dir.name, want if isinstance(want, int) else None)
            for run in run_dirs or [config_dir]:
                arm.runs.append(read_run(run, _number(run.name) if run_dirs else 1))
            if arm.requested is None:
                arm.requested = len(arm.runs)
            item.arms[config_dir.name] = arm
        evals.append(item)
    return sorted(evals, key=lambda e: (isinstance(e.eval_id, str), e.eval_id if isinstance(e.eval_id, int) else 0,
                                        str(e.eval_id)))


def read_run(folder: Path, number: int) -> RunResult:
    """A run: excluded when its trial.json says timeout/error/..., or it has no usable grading.json."""
    trial = _json(folder / "trial.json")
    status = trial.get("status") if isinstance(trial, dict) else None
    if status in EXCLUDED_STATUSES:
        return RunResult(number, False, status)
    grading = _json(folder / "grading.json")
    if not isinstance(grading, dict):
        return RunResult(number, False, "no-grading")
    results = grading.get("assertions") or grading.get("expectations") or []
    pass_rate = _pass_rate(grading, results)  # None: no assertion graded (the run still counts for tokens, time)
    timing = _json(folder / "timing.json")
    timing = timing if isinstance(timing, dict) else {}
    tokens = _number_or_none(timing.get("total_tokens"))
    seconds = _number_or_none(timing.get("total_duration_seconds"))
    if seconds is None and _number_or_none(timing.get("duration_ms")) is not None:
        seconds = timing["duration_ms"] / 1000
    if seconds is None:
        seconds = _number_or_none((grading.get("timing") or {}).get("total_duration_seconds"))
    return RunResult(number, True, status or "completed", pass_rate, tokens, seconds, list(results))


def _pass_rate(grading: dict[str, Any], results: list[Any]) -> float | None:
    summary = grading.get("summary") or {}
    passed, total = summary.get("passed"), summary.get("total")
    if isinstance(passed, int) and isinstance(total, int) and not isinstance(passed, bool) and total > 0:
        return passed / total  # exact; pass_rate in the file may be rounded (skill-creator writes 0.67)
    value = _number_or_none(summary.get("pass_rate"))
    if value is not None:
        return float(value)
    graded = [r for r in results if isinstance(r, dict) and isinstance(r.get("passed"), bool)]
    return sum(r["passed"] for r in graded) / len(graded) if graded else None


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return value
