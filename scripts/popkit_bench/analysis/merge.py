"""Merge several run folders (other machines, or runs of different plugin versions) into one data set."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from popkit_bench.analysis.exclusions import dedupe
from popkit_bench.analysis.io import read_run_folder
from popkit_bench.errors import InputError


def merge_runs(run_dirs: list[Path], *, by_run: bool = False) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(records, run_info) of several runs.

    Each run keeps one final record per (task, arm, trial). Trials are renumbered per (task, arm) across
    runs, and every record remembers `source_run` and points `trial_dir` at its original folder. With
    `by_run`, arms are named `<run folder>:<arm>`, so the same arm of two runs can be compared.
    """
    if len({p.resolve() for p in run_dirs}) != len(run_dirs):
        raise InputError("the same run folder is given twice", expected="distinct run folders")
    merged: list[dict[str, Any]] = []
    requested: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    arms: list[str] = []
    counters: dict[tuple[str, str], int] = defaultdict(int)
    for run_dir in run_dirs:
        records, info = read_run_folder(run_dir)
        kept, _ = dedupe(records)
        label = run_dir.resolve().name
        rename = (lambda arm, label=label: f"{label}:{arm}") if by_run else (lambda arm: arm)
        for record in kept:
            copy = dict(record)
            copy["arm"] = rename(record["arm"])
            counters[(copy["task_id"], copy["arm"])] += 1
            copy["trial"] = counters[(copy["task_id"], copy["arm"])]
            copy["source_run"] = str(run_dir.resolve())
            copy["source_trial"] = record.get("trial")
            if record.get("trial_dir"):
                copy["trial_dir"] = str((run_dir / record["trial_dir"]).resolve())
            merged.append(copy)
            if copy["arm"] not in arms:
                arms.append(copy["arm"])
        for task_id, per_arm in ((info or {}).get("trials_requested") or {}).items():
            for arm, count in per_arm.items():
                requested[task_id][rename(arm)] += int(count)
    if not merged:
        raise InputError("no trial records in the given run folders", expected="run folders with results.jsonl")
    baseline = next((a for a in arms if a == "baseline" or a.endswith(":baseline")), arms[0])
    info = {
        "merged_from": [str(p.resolve()) for p in run_dirs],
        "arms": [{"name": a} for a in arms],
        "baseline_arm": baseline,
        "trials_requested": {t: dict(a) for t, a in requested.items()} if requested else None,
    }
    if info["trials_requested"] is None:
        del info["trials_requested"]
    return merged, info
