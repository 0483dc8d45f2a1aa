"""`skill run` on the shared scheduler: kill -9 mid-iteration, then Ctrl-C during the resume (exit 130),
then `skill run CONFIG --resume` finishes the iteration: every planned run exactly once (one timing.json and
grading.json each), and no process, worktree or config folder is left. Real CLI + scripted model."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from test_orchestration_recovery import bench, lines, trial_processes, wait_for

from popkit_bench.agent.isolation import config_root
from popkit_bench.execution.recovery import config_key
from popkit_bench.record.journal import read_journal
from popkit_bench.record.trial_record import FINAL_STATUSES

pytestmark = pytest.mark.real_cli
CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "skill-bench" / "config.json"


def skill_run(workspace: Path, *extra: str):
    return bench("skill", "run", str(CONFIG), "--rehearsal", "--workspace", str(workspace), "--parallel", "2", *extra)


def stop_after_a_trial(proc, run: Path, journal_lines: int, sig: int) -> str:
    wait_for(lambda: lines(run / "results.jsonl") >= journal_lines and any(
        p.name().startswith("claude") for p in trial_processes(run)), timeout=120)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=120)
    return out


def test_kill_then_interrupt_then_resume_runs_every_planned_trial_once(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    iteration = workspace / "iteration-1"
    run = iteration / "_run"
    first = skill_run(workspace)
    stop_after_a_trial(first, run, 1, signal.SIGKILL)
    planned = {(k["task_id"], k["arm"], k["trial"]) for k in json.loads((run / "run.json").read_text())["plan"]}
    assert len(planned) == 12 and lines(run / "results.jsonl") < 12

    second = skill_run(workspace, "--resume")
    out = stop_after_a_trial(second, run, lines(run / "results.jsonl") + 1, signal.SIGINT)
    assert second.returncode == 130, out[-2000:]
    assert "--resume" in out and "interrupted" in out

    third = skill_run(workspace, "--resume")
    out, _ = third.communicate(timeout=600)
    assert third.returncode == 0, out[-3000:]
    records = read_journal(run / "results.jsonl")
    finals = [(r.task_id, r.arm, r.trial) for r in records if r.status in FINAL_STATUSES]
    assert sorted(finals) == sorted(planned), "every planned trial has exactly one final record"
    folders = sorted(iteration.glob("eval-*/*/run-*"))
    assert len(folders) == 12
    for folder in folders:
        assert (folder / "timing.json").is_file() and (folder / "grading.json").is_file(), folder
    assert not trial_processes(run)
    assert not any((run / "worktrees").glob("*")) if (run / "worktrees").exists() else True
    assert not config_root(config_key(run)).exists()
    assert not (workspace / "iteration-2").exists()
