"""The orchestrator: prepare the run folder, run the plan's trials, journal each record as it ends.

Parallel trials (each in its own worktree and config folder), in the plan's seeded, arm-interleaving
order; resumable (results.jsonl is the journal: only trials without a final record run); Ctrl-C / SIGTERM
stop it cleanly (running trials are killed and recorded `interrupted`, exit 130; a second Ctrl-C kills at
once); infrastructure failures are retried; a whole-run budget; `--sequential` batches with early stopping.
"""

from __future__ import annotations

import os
import platform
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from popkit_bench import __version__
from popkit_bench.agent.cli_locator import cli_version, find_claude
from popkit_bench.errors import EXIT_INTERRUPTED, BenchError, InputError
from popkit_bench.execution.progress import LineProgress, make_progress
from popkit_bench.execution.recovery import config_key, recover, remove_config_root, remove_worktrees
from popkit_bench.execution.retry import infra_failure
from popkit_bench.execution.trial import TrialContext, TrialOptions, run_trial
from popkit_bench.planning.estimate import estimate, history
from popkit_bench.planning.plan import (
    BASELINE_ARM,
    Arm,
    Plan,
    TrialKey,
    extend_plan,
    make_plan,
    plan_from_json,
    trials_per_arm,
)
from popkit_bench.planning.plugin_info import PluginInfo
from popkit_bench.process.tree import kill_descendants
from popkit_bench.record.rundir import RunDir, RunLock, utc_now
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.codebase import Codebase, prepare_codebase
from popkit_shared.recording.jsonl import number

GB = 1024 ** 3
MEMORY_PER_TRIAL_GB = 1.5
MAX_DEFAULT_PARALLEL = 8


class RunInterrupted(BenchError):
    """Ctrl-C or SIGTERM: what finished is journaled; `run --resume` finishes the plan (exit 130)."""

    exit_code = EXIT_INTERRUPTED


def default_parallel() -> int:
    """min(CPUs, available memory / 1.5 GB, 8), at least 1."""
    import psutil

    cpus = os.cpu_count() or 1
    by_memory = int(psutil.virtual_memory().available / GB / MEMORY_PER_TRIAL_GB)
    return max(1, min(cpus, by_memory, MAX_DEFAULT_PARALLEL))


@dataclass
class RunRequest:
    """What the user asked for."""

    tasks: list[TaskSpec]
    plugins: list[PluginInfo]
    trials: int
    run_dir: Path
    rehearsal: bool = False
    parallel: int = 1
    seed: int = 0
    timeout_s: float | None = None
    max_turns: int | None = None
    max_budget_usd: float | None = None
    model: str | None = None
    keep_worktrees: bool = False
    claude_bin: str | None = None
    json_progress: bool = False
    argv: list[str] = field(default_factory=list)
    retries: int = 1
    budget_usd: float | None = None
    sequential: bool = False
    max_trials: int | None = None
    decision_metric: str = "tokens_total"
    watch: bool = False
    runs_dirs: list[Path] = field(default_factory=list)  # where earlier runs live (cost/time estimates)


def arms_for(plugins: list[PluginInfo]) -> list[Arm]:
    """The baseline arm (nothing loaded) and one treatment arm per plugin under test, named after it."""
    arms = [Arm(BASELINE_ARM)]
    for plugin in plugins:
        name = plugin.name if plugin.name != BASELINE_ARM else f"{plugin.name}-plugin"
        if any(a.name == name for a in arms):
            name = f"{name}-{len(arms)}"
        arms.append(Arm(name, (plugin.path,), plugin.name))
    return arms


