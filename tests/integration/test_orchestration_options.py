"""Orchestration options with the real CLI and the scripted model: infrastructure retries (a scripted 529),
never retrying a task failure, the whole-run budget, --sequential looks written to run.json, and the
parallel default."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from popkit_bench.cli import main
from popkit_bench.execution.benchmark_run import default_parallel
from popkit_bench.execution.measure import fill_metrics, take_session_facts
from popkit_bench.execution.retry import infra_failure
from popkit_bench.record.journal import read_journal_json
from popkit_bench.record.trial_record import TrialRecord
from popkit_shared.metrics import compute_metrics
from popkit_shared.recording import load_stream_json

REPO = Path(__file__).resolve().parents[2]
TASK = "pagination-off-by-one"


def copy_task(tmp_path: Path, **play_extra) -> Path:
    """The demo task in a folder of its own, its play extended with `play_extra`."""
    folder = tmp_path / "tasks" / "bug-fixing"
    folder.mkdir(parents=True)
    source = REPO / "tasks" / "bug-fixing"
    for name in (f"{TASK}.yml", f"{TASK}-responses.json"):
        shutil.copy(source / name, folder / name)
    play = yaml.safe_load((source / f"{TASK}.play.yml").read_text())
    play.update(play_extra)
    (folder / f"{TASK}.play.yml").write_text(yaml.safe_dump(play))
    return folder / f"{TASK}.yml"


@pytest.mark.real_cli
def test_an_overloaded_api_is_retried_and_recorded_with_its_attempts(tmp_path: Path, claude_bin: Path) -> None:
    task = copy_task(tmp_path, fail_first={"requests": 1, "status": 529})
    run_dir = tmp_path / "run"
    code = main(["run", str(task), "--rehearsal", "--trials", "1", "--parallel", "1", "--run-dir", str(run_dir),
                 "--no-report"])
    assert code == 0
    records = read_journal_json(run_dir / "results.jsonl")
    assert len(records) == 2 and {r["status"] for r in records} == {"completed"}
    retried = [r for r in records if r["attempts"] == 2]
    assert len(retried) == 1 and [r["attempts"] for r in records].count(1) == 1
    earlier = retried[0]["earlier_attempts"]
    assert earlier[0]["status"] == "error" and "529" in earlier[0]["reason"]
    first = run_dir / retried[0]["trial_dir"] / "attempts" / "1" / "stream.jsonl"
    assert '"api_error_status":529' in first.read_text().replace(" ", "")


@pytest.mark.real_cli
def test_a_task_failure_is_never_retried(tmp_path: Path, claude_bin: Path) -> None:
    run_dir = tmp_path / "run"
    code = main(["demo", "--trials", "1", "--parallel", "2", "--max-turns", "1", "--run-dir", str(run_dir),
                 "--no-report"])
    assert code == 0
    records = read_journal_json(run_dir / "results.jsonl")
    assert {r["status"] for r in records} == {"failed"}
    assert all(r["attempts"] == 1 and r["earlier_attempts"] == [] for r in records)


@pytest.mark.real_cli
def test_the_run_budget_stops_starting_trials(tmp_path: Path, claude_bin: Path, capsys) -> None:
    run_dir = tmp_path / "run"
    code = main(["demo", "--trials", "2", "--parallel", "1", "--budget-usd", "0.15", "--run-dir", str(run_dir),
                 "--no-report"])
    assert code == 0
    out = capsys.readouterr().out
    assert "budget: spent $" in out and "not starting the remaining 3 trial(s)" in out
    assert len(read_journal_json(run_dir / "results.jsonl")) == 1
    assert "budget" in json.loads((run_dir / "run.json").read_text())["stopped_early"]


@pytest.mark.real_cli
def test_sequential_runs_batches_and_writes_its_decisions(tmp_path: Path, claude_bin: Path) -> None:
    run_dir = tmp_path / "run"
    code = main(["demo", "--sequential", "--trials", "2", "--max-trials", "4", "--parallel", "2",
                 "--run-dir", str(run_dir), "--no-report"])
    assert code == 0
    info = json.loads((run_dir / "run.json").read_text())
    looks = info["sequential"]["looks"]
    assert looks and looks[-1]["stop"] and looks[-1]["reason"] in ("efficacy", "futility", "max_trials")
    assert info["sequential"]["stopped"]["reason"] == looks[-1]["reason"]
    per_arm = looks[-1]["trials_per_arm"]
    assert per_arm in (2, 4) and len(read_journal_json(run_dir / "results.jsonl")) == 2 * per_arm
    assert len(info["plan"]) == 2 * per_arm
    # the report says when and why it stopped
    reports = tmp_path / "reports"
    main(["report", str(run_dir), "--output", str(reports), "--format", "markdown"])
    md = next(reports.glob("*.md")).read_text()
    assert "## How the run stopped" in md
    assert f"Stopped at look {looks[-1]['look']} for {looks[-1]['reason']}" in md


def test_infrastructure_failures_are_told_apart_from_task_failures(tmp_path: Path) -> None:
    def classify(status: str, result: dict | None, events: tuple = ()) -> str | None:
        lines = [json.dumps(e) for e in events] + ([json.dumps({"type": "result", **result})] if result else [])
        (tmp_path / "stream.jsonl").write_text("\n".join(lines) + "\n")
        record = TrialRecord("t", "baseline", 1, status=status, status_reason="claude exited 1 without a result event")
        session = load_stream_json(tmp_path / "stream.jsonl")
        take_session_facts(record, session)  # what the executor reads from the stream (execution/measure.py)
        fill_metrics(record, compute_metrics(session, None))
        return infra_failure(record)

    api = {"is_error": True, "terminal_reason": "api_error", "subtype": "success"}
    assert classify("failed", {**api, "api_error_status": 529})
    assert classify("failed", {**api, "api_error_status": 500})
    assert classify("failed", {**api, "api_error_status": 404}) is None
    assert classify("failed", {"is_error": True, "subtype": "error_max_turns"}) is None
    assert classify("completed", {**api, "api_error_status": 529}) is None
    assert classify("error", None)  # crashed before its first turn
    assert classify("error", None, ({"type": "assistant", "message": {}},)) is None
    assert classify("timeout", None) is None


def test_parallel_default_is_bounded() -> None:
    assert 1 <= default_parallel() <= 8
