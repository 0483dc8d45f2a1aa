"""Which trial records enter the statistics: completed and failed do; timeout, error, contaminated and
interrupted (and unknown statuses) are counted per reason and left out."""

from __future__ import annotations

from collections import Counter
from typing import Any

from popkit_bench.record.journal import counting_indices
from popkit_bench.record.trial_record import FINAL_STATUSES, USABLE_STATUSES


def dedupe(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Keep the record that counts for each trial (record/journal.counting_records). Returns (kept, superseded)."""
    entries = [((r.get("task_id"), r.get("arm"), r.get("trial") if r.get("trial") is not None else f"#{i}"),
                r.get("status") in FINAL_STATUSES) for i, r in enumerate(records)]
    kept = [records[i] for i in counting_indices(entries)]
    return kept, len(records) - len(kept)


def is_usable(record: dict[str, Any]) -> bool:
    """True when the record's status puts it in the statistics."""
    return record.get("status") in USABLE_STATUSES


def split(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """(records kept by de-duplication, the usable ones among them, Exclusions section)."""
    kept, superseded = dedupe(records)
    usable = [r for r in kept if is_usable(r)]
    by_reason: Counter[str] = Counter()
    by_arm: dict[str, Counter[str]] = {}
    by_task: dict[str, dict[str, Counter[str]]] = {}
    for record in kept:
        if is_usable(record):
            continue
        reason = str(record.get("status") or "missing status")
        by_reason[reason] += 1
        by_arm.setdefault(record["arm"], Counter())[reason] += 1
        by_task.setdefault(record["task_id"], {}).setdefault(record["arm"], Counter())[reason] += 1
    section = {
        "records": len(records),
        "usable": len(usable),
        "excluded": len(kept) - len(usable),
        "superseded": superseded,
        "by_reason": dict(sorted(by_reason.items())),
        "by_arm": {arm: dict(c) for arm, c in sorted(by_arm.items())},
        "by_task": {t: {arm: dict(c) for arm, c in arms.items()} for t, arms in sorted(by_task.items())},
    }
    return kept, usable, section