class Orchestrator:
    """Runs one run folder's plan; safe to call again on the same folder (runs only unfinished trials)."""

    def __init__(self, request: RunRequest, progress: LineProgress | None = None) -> None:
        self.request = request
        self.run = RunDir(request.run_dir)
        self.arms = {a.name: a for a in arms_for(request.plugins)}
        self.tasks = {t.id: t for t in request.tasks}
        self.codebases: dict[str, Codebase] = {}
        self.stop = threading.Event()
        self.progress = progress
        self.run_id = request.run_dir.name
        self.config_key = config_key(request.run_dir)
        self.stop_reason: str | None = None
        self.budget_note: str | None = None
        self.sequential_looks: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._running = 0
        self._spent = 0.0
        self._costs: list[float] = []
        self._signals: dict[int, Any] = {}
        self._plan = Plan()
        self._history_cost: float | None = None
        self._binary, self._version = "", None

    # preparation
    def prepare(self) -> tuple[Plan, TrialOptions, Any]:
        """Resolve the CLI, codebases and model endpoint; write run.json; return the plan."""
        binary = find_claude(self.request.claude_bin)
        if binary is None or not binary.exists():
            raise InputError("Claude Code CLI not found",
                             expected="`claude` on PATH, --claude-bin, or `make cli` to install the pinned version")
        version = cli_version(binary)
        for task in self.request.tasks:
            self.codebases[task.id] = prepare_codebase(task, self.run.path)
        plan = self.initial_plan()
        endpoint = None
        if self.request.rehearsal:
            from popkit_bench.rehearsal.endpoint import RehearsalEndpoint

            endpoint = RehearsalEndpoint()
        options = TrialOptions(
            binary=binary,
            run_id=self.run_id,
            timeout_s=self.request.timeout_s,
            max_turns=self.request.max_turns,
            max_budget_usd=self.request.max_budget_usd,
            model=self.request.model,
            keep_worktrees=self.request.keep_worktrees,
            tested_plugins=tuple(p.name for p in self.request.plugins),
            endpoint=endpoint,
            stop=self.stop,
            config_key=self.config_key,
        )
        self._binary, self._version = str(binary), version
        self._plan = plan
        self.write_run_json(plan)
        return plan, options, endpoint

    def initial_plan(self) -> Plan:
        """The stored plan (a resume keeps its order) grown to what is asked, or a new seeded plan."""
        existing = self.run.read_run_json() or {}
        task_ids, arm_names = list(self.tasks), list(self.arms)
        stored = existing.get("plan")
        if existing:
            self.check_same_request(existing)
        if isinstance(stored, list) and stored:
            plan = plan_from_json(stored, int(existing.get("seed", self.request.seed)))
            plan.keys = [k for k in plan.keys if k.task_id in self.tasks and k.arm in self.arms]
            self.sequential_looks = list((existing.get("sequential") or {}).get("looks") or [])
            if not self.request.sequential:
                return extend_plan(plan, task_ids, arm_names, self.request.trials)
            return plan if plan.keys else make_plan(task_ids, arm_names, self.request.trials, self.request.seed)
        return make_plan(task_ids, arm_names, self.request.trials, self.request.seed)

    def check_same_request(self, existing: dict[str, Any]) -> None:
        """A run folder holds one experiment: resuming it with other tasks or arms would mix two."""
        tasks = sorted(t.get("id") for t in existing.get("tasks") or [])
        arms = sorted(a.get("name") for a in existing.get("arms") or [])
        if tasks and (tasks != sorted(self.tasks) or arms != sorted(self.arms)):
            raise InputError(f"this run folder holds tasks {tasks} with arms {arms}, not {sorted(self.tasks)} "
                             f"with {sorted(self.arms)}", file=self.run.run_json_path,
                             expected="the same tasks and plugins (or `run --resume RUN_DIR`), or a new --run-dir")

    def write_run_json(self, plan: Plan) -> None:
        self.run.write_run_json(self.run_json(plan, self._binary, self._version))

    def run_json(self, plan: Plan, binary: str, version: str | None) -> dict[str, Any]:
        """run.json: what was asked (enough to re-create the request on resume) and the environment."""
        existing = self.run.read_run_json() or {}
        per_arm = trials_per_arm(plan) or self.request.trials
        data = {
            "schema": 1,
            "run_id": self.run_id,
            "created_at": existing.get("created_at") or utc_now(),
            "updated_at": utc_now(),
            "popkit_bench_version": __version__,
            "argv": self.request.argv,
            "rehearsal": self.request.rehearsal,
            "seed": plan.seed,
            "trials_per_arm": per_arm,
            "trials_requested": {task_id: {arm: per_arm for arm in self.arms} for task_id in self.tasks},
            "arms": [a.to_json() for a in self.arms.values()],
            "baseline_arm": BASELINE_ARM,
            "plugins": [p.to_json() for p in self.request.plugins],
            "tasks": [self.task_json(t) for t in self.request.tasks],
            "plan": plan.to_json(),
            "claude_code": {"binary": binary, "version": version},
            "model": self.request.model,
            "options": {
                "timeout_s": self.request.timeout_s,
                "max_turns": self.request.max_turns,
                "max_budget_usd": self.request.max_budget_usd,
                "budget_usd": self.request.budget_usd,
                "parallel": self.request.parallel,
                "retries": self.request.retries,
                "watch": self.request.watch,
                "keep_worktrees": self.request.keep_worktrees,
                "permission_mode": "acceptEdits",
                "sequential": self.request.sequential,
                "max_trials": self.request.max_trials,
                "decision_metric": self.request.decision_metric,
            },
            "environment": {
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "machine": platform.machine(),
            },
        }
        if self.request.sequential or self.sequential_looks:
            data["sequential"] = {"batch_size": self.request.trials, "max_trials": self.request.max_trials,
                                  "metric": self.request.decision_metric, "looks": self.sequential_looks,
                                  "stopped": self.sequential_stopped()}
        if self.stop_reason or self.budget_note:
            data["stopped_early"] = {"reason": self.stop_reason, "budget": self.budget_note}
        return data

    def sequential_stopped(self) -> dict[str, Any] | None:
        last = self.sequential_looks[-1] if self.sequential_looks else None
        if last and last.get("stop"):
            return {"look": last.get("look"), "reason": last.get("reason"), "message": last.get("message")}
        return None

    def task_json(self, task: TaskSpec) -> dict[str, Any]:
        codebase = self.codebases[task.id]
        return {
            "id": task.id,
            "category": task.category,
            "path": str(task.path),
            "description": task.description,
            "user_prompt": task.user_prompt,
            "verification": [v.command for v in task.verification],
            "timeout_seconds": task.timeout_seconds,
            "codebase": {"source": codebase.source, "ref": codebase.ref, "commit": codebase.commit,
                         "digest": codebase.digest},
            "responses_file": str(task.responses_path) if task.responses_path else None,
        }

    # the run
    def execute(self) -> list[dict[str, Any]]:
        """Run every planned trial that has no final record yet; return all records of the run.

        Raises RunInterrupted (exit 130) after Ctrl-C / SIGTERM, once the running trials are recorded.
        """
        lock = RunLock(self.run.path)
        lock.acquire()
        try:
            return self._execute()
        finally:
            lock.release()

    def _execute(self) -> list[dict[str, Any]]:
        cleanup = recover(self.run, self.config_key, keep=self._kept_worktrees())
        plan, options, endpoint = self.prepare()
        finals = self.run.final_records()
        self._spent = sum(_cost(r) for r in finals.values())
        self._costs = [_cost(r) for r in finals.values() if _has_cost(r)]
        todo = [k for k in plan.keys if k not in finals]
        progress = self.progress or make_progress(len(plan.keys), as_json=self.request.json_progress,
                                                  label=self.run_id)
        progress.total = len(plan.keys)
        progress.done = len(plan.keys) - len(todo)
        if cleanup.summary():
            progress.message(cleanup.summary() or "")
        progress.message(f"run folder: {self.run.path}")
        per_arm = trials_per_arm(plan)
        progress.message(
            f"plan: {len(self.tasks)} task(s) x {len(self.arms)} arms ({', '.join(self.arms)}) x {per_arm} trials = "
            f"{len(plan.keys)} trials ({len(todo)} to run, --parallel {self.request.parallel})"
            + (" with the scripted model" if endpoint else "")
        )
        if not self.request.rehearsal:
            runs_dirs = self.request.runs_dirs or [self.run.path.parent]
            guess = estimate(plan, len(todo), self.request.parallel, history(runs_dirs, exclude=self.run.path))
            progress.message(guess.text(self.request.parallel))
            self._history_cost = guess.cost_usd / len(todo) if guess.cost_usd is not None and todo else None
        else:
            self._history_cost = None
        if self.request.watch:
            self._enable_watch(options, progress)
        self._install_signals(progress)
        try:
            if endpoint is not None:
                endpoint.start()
            if self.request.sequential:
                self._run_sequential(plan, options, progress)
            else:
                self._run_keys(todo, options, progress)
        finally:
            self._restore_signals()
            if endpoint is not None:
                endpoint.stop()
            if self.stop.is_set():
                self._clean_after_interrupt()
            remove_config_root(self.config_key)
            self.write_run_json(self._plan)
            progress.close()
        if self.stop.is_set():
            done = self.run.finished_keys()
            left = sum(k not in done for k in self._plan.keys)
            raise RunInterrupted(f"interrupted ({self.stop_reason}); {left} trial(s) left: "
                                 f"resume with `popkit-bench run --resume {self.run.path}`")
        return self.run.read_results()

    def _run_keys(self, keys: list[TrialKey], options: TrialOptions, progress: LineProgress) -> None:
        workers = max(1, self.request.parallel)
        pending: set[Future] = set()
        queue = list(keys)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trial") as pool:
            while queue or pending:
                while queue and len(pending) < workers and not self.stop.is_set() and self._budget_allows(
                        len(queue), progress):
                    key = queue.pop(0)
                    with self._lock:
                        self._running += 1
                    progress.trial_started(key)
                    pending.add(pool.submit(self._one, key, options, progress))
                if not pending:
                    break
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()

    def _budget_allows(self, left: int, progress: LineProgress) -> bool:
        """False (once said) when spent + running + the next trial's expected cost would exceed --budget-usd."""
        budget = self.request.budget_usd
        if budget is None or self.budget_note is not None:
            return self.budget_note is None
        with self._lock:
            expected = mean(self._costs) if self._costs else self._history_cost
            if expected is None:
                return True
            committed = self._spent + self._running * expected
        if committed + expected <= budget:
            return True
        self.budget_note = (f"spent ${self._spent:.4f} of --budget-usd ${budget:.2f}; the next trial is expected to "
                            f"cost ${expected:.4f}: not starting the remaining {left} trial(s)")
        progress.message("budget: " + self.budget_note)
        return False

    def _one(self, key: TrialKey, options: TrialOptions, progress: LineProgress) -> None:
        ctx = TrialContext(key, self.tasks[key.task_id], self.arms[key.arm], self.codebases[key.task_id],
                           self.run, options)
        earlier: list[dict[str, Any]] = []
        try:
            while True:
                record = run_trial(ctx)
                if self.stop.is_set():
                    record = as_interrupted(record, self.stop_reason)
                    break
                reason = infra_failure(record, self.run.trial_dir(key))
                if reason is None or len(earlier) >= self.request.retries:
                    break
                earlier.append({"attempt": len(earlier) + 1, "status": record["status"], "reason": reason,
                                "session_id": record.get("session_id")})
                self._keep_attempt(key, len(earlier))
                progress.message(f"retrying {key.task_id} {key.arm} #{key.trial}: {reason} "
                                 f"(attempt {len(earlier) + 1} of {self.request.retries + 1})")
            record["attempts"] = len(earlier) + 1
            if earlier:
                record["earlier_attempts"] = earlier
                self._restore_attempts(key)
            self.run.append_result(record)
        finally:
            with self._lock:
                self._running -= 1
        with self._lock:
            if record["status"] != "interrupted" and _has_cost(record):
                self._spent += _cost(record)
                self._costs.append(_cost(record))
        progress.trial_finished(key, record)

    def _keep_attempt(self, key: TrialKey, attempt: int) -> None:
        """Move a failed attempt's folder aside (run_trial starts from an empty trial folder)."""
        trial_dir = self.run.trial_dir(key)
        if trial_dir.exists():
            trial_dir.rename(trial_dir.with_name(f"{trial_dir.name}.attempt-{attempt}"))

    def _restore_attempts(self, key: TrialKey) -> None:
        trial_dir = self.run.trial_dir(key)
        for old in sorted(trial_dir.parent.glob(f"{trial_dir.name}.attempt-*")):
            target = trial_dir / "attempts" / old.name.rsplit("-", 1)[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            old.rename(target)

    # sequential
    def _run_sequential(self, plan: Plan, options: TrialOptions, progress: LineProgress) -> None:
        from popkit_bench.analysis.sequential import sequential_decision

        batch = self.request.trials
        max_trials = self.request.max_trials or batch * 4
        while not self.stop.is_set():
            finals = self.run.final_records()
            self._run_keys([k for k in self._plan.keys if k not in finals], options, progress)
            if self.stop.is_set() or self.budget_note:
                return
            per_arm = trials_per_arm(self._plan)
            look = per_arm // batch if per_arm % batch == 0 else per_arm // batch + 1
            if not any(entry.get("look") == look for entry in self.sequential_looks):
                base, treat = self._decision_values()
                decision = sequential_decision(base, treat, look, self._sequential_plan(max_trials, base + treat))
                entry = {"look": look, "trials_per_arm": per_arm, "at": utc_now(), **decision.to_json()}
                self.sequential_looks.append(entry)
                progress.message(f"sequential look {look}: {decision.message}" + (
                    f" -> stop ({decision.reason})" if decision.stop else " -> next batch"))
                self.write_run_json(self._plan)
            last = self.sequential_looks[-1]
            if last.get("stop") or per_arm >= max_trials:
                return
            grown = extend_plan(self._plan, list(self.tasks), list(self.arms), min(max_trials, per_arm + batch))
            self._plan = grown
            progress.total = len(grown.keys)
            self.write_run_json(self._plan)

    def _sequential_plan(self, max_trials: int, values: list[float]) -> Any:
        from popkit_bench.analysis.metrics_catalog import spec_for
        from popkit_bench.analysis.sequential import SequentialPlan

        spec = spec_for(self.request.decision_metric)
        kind = spec.kind
        if kind == "fraction":
            kind = "binary" if all(v in (0, 1) for v in values) else "continuous"
        return SequentialPlan(max_trials=max_trials, batch_size=self.request.trials, kind=kind, scale=spec.scale,
                              direction=spec.direction)

    def _decision_values(self) -> tuple[list[float], list[float]]:
        """The decision metric of usable trials: baseline vs the first treatment arm (pooled over tasks)."""
        treatment = next((a for a in self.arms if a != BASELINE_ARM), None)
        base: list[float] = []
        treat: list[float] = []
        for record in self.run.final_records().values():
            if record.get("status") not in ("completed", "failed"):
                continue
            value = number((record.get("metrics") or {}).get(self.request.decision_metric))
            if value is None:
                continue
            if record["arm"] == BASELINE_ARM:
                base.append(value)
            elif record["arm"] == treatment:
                treat.append(value)
        return base, treat

    # watch mode
    def _enable_watch(self, options: TrialOptions, progress: LineProgress) -> None:
        from popkit_bench.watch.window_runner import WindowRunner, window_support

        support = window_support()
        if support.terminal is None:
            progress.message(f"watch: {support.reason}; running headless instead")
            return
        progress.message(f"watch: each trial opens a {support.terminal} window")
        options.agent_runner = WindowRunner(support.terminal, self.stop)

    # interrupts
    def _install_signals(self, progress: LineProgress) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: Any) -> None:
            name = signal.Signals(signum).name
            if self.stop.is_set():  # second Ctrl-C: kill everything at once
                print(f"popkit-bench: {name} again: killing all trials now", file=sys.stderr, flush=True)
                kill_descendants(hard=True)
                os._exit(EXIT_INTERRUPTED)
            self.stop_reason = name
            self.stop.set()
            print(f"popkit-bench: {name}: stopping; running trials are terminated and recorded 'interrupted' "
                  "(press Ctrl-C again to kill at once)", file=sys.stderr, flush=True)
            threading.Thread(target=kill_descendants, name="trial-killer", daemon=True).start()

        for sig in (signal.SIGINT, signal.SIGTERM):
            self._signals[sig] = signal.signal(sig, handler)

    def _restore_signals(self) -> None:
        for sig, previous in self._signals.items():
            signal.signal(sig, previous)
        self._signals.clear()

    def _clean_after_interrupt(self) -> None:
        """Make sure nothing of the stopped trials lives on: processes, worktrees, config folders."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not kill_descendants(grace_s=2):
                break
        remove_worktrees(self.run.path, self._kept_worktrees())

    def _kept_worktrees(self) -> set[str]:
        """Worktree names to keep (finished trials' ones, with --keep-worktrees)."""
        return {k.slug for k in self.run.finished_keys()} if self.request.keep_worktrees else set()


def as_interrupted(record: dict[str, Any], signal_name: str | None) -> dict[str, Any]:
    """A record of a trial that was running when the run was stopped (its numbers do not count)."""
    record = dict(record)
    if record.get("status") != "interrupted":
        record["status_before_interrupt"] = record.get("status")
    record["status"] = "interrupted"
    record["status_reason"] = f"run interrupted ({signal_name or 'stop'}); resume runs this trial again"
    return record


def _has_cost(record: dict[str, Any]) -> bool:
    return number((record.get("metrics") or {}).get("cost_usd")) is not None


def _cost(record: dict[str, Any]) -> float:
    return number((record.get("metrics") or {}).get("cost_usd")) or 0.0
