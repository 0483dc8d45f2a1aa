"""Before a paid run: its expected cost and time, from earlier runs of the same tasks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from popkit_bench.errors import InputError
from popkit_bench.planning.plan import Plan
from popkit_bench.record.journal import RESULTS, read_journal_json
from popkit_bench.record.rundir import RUN_JSON
from popkit_bench.record.trial_record import USABLE_STATUSES
from popkit_shared.recording.jsonl import number


@dataclass
class Estimate:
    """Expected cost (USD) and agent time (s) of a plan; None when no earlier trial of a task is known."""

    cost_usd: float | None
    trial_s: float | None
    wall_s: float | None
    known_trials: int
    unknown_tasks: list[str]

    def text(self, parallel: int) -> str:
        if self.cost_usd is None and self.wall_s is None:
            return ("estimate: no earlier runs of these tasks; cap spending with --max-budget-usd (per trial) "
                    "or --budget-usd (whole run)")
        parts = [f"estimate from {self.known_trials} earlier trial(s):"]
        if self.cost_usd is not None:
            parts.append(f"cost ~${self.cost_usd:.2f}")
        if self.wall_s is not None:
            parts.append(f"time ~{self.wall_s / 60:.1f} min at --parallel {parallel}")
        if self.unknown_tasks:
            parts.append(f"(no history for {', '.join(self.unknown_tasks)})")
        return " ".join(parts)


def history(runs_dirs: list[Path], exclude: Path | None = None) -> dict[str, list[dict]]:
    """Usable records of earlier real (not scripted-model) runs, by task id."""
    out: dict[str, list[dict]] = {}
    seen: set[Path] = set()
    for base in runs_dirs:
        for results in sorted(Path(base).glob(f"*/{RESULTS}")):
            folder = results.parent.resolve()
            if folder in seen or (exclude is not None and folder == Path(exclude).resolve()):
                continue
            seen.add(folder)
            if _is_rehearsal(folder):
                continue
            try:
                records = read_journal_json(results)
            except InputError:
                continue
            for record in records:
                if record.get("status") in USABLE_STATUSES and isinstance(record.get("task_id"), str):
                    out.setdefault(record["task_id"], []).append(record)
    return out


def _is_rehearsal(folder: Path) -> bool:
    try:
        return bool(json.loads((folder / RUN_JSON).read_text(encoding="utf-8")).get("rehearsal"))
    except (OSError, ValueError, AttributeError):
        return False


def per_trial(records: list[dict], field: str) -> float | None:
    values = [(r.get("metrics") or {}).get(field) if field == "cost_usd" else r.get(field) for r in records]
    numbers = [n for v in values if (n := number(v)) is not None]
    return mean(numbers) if numbers else None


def estimate(plan: Plan, todo: int, parallel: int, past: dict[str, list[dict]]) -> Estimate:
    """Expected cost and wall time of the trials still to run (`todo` of the plan's keys, pro rata)."""
    if not plan.keys:
        return Estimate(0.0, 0.0, 0.0, 0, [])
    share = todo / len(plan.keys)
    cost = seconds = 0.0
    have_cost = have_time = False
    known = 0
    unknown: list[str] = []
    for task_id in dict.fromkeys(k.task_id for k in plan.keys):
        n = sum(1 for k in plan.keys if k.task_id == task_id) * share
        records = past.get(task_id, [])
        c, s = per_trial(records, "cost_usd"), per_trial(records, "wall_s")
        known += len(records)
        if c is not None:
            cost, have_cost = cost + c * n, True
        if s is not None:
            seconds, have_time = seconds + s * n, True
        if c is None and s is None:
            unknown.append(task_id)
    return Estimate(cost if have_cost else None, seconds if have_time else None,
                    seconds / max(1, parallel) if have_time else None, known, unknown)
