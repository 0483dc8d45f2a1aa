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


def assert_valid_journal(path) -> int:
    """Every raw line of a results.jsonl validates against the published schema; returns the count."""
    import json

    import jsonschema

    from popkit_bench.record.schema import TRIAL_RECORD_SCHEMA

    validator = jsonschema.Draft202012Validator(json.loads(TRIAL_RECORD_SCHEMA.read_text(encoding="utf-8")))
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        errors = sorted(validator.iter_errors(json.loads(line)), key=str)
        assert not errors, f"{path}:{number}: {errors[0].message} at {list(errors[0].absolute_path)}"
    return len(lines)
