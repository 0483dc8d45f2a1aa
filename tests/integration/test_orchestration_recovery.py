"""The orchestrator killed (SIGKILL) or interrupted (SIGINT) mid-run, then resumed: every planned trial
ends with exactly one final record, and nothing of the stopped run is left (processes, worktrees,
config folders). The real CLI against the scripted model, the orchestrator as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from popkit_bench.agent.isolation import config_root
from popkit_bench.analysis.exclusions import dedupe
from popkit_bench.execution.recovery import config_key
from popkit_bench.process.tree import kill_processes, processes_inside
from popkit_bench.record.journal import read_journal_json
from popkit_bench.record.trial_record import FINAL_STATUSES
from popkit_bench.workspace.git import git

pytestmark = pytest.mark.real_cli
REPO = Path(__file__).resolve().parents[2]


def bench(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "scripts"), str(REPO / "shared")])}
    return subprocess.Popen([sys.executable, "-m", "popkit_bench", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def trial_processes(run_dir: Path) -> list:
    """Live processes belonging to this run (cwd inside its folder, or its config folders)."""
    return processes_inside([run_dir], env_var="CLAUDE_CONFIG_DIR", env_prefixes=[config_root(config_key(run_dir))])


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def planned(run_dir: Path) -> set[tuple]:
    plan = json.loads((run_dir / "run.json").read_text())["plan"]
    return {(k["task_id"], k["arm"], k["trial"]) for k in plan}


def assert_clean(run_dir: Path) -> None:
    assert trial_processes(run_dir) == []
    repo = run_dir / "codebases" / "pagination-off-by-one"
    listing = [line for line in git("worktree", "list", "--porcelain", cwd=repo).splitlines()
               if line.startswith("worktree ")]
    assert listing == [f"worktree {repo}"], listing
    assert not any((run_dir / "worktrees").glob("*")) if (run_dir / "worktrees").exists() else True
    assert not config_root(config_key(run_dir)).exists()


def assert_complete(run_dir: Path) -> list[dict]:
    records = read_journal_json(run_dir / "results.jsonl")
    finals = [(r["task_id"], r["arm"], r["trial"]) for r in records if r["status"] in FINAL_STATUSES]
    assert len(finals) == len(set(finals)), "a trial has two final records"
    assert set(finals) == planned(run_dir)
    kept, _ = dedupe(records)  # what analysis sees: one record per (task, arm, trial)
    assert sorted((r["task_id"], r["arm"], r["trial"]) for r in kept) == sorted(planned(run_dir))
    assert all(r["status"] == "completed" for r in kept), [r["status_reason"] for r in kept]
    return records


@pytest.fixture
def cleanup_run():
    dirs: list[Path] = []
    yield dirs.append
    for run_dir in dirs:  # never leave anything behind, even when a test fails
        kill_processes(trial_processes(run_dir))


def test_sigkill_at_any_moment_then_resume_finishes_the_plan(tmp_path: Path, cleanup_run) -> None:
    run_dir = tmp_path / "run"
    cleanup_run(run_dir)
    proc = bench("demo", "--trials", "2", "--parallel", "2", "--run-dir", str(run_dir), "--no-report")
    results = run_dir / "results.jsonl"
    # kill while one trial is journaled and another is still running
    wait_for(lambda: lines(results) >= 1 and any(
        p.name().startswith("claude") for p in trial_processes(run_dir)), timeout=90)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert lines(results) < 4
    with open(results, "a") as handle:  # and as if the kill tore a line being written
        handle.write('{"task_id": "pagination-off-by-one", "arm": "baseline", "trial": 2, "sta')
    resumed = bench("run", "--resume", str(run_dir), "--no-report", "--parallel", "2")
    output, _ = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, output
    assert "recovered from an earlier run" in output and "torn journal line" in output
    assert (run_dir / "results.jsonl.torn").exists()
    assert_complete(run_dir)
    assert_clean(run_dir)


def test_ctrl_c_records_interrupted_trials_exits_130_and_leaves_nothing(tmp_path: Path, cleanup_run) -> None:
    run_dir = tmp_path / "run"
    cleanup_run(run_dir)
    proc = bench("demo", "--trials", "2", "--parallel", "2", "--run-dir", str(run_dir), "--no-report")
    wait_for(lambda: sum(p.name().startswith("claude") for p in trial_processes(run_dir)) >= 2, timeout=90)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output
    assert "resume with" in output
    records = read_journal_json(run_dir / "results.jsonl")
    interrupted = [r for r in records if r["status"] == "interrupted"]
    assert len(interrupted) >= 1, records
    assert_clean(run_dir)
    resumed = bench("run", "--resume", str(run_dir), "--no-report")
    output, _ = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, output
    records = assert_complete(run_dir)
    assert any(r["status"] == "interrupted" for r in records)  # kept in the journal, superseded
    assert_clean(run_dir)
