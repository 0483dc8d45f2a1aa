"""Read what a report needs from a run folder: run.json, the trial records, and each trial's files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.record.journal import counting_records, read_journal
from popkit_bench.record.rundir import RunDir
from popkit_bench.record.trial_record import USABLE_STATUSES

USABLE = USABLE_STATUSES
GENERIC_PLAY_VARIANT = "generic-play"  # popkit_bench.rehearsal.play.GENERIC_VARIANT (rehearsal may be absent)


@dataclass
class RunData:
    """A run folder's contents: the record that counts for each trial (record/journal.counting_records)."""

    path: Path
    run_json: dict[str, Any] | None
    records: list[dict[str, Any]]
    superseded: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str((self.run_json or {}).get("run_id") or self.path.name)

    @property
    def baseline_arm(self) -> str:
        return str((self.run_json or {}).get("baseline_arm") or "baseline")

    def task_ids(self) -> list[str]:
        """Tasks in run.json order, then any others seen in records."""
        ids = [str(t.get("id")) for t in (self.run_json or {}).get("tasks") or [] if isinstance(t, dict)]
        for record in self.records:
            if record.get("task_id") not in ids:
                ids.append(str(record.get("task_id")))
        return ids

    def arm_names(self) -> list[str]:
        """Arms from run.json (baseline first), then any others seen in records."""
        names = [str(a.get("name")) for a in (self.run_json or {}).get("arms") or [] if isinstance(a, dict)]
        for record in self.records:
            if record.get("arm") not in names:
                names.append(str(record.get("arm")))
        if self.baseline_arm in names:
            names.remove(self.baseline_arm)
            names.insert(0, self.baseline_arm)
        return names

    def requested(self, task_id: str, arm: str) -> int | None:
        table = (self.run_json or {}).get("trials_requested") or {}
        value = (table.get(task_id) or {}).get(arm) if isinstance(table, dict) else None
        return int(value) if isinstance(value, int) else None

    def prompt(self, task_id: str) -> str | None:
        for task in (self.run_json or {}).get("tasks") or []:
            if isinstance(task, dict) and task.get("id") == task_id and isinstance(task.get("user_prompt"), str):
                return task["user_prompt"]
        return None

    def trial_dir(self, record: dict[str, Any]) -> Path:
        rel = record.get("trial_dir")
        if isinstance(rel, str) and rel and not Path(rel).is_absolute() and ".." not in Path(rel).parts:
            return self.path / rel
        return self.path / "trials" / str(record.get("task_id")) / str(record.get("arm")) / str(record.get("trial"))


def trial_sort_key(record: dict[str, Any]) -> tuple[str, str, int]:
    trial = record.get("trial")
    return (str(record.get("task_id")), str(record.get("arm")), trial if isinstance(trial, int) else 0)


def load_run_data(path: Path) -> RunData:
    """Read a run folder; a missing run.json or results.jsonl is noted, not fatal."""
    path = Path(path)
    problems = []
    run_json = RunDir(path).read_run_json()
    if run_json is None:
        problems.append("run.json is missing: arms, requested trials and environment are unknown")
    results = path / "results.jsonl"
    if not results.exists():
        problems.append("results.jsonl is missing: no trial has finished")
    raw = read_journal(results)
    records = sorted((r.to_json() for r in counting_records(raw)), key=trial_sort_key)
    return RunData(path, run_json, records, superseded=len(raw) - len(records), problems=problems)


def read_text_tail(path: Path, limit: int = 2000) -> str | None:
    """The last `limit` characters of a text file, or None when it is missing or empty."""
    if not path.is_file():
        return None
    size = path.stat().st_size
    if size == 0:
        return None
    with open(path, "rb") as handle:
        if size > limit * 4:
            handle.seek(size - limit * 4)
        text = handle.read().decode("utf-8", "replace")
    text = text[-limit:].strip()
    return text or None


def trial_play(run: RunData, record: dict[str, Any]) -> str | None:
    """How the scripted model played one trial: "generic" (no task play: the generic play ran), "task" (the
    task's own play), or None (a real model, or nothing recorded).

    The one place that reads it: run.json `rehearsal` and the trial folder's rehearsal.json `variants`.
    """
    if not (run.run_json or {}).get("rehearsal"):
        return None
    try:
        served = json.loads((run.trial_dir(record) / "rehearsal.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    variants = served.get("variants") if isinstance(served, dict) else None
    if not isinstance(variants, list) or not variants:
        return None
    return "generic" if GENERIC_PLAY_VARIANT in variants else "task"
