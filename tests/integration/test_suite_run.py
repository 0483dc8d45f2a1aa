"""`run all`: every bundled task, both arms, real CLI + scripted model; the analysis has per-task rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal_json
from popkit_bench.tasks.discovery import discover

pytestmark = pytest.mark.real_cli


def test_suite_of_all_tasks_one_trial_per_arm(tmp_path: Path, claude_bin: Path) -> None:
    run_dir, reports = tmp_path / "suite", tmp_path / "reports"
    code = main(["run", "all", "--trials", "1", "--rehearsal", "--parallel", "2", "--run-dir", str(run_dir),
                 "--report-dir", str(reports)])
    assert code == 0
    task_ids = {t.id for t in discover()}
    records = read_journal_json(run_dir / "results.jsonl")
    assert len(records) == len(task_ids) * 2  # the task is the unit: one trial per arm gives each its mean
    assert {r["status"] for r in records} == {"completed"}, {r["task_id"]: r["status_reason"] for r in records}
    assert all(r["metrics"]["verification_pass_rate"] == 1.0 for r in records)
    analysis = json.loads((run_dir / "analysis.json").read_text())
    assert analysis["unit"] == "task"
    assert set(analysis["comparisons"][0]["per_task"]) == task_ids
    assert analysis["suite"]["n_tasks"] == len(task_ids)
    rows = analysis["suite"]["metrics"]["tokens_total"]["per_task"]
    assert {row["task"] for row in rows} == task_ids
    md = next(reports.glob(f"{run_dir.name}-*.md")).read_text()
    for task_id in task_ids:
        assert task_id in md


def test_category_selects_a_suite(tmp_path: Path, claude_bin: Path) -> None:
    run_dir = tmp_path / "cat"
    code = main(["run", "--category", "refactoring", "--trials", "1", "--rehearsal", "--parallel", "2",
                 "--run-dir", str(run_dir), "--no-report"])
    assert code == 0
    records = read_journal_json(run_dir / "results.jsonl")
    expected = {t.id for t in discover() if t.category == "refactoring"}
    assert {r["task_id"] for r in records} == expected and len(records) == len(expected) * 2
