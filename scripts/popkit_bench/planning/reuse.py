"""`run --reuse RUN_DIR`: count an earlier run's trials of an arm whose fingerprint matches, instead of re-running.

An earlier run stores `fingerprints` ({task: {arm: {field: digest}}}) in its run.json. For each (task, arm)
of the new run, the first earlier arm (in --reuse order) with an equal fingerprint gives its final records
(completed, failed, timeout: outcomes of the configuration, not of the harness); each earlier (run, task,
arm) is used at most once, so no trial is counted twice. Otherwise the plan names the field that differs
from the closest earlier arm.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.planning.fingerprint import differing_fields
from popkit_bench.record.rundir import RunDir

REUSABLE_STATUSES = ("completed", "failed", "timeout")


@dataclass
class EarlierRun:
    """An earlier run folder as `--reuse` reads it."""

    path: Path
    run_id: str
    fingerprints: dict[str, dict[str, dict[str, str]]]
    records: dict[tuple[str, str], list[dict[str, Any]]]  # (task, arm) -> reusable final records, by trial


@dataclass
class ArmReuse:
    """What the plan says about one (task, arm): reused from where, or run fresh and why."""

    task_id: str
    arm: str
    source_run: str | None = None
    source_dir: str | None = None
    source_arm: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)
    closest: str | None = None  # "<run id>/<arm>" the differing fields are reported against
    reason: str | None = None

    @property
    def reused(self) -> bool:
        return self.source_run is not None

    def to_json(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "arm": self.arm, "reused": self.reused, "source_run": self.source_run,
                "source_dir": self.source_dir, "source_arm": self.source_arm, "trials": len(self.records),
                "differs": self.differs, "closest": self.closest, "reason": self.reason}

    def text(self) -> str:
        """One line for the plan printout."""
        if self.reused:
            return (f"reuse {self.task_id} / {self.arm}: {len(self.records)} trial(s) from run {self.source_run} "
                    f"(arm {self.source_arm})")
        if self.differs:
            return f"run {self.task_id} / {self.arm}: differs from {self.closest} in {', '.join(self.differs)}"
        return f"run {self.task_id} / {self.arm}: {self.reason or 'no earlier arm to reuse'}"


def load_earlier_run(path: str | Path) -> EarlierRun:
    """Read an earlier run folder's fingerprints and reusable records; InputError when it is not one."""
    folder = Path(path).expanduser().resolve()
    run = RunDir(folder)
    info = run.read_run_json()
    if info is None:
        raise InputError("no run.json here (not a run folder?)", file=folder, field="--reuse")
    prints = info.get("fingerprints")
    if not isinstance(prints, dict):
        raise InputError("this run has no fingerprints (it was made before --reuse existed)",
                         file=run.run_json_path, field="fingerprints", expected="a run made with --arms/--reuse support")
    records: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key, record in sorted(run.final_records().items()):
        if record.status in REUSABLE_STATUSES:
            records.setdefault((key.task_id, key.arm), []).append(record.to_json())
    return EarlierRun(folder, str(info.get("run_id") or folder.name), prints, records)


def plan_reuse(current: dict[str, dict[str, dict[str, str]]], earlier: list[EarlierRun]) -> list[ArmReuse]:
    """For every (task, arm) of `current` ({task: {arm: fingerprint}}), where its trials come from."""
    used: set[tuple[str, str, str]] = set()
    out: list[ArmReuse] = []
    for task_id, arms in current.items():
        for arm, print_ in arms.items():
            out.append(_one(task_id, arm, print_, earlier, used))
    return out


def _one(task_id: str, arm: str, print_: dict[str, str], earlier: list[EarlierRun],
         used: set[tuple[str, str, str]]) -> ArmReuse:
    best: tuple[int, list[str], str] | None = None
    taken_by_other = None
    for run in earlier:
        for old_arm, old_print in (run.fingerprints.get(task_id) or {}).items():
            differs = differing_fields(print_, old_print)
            if not differs:
                records = run.records.get((task_id, old_arm), [])
                if (run.run_id, task_id, old_arm) in used:
                    taken_by_other = f"{run.run_id}/{old_arm}"
                    continue
                if records:
                    used.add((run.run_id, task_id, old_arm))
                    return ArmReuse(task_id, arm, run.run_id, str(run.path), old_arm, list(records))
                differs = ["(no finished trials)"]
            if best is None or len(differs) < best[0]:
                best = (len(differs), differs, f"{run.run_id}/{old_arm}")
    if taken_by_other:
        return ArmReuse(task_id, arm, reason=f"its match {taken_by_other} is already reused by another arm")
    if best is None:
        return ArmReuse(task_id, arm, reason="task not in the earlier run(s)")
    return ArmReuse(task_id, arm, differs=best[1], closest=best[2])


def reused_records(reuse: ArmReuse, run_id: str, trials: int) -> list[dict[str, Any]]:
    """The earlier records as this run's trials 1..n (n <= trials), each with `reused_from`.

    `reused_from`: {run_id, arm, trial, run_dir, ended_at} of the trial that ran (kept from the first run
    when that record was itself reused); `trial_dir` becomes the absolute path of the earlier trial folder.
    """
    out = []
    for number, record in enumerate(reuse.records[:trials], start=1):
        new = copy.deepcopy(record)
        origin = record.get("reused_from") or {
            "run_id": record.get("run_id") or reuse.source_run, "arm": record.get("arm"),
            "trial": record.get("trial"), "run_dir": reuse.source_dir, "ended_at": record.get("ended_at"),
        }
        trial_dir = record.get("trial_dir")
        if trial_dir and reuse.source_dir and not Path(trial_dir).is_absolute():
            new["trial_dir"] = str(Path(reuse.source_dir) / trial_dir)
        new.update(run_id=run_id, arm=reuse.arm, trial=number, reused_from=origin)
        out.append(new)
    return out
