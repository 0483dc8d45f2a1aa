"""The one builder of trial records for tests: fields over the typed definition (record/trial_record.py).

`build_record(...)` validates the fields against TrialRecord (a wrong type fails the test at once) and
returns the results.jsonl line as plain data, every field present, exactly as the journal writes it.
"""

from __future__ import annotations

from typing import Any

from popkit_bench.record.trial_record import TrialRecord


def build_record(task_id: str, arm: str, trial: int | None = 1, **fields: Any) -> dict[str, Any]:
    """One results.jsonl record as plain data."""
    return TrialRecord.from_json({"task_id": task_id, "arm": arm, "trial": trial, **fields}).to_json()
