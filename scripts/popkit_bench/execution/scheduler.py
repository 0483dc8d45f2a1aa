"""The scheduler: runs a plan's trials through an executor and journals each record as it ends.

It owns order (the plan's), parallelism, the journal (results.jsonl), resume (only trials without a final
record run), retries of infrastructure failures, the run's budget, sequential looks, interrupts and
progress. It knows nothing of how a trial runs: that is the executor's (execution/executor.py).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from popkit_bench.execution.api_health import DEFAULT_LIMIT as API_ERROR_LIMIT
from popkit_bench.execution.api_health import ApiHealth, ApiStopped
from popkit_bench.execution.budget import Budget
from popkit_bench.execution.executor import Executor
from popkit_bench.execution.interrupts import RunInterrupted, StopSignals
from popkit_bench.execution.progress import LineProgress
from popkit_bench.execution.retry import infra_failure
from popkit_bench.execution.sequential_looks import SequentialOptions, look
from popkit_bench.execution.spec import TrialSpec
from popkit_bench.planning.plan import Plan, TrialKey
from popkit_bench.record.rundir import RunDir
from popkit_bench.record.trial_record import INTERRUPTED, EarlierAttempt, TrialRecord

SpecFor = Callable[[TrialKey], TrialSpec]
AfterTrial = Callable[[TrialSpec, Path, TrialRecord], TrialRecord]


@dataclass
class ScheduleOptions:
    """How the plan is run."""

    parallel: int = 1
    retries: int = 1
    budget_usd: float | None = None
    history_cost_usd: float | None = None  # expected cost per trial from earlier runs
    sequential: SequentialOptions | None = None
    resume_hint: str | None = None  # the command that finishes the plan (default: `popkit-bench run --resume DIR`)
    api_error_limit: int = API_ERROR_LIMIT  # attempts in a row ending on API errors that stop the run


@dataclass
class ScheduleState:
    """What run.json records about how the run went."""

    plan: Plan
    stop_reason: str | None = None
    budget_note: str | None = None
    notes: list[str] = field(default_factory=list)


class Scheduler:
    """Runs every planned trial that has no final record yet; safe to run again on the same folder."""

    def __init__(self, run: RunDir, executor: Executor, spec_for: SpecFor, options: ScheduleOptions,
                 progress: LineProgress, *, after_trial: AfterTrial | None = None,
                 on_state: Callable[[ScheduleState], None] | None = None,
                 stop: threading.Event | None = None) -> None:
        self.run_dir = run
        self.executor = executor
        self.spec_for = spec_for
        self.options = options
        self.progress = progress
        self.after_trial = after_trial
        self.on_state = on_state or (lambda state: None)
        self.stop = stop or threading.Event()
        self.signals = StopSignals(self.stop)
        self.state = ScheduleState(Plan())
        self.budget = Budget(options.budget_usd, [], options.history_cost_usd)
        self.health = ApiHealth(options.api_error_limit)

    def run(self, plan: Plan) -> list[TrialRecord]:
        """Run the plan; return every record of the run. RunInterrupted (exit 130) after Ctrl-C / SIGTERM."""
        self.state.plan = plan
        finals = self.run_dir.final_records()
        self.budget = Budget(self.options.budget_usd, list(finals.values()), self.options.history_cost_usd)
        self.progress.total = len(plan.keys)
        self.progress.done = sum(1 for k in plan.keys if k in finals)
        with self.signals as signals:
            try:
                if self.options.sequential is not None:
                    self._run_sequential(self.options.sequential)
                else:
                    self._run_keys([k for k in plan.keys if k not in finals])
            finally:
                self.state.stop_reason = signals.reason if self.stop.is_set() else None
                self.on_state(self.state)
        if self.stop.is_set():
            done = self.run_dir.finished_keys()
            left = sum(k not in done for k in self.state.plan.keys)
            hint = self.options.resume_hint or f"popkit-bench run --resume {self.run_dir.path}"
            if self.health.stop_reason:
                raise ApiStopped(f"run stopped: {self.health.stop_reason}; {left} trial(s) left: once fixed, "
                                 f"resume with `{hint}`")
            raise RunInterrupted(f"interrupted ({self.state.stop_reason or 'stop'}); {left} trial(s) left: "
                                 f"resume with `{hint}`")
        return self.run_dir.read_results()

    def request_stop(self, reason: str) -> None:
        """Stop starting trials and cancel the running ones (e.g. the API keeps failing)."""
        self.state.notes.append(reason)
        self.signals.reason = self.signals.reason or reason
        self.stop.set()

    def _run_keys(self, keys: list[TrialKey]) -> None:
        workers = max(1, self.options.parallel)
        pending: set[Future] = set()
        queue = list(keys)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trial") as pool:
            while queue or pending:
                while queue and len(pending) < workers and not self.stop.is_set() and self._budget_allows(len(queue)):
                    key = queue.pop(0)
                    self.budget.started()
                    self.progress.trial_started(key)
                    pending.add(pool.submit(self._one, key))
                if not pending:
                    break
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()

    def _budget_allows(self, left: int) -> bool:
        if self.budget.allows(left):
            return True
        if self.state.budget_note is None:
            self.state.budget_note = self.budget.note
            self.progress.message(f"budget: {self.budget.note}")
        return False

    def _one(self, key: TrialKey) -> None:
        record = TrialRecord(task_id=key.task_id, arm=key.arm, trial=key.trial, status=INTERRUPTED)
        try:
            record = self._attempts(key)
            self.run_dir.append_result(record)
        finally:
            self.budget.finished(record)
        self.progress.trial_finished(key, record)

    def _attempts(self, key: TrialKey) -> TrialRecord:
        """Run a trial, retrying infrastructure failures; earlier attempts' folders go to attempts/<n>."""
        spec = self.spec_for(key)
        trial_dir = self.run_dir.trial_dir(key)
        earlier: list[EarlierAttempt] = []
        while True:
            fresh_folder(trial_dir)
            record = self.executor.run(spec, trial_dir, self.stop)
            record.trial_dir = str(trial_dir.relative_to(self.run_dir.path))
            if self.after_trial is not None and not self.stop.is_set():
                record = self.after_trial(spec, trial_dir, record)
            if self.stop.is_set():
                record = as_interrupted(record, self.signals.reason or "stop")
                break
            if self._api_stops(record):
                break
            reason = infra_failure(record)
            if reason is None or len(earlier) >= self.options.retries:
                break
            earlier.append(EarlierAttempt(len(earlier) + 1, str(record.status), reason, record.session_id))
            trial_dir.rename(trial_dir.with_name(f"{trial_dir.name}.attempt-{len(earlier)}"))
            self.progress.message(f"retrying {key.task_id} {key.arm} #{key.trial}: {reason} "
                                  f"(attempt {len(earlier) + 1} of {self.options.retries + 1})")
        if earlier:
            restore_attempts(trial_dir)
        record.attempts = len(earlier) + 1
        record.earlier_attempts = earlier
        return record

    def _api_stops(self, record: TrialRecord) -> bool:
        """Feed the attempt to the API health; after consecutive API errors, stop the run (this record stays)."""
        reason = self.health.observe(record)
        if reason is not None and not self.stop.is_set():
            self.progress.message(f"stopping: {reason}")
            self.request_stop(reason)
        return reason is not None

    def _run_sequential(self, options: SequentialOptions) -> None:
        while not self.stop.is_set():
            finals = self.run_dir.final_records()
            self._run_keys([k for k in self.state.plan.keys if k not in finals])
            if self.stop.is_set() or self.state.budget_note:
                return
            message, grown = look(options, self.state.plan, list(self.run_dir.final_records().values()))
            if message:
                self.progress.message(message)
            if grown is None:
                self.on_state(self.state)
                return
            self.state.plan = grown
            self.progress.total = len(grown.keys)
            self.on_state(self.state)


def fresh_folder(path: Path) -> None:
    """An empty trial folder (an executor starts from nothing)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def restore_attempts(trial_dir: Path) -> None:
    """Move the folders of earlier attempts into the final attempt's folder, as attempts/<n>."""
    for old in sorted(trial_dir.parent.glob(f"{trial_dir.name}.attempt-*")):
        target = trial_dir / "attempts" / old.name.rsplit("-", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        old.rename(target)


def as_interrupted(record: TrialRecord, signal_name: str) -> TrialRecord:
    """A record of a trial that was running when the run was stopped (its numbers do not count)."""
    before = record.status if record.status != INTERRUPTED else record.status_before_interrupt
    return replace(record, status=INTERRUPTED, status_before_interrupt=before,
                   status_reason=f"run interrupted ({signal_name}); resume runs this trial again")
