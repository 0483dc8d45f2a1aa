"""The scheduler with the in-memory fake executor: resume, retries of infrastructure failures only, the
run's budget, interrupts and sequential early stopping, without any process."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from popkit_bench.execution.api_health import ApiStopped
from popkit_bench.execution.fake import FakeExecutor, FakeOutcome
from popkit_bench.execution.interrupts import RunInterrupted
from popkit_bench.execution.progress import LineProgress
from popkit_bench.execution.scheduler import ScheduleOptions, Scheduler
from popkit_bench.execution.sequential_looks import SequentialOptions
from popkit_bench.execution.spec import TrialSpec
from popkit_bench.planning.plan import Arm, TrialKey, make_plan
from popkit_bench.record.rundir import RunDir
from popkit_bench.record.trial_record import TrialRecord
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.codebase import Codebase

TASK = TaskSpec(id="t", category="bug-fixing", description="d", codebase="c", initial_state="main",
                user_prompt="fix it", verification=(), path=Path("t.yml"))


def spec_for(key: TrialKey) -> TrialSpec:
    return TrialSpec(run_id="r", key=key, task=TASK, arm=Arm(key.arm), codebase=Codebase(Path("."), "0" * 40, "main",
                                                                                        "bundled:c"))


def scheduler(tmp_path: Path, executor: FakeExecutor, **options) -> tuple[Scheduler, io.StringIO]:
    out = io.StringIO()
    return Scheduler(RunDir(tmp_path), executor, spec_for, ScheduleOptions(**options), LineProgress(0, out)), out


def plan(trials: int = 2):
    return make_plan(["t"], ["baseline", "plugin"], trials, seed=1)


def test_every_planned_trial_runs_once_and_a_second_run_resumes_nothing(tmp_path: Path) -> None:
    fake = FakeExecutor()
    sched, _ = scheduler(tmp_path, fake, parallel=2)
    records = sched.run(plan())
    assert sorted((r.arm, r.trial) for r in records) == [("baseline", 1), ("baseline", 2), ("plugin", 1), ("plugin", 2)]
    assert all(r.trial_dir == f"trials/t/{r.arm}/{r.trial}" for r in records)
    again = FakeExecutor()
    scheduler(tmp_path, again)[0].run(plan(3))  # one more trial per arm asked: only those run
    assert sorted(k.trial for k in again.calls) == [3, 3]


def test_resume_runs_interrupted_and_missing_trials_only(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.append_result(TrialRecord("t", "baseline", 1, status="completed"))
    run.append_result(TrialRecord("t", "plugin", 1, status="interrupted"))
    fake = FakeExecutor()
    scheduler(tmp_path, fake)[0].run(plan(1))
    assert fake.calls == [TrialKey("t", "plugin", 1)]
    assert len(run.final_records()) == 2


def test_infrastructure_failures_are_retried_task_failures_never(tmp_path: Path) -> None:
    def script(key: TrialKey, attempt: int) -> FakeOutcome:
        if key.arm == "baseline" and attempt == 1:
            return FakeOutcome("failed", "agent ended with success", api_error_status=529, terminal_reason="api_error")
        if key.arm == "plugin":
            return FakeOutcome("failed", "agent ended with error_max_turns", terminal_reason="max_turns")
        return FakeOutcome()

    fake = FakeExecutor(script)
    records = {r.arm: r for r in scheduler(tmp_path, fake, retries=2)[0].run(plan(1))}
    assert records["baseline"].status == "completed" and records["baseline"].attempts == 2
    assert records["baseline"].earlier_attempts[0].reason == "API error: the API is overloaded or failing (HTTP 529)"
    assert (tmp_path / "trials/t/baseline/1/attempts/1/fake.txt").read_text() == "attempt 1\n"
    assert records["plugin"].status == "failed" and fake.attempts(TrialKey("t", "plugin", 1)) == 1


def test_retries_stop_at_the_limit(tmp_path: Path) -> None:
    fake = FakeExecutor(lambda key, n: FakeOutcome("failed", "x", api_error_status=500, terminal_reason="api_error"))
    run = scheduler(tmp_path, fake, retries=1, api_error_limit=10)[0].run(plan(1))
    [record] = [r for r in run if r.arm == "baseline"]
    assert record.status == "failed" and record.attempts == 2


def test_budget_stops_starting_trials(tmp_path: Path) -> None:
    fake = FakeExecutor(lambda key, n: FakeOutcome(metrics={"cost_usd": 1.0}))
    sched, out = scheduler(tmp_path, fake, budget_usd=2.5)
    records = sched.run(plan(3))
    assert len(records) == 2 and sched.state.budget_note is not None
    assert "not starting the remaining 4 trial(s)" in out.getvalue()


def test_interrupt_records_running_trials_and_raises(tmp_path: Path) -> None:
    fake = FakeExecutor(lambda key, n: FakeOutcome(delay_s=5.0))
    sched, _ = scheduler(tmp_path, fake, parallel=2)
    threading.Timer(0.2, sched.request_stop, args=("test stop",)).start()
    with pytest.raises(RunInterrupted, match="2 trial\\(s\\) left|4 trial\\(s\\) left"):
        sched.run(plan(2))
    records = RunDir(tmp_path).read_results()
    assert records and all(r.status == "interrupted" for r in records)
    assert RunDir(tmp_path).final_records() == {}


def test_sequential_stops_early_for_a_clear_difference(tmp_path: Path) -> None:
    def script(key: TrialKey, attempt: int) -> FakeOutcome:
        tokens = 1000.0 + key.trial * 7 if key.arm == "baseline" else 400.0 + key.trial * 5
        return FakeOutcome(metrics={"tokens_total": tokens})

    options = SequentialOptions(batch=5, max_trials=10, treatment_arm="plugin")
    sched, out = scheduler(tmp_path, FakeExecutor(script), sequential=options)
    records = sched.run(plan(5))
    assert options.looks and options.looks[-1]["stop"] and options.looks[-1]["reason"] == "efficacy"
    assert len(records) == 10 and "sequential look 1" in out.getvalue()  # stopped at look 1 of 2


def test_consecutive_api_errors_stop_the_run_and_name_the_cause(tmp_path: Path) -> None:
    calls: list[TrialKey] = []

    def script(key: TrialKey, attempt: int) -> FakeOutcome:
        calls.append(key)
        if len(calls) <= 2:  # the key is refused after two trials
            return FakeOutcome(metrics={"tokens_total": 900.0})
        return FakeOutcome("error", "API error", api_error_status=401, terminal_reason="api_error")

    sched, out = scheduler(tmp_path, FakeExecutor(script), retries=2)
    with pytest.raises(ApiStopped, match="3 trials in a row ended on API errors \\(auth\\).*resume with"):
        sched.run(plan(4))
    assert len(calls) == 5  # a refused key is never retried; nothing starts after the third
    records = RunDir(tmp_path).read_results()
    assert [r.status for r in records] == ["completed", "completed", "error", "error", "error"]
    assert "authentication failed" in (sched.state.stop_reason or "") and "stopping:" in out.getvalue()


def test_retried_overloads_count_towards_the_stop(tmp_path: Path) -> None:
    fake = FakeExecutor(lambda key, n: FakeOutcome("error", "x", api_error_status=529, terminal_reason="api_error"))
    with pytest.raises(ApiStopped, match="overloaded"):
        scheduler(tmp_path, fake, retries=1)[0].run(plan(2))
    assert len(fake.calls) == 3  # trial 1 twice, trial 2 once: three in a row
