"""`run`: prepare the run folder (CLI, codebases, plan, run.json), then hand the plan to the scheduler.

Holds the run lock for the whole run; cleans up what a killed earlier run left (recovery.py); writes
run.json again when the plan grows or the run stops.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.agent.cli_locator import cli_version, find_claude
from popkit_bench.analysis.sequential import design_sentence
from popkit_bench.errors import InputError
from popkit_bench.execution.arm_purity import Forbidden
from popkit_bench.execution.arms_setup import ArmsSetup, journal_reused, prepare_arms
from popkit_bench.execution.executor import Executor
from popkit_bench.execution.local import LocalExecutor
from popkit_bench.execution.model_access import ModelAccess
from popkit_bench.execution.progress import LineProgress, make_progress
from popkit_bench.execution.recovery import config_key, recover, remove_config_root, remove_worktrees
from popkit_bench.execution.run_json import RunDescription, run_json
from popkit_bench.execution.scheduler import ScheduleOptions, Scheduler, ScheduleState
from popkit_bench.execution.sequential_looks import SequentialOptions
from popkit_bench.execution.spec import TrialSettings, TrialSpec
from popkit_bench.planning.arms_file import ArmsFile, arms_from_plugins
from popkit_bench.planning.estimate import estimate, history
from popkit_bench.planning.plan import (
    BASELINE_ARM,
    Plan,
    TrialKey,
    extend_plan,
    make_plan,
    plan_from_json,
)
from popkit_bench.planning.plugin_info import PluginInfo
from popkit_bench.process.tree import kill_descendants
from popkit_bench.record.rundir import RunDir, RunLock
from popkit_bench.record.trial_record import TrialRecord
from popkit_bench.sandbox.executor import ConfinedExecutor
from popkit_bench.sandbox.probe import LEVEL_NONE, SandboxChoice
from popkit_bench.sandbox.runtime import SandboxRuntime
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.codebase import Codebase, prepare_codebase
from popkit_bench.workspace.task_digests import take_digests

GB = 1024 ** 3
MEMORY_PER_TRIAL_GB = 1.5
MAX_DEFAULT_PARALLEL = 8


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
    arms: ArmsFile | None = None  # --arms; None: a baseline plus one arm per plugin (--plugin-dir)
    reuse: list[Path] = field(default_factory=list)  # --reuse: earlier run folders whose matching arms count
    sandbox: SandboxChoice = field(default_factory=lambda: SandboxChoice(LEVEL_NONE, LEVEL_NONE))
    executor: str = "local"  # "local" or "ray" (each trial a Ray task; parallel 0 = the cluster's trial slots)
    ray_address: str | None = None
    api_concurrency: int | None = None
    api_rate_per_min: float | None = None


class BenchmarkRun:
    """One run folder's plan, run through the scheduler; safe to call again (runs only unfinished trials)."""

    def __init__(self, request: RunRequest, progress: LineProgress | None = None) -> None:
        self.request = request
        self.run = RunDir(request.run_dir)
        self.arms_file = request.arms or arms_from_plugins(request.plugins, BASELINE_ARM)
        self.arms = {a.name: a for a in self.arms_file.arms}
        self.baseline = self.arms_file.baseline
        self.setup: ArmsSetup | None = None
        self.tasks = {t.id: t for t in request.tasks}
        self.codebases: dict[str, Codebase] = {}
        self.progress = progress
        self.config_key = config_key(request.run_dir)
        self.description = RunDescription(request.run_dir.name, request, list(self.arms.values()), self.baseline)
        self.sequential: SequentialOptions | None = None
        self.stop = threading.Event()
        self.digests = take_digests(request.tasks)  # checked before each trial starts (a changed task stops the run)
        self.ray: Any = None  # the RaySession with --executor ray

    def execute(self) -> list[TrialRecord]:
        """Run every planned trial that has no final record yet; return all records of the run."""
        lock = RunLock(self.run.path)
        lock.acquire()
        try:
            return self._execute()
        finally:
            lock.release()

    def _execute(self) -> list[TrialRecord]:
        cleanup = recover(self.run, self.config_key, keep=self._kept_worktrees())
        binary, plan = self.prepare()
        progress = self.progress or make_progress(len(plan.keys), as_json=self.request.json_progress,
                                                  label=self.description.run_id)
        access = ModelAccess(rehearsal=self.request.rehearsal, sandbox=self.request.sandbox, run_dir=self.run.path,
                             claude_binary=binary, budget_usd=self.request.budget_usd)
        scheduler = Scheduler(self.run, self.executor(progress, access.runtime),
                              self.spec_maker(binary, access.endpoint),
                              self.schedule_options(plan, progress, cleanup.summary()), progress,
                              after_trial=access.after_trial, on_state=self.state_changed, stop=self.stop)
        try:
            with access:
                return scheduler.run(plan)
        finally:
            if scheduler.stop.is_set():
                self._clean_after_interrupt()
            remove_config_root(self.config_key)
            progress.close()
            if self.ray is not None:
                self.ray.close()

    def prepare(self) -> tuple[Path, Plan]:
        """Resolve the CLI and codebases; write run.json; return the CLI and the plan."""
        binary = find_claude(self.request.claude_bin)
        if binary is None or not binary.exists():
            raise InputError("Claude Code CLI not found",
                             expected="`claude` on PATH, --claude-bin, or `make cli` to install the pinned version")
        self.description.claude = {"binary": str(binary), "version": cli_version(binary)}
        for task in self.request.tasks:
            self.codebases[task.id] = prepare_codebase(task, self.run.path)
        self.description.codebases = self.codebases
        self.setup = self.prepare_arms(binary)
        plan = self.initial_plan()
        self.journal_reused(plan)
        self.write_state(ScheduleState(plan))
        return binary, plan

    def initial_plan(self) -> Plan:
        """The stored plan (a resume keeps its order) grown to what is asked, or a new seeded plan."""
        existing = self.run.read_run_json() or {}
        task_ids, arm_names = list(self.tasks), list(self.arms)
        if existing:
            self.check_same_request(existing)
        if self.request.sequential:
            looks = list((existing.get("sequential") or {}).get("looks") or [])
            treatment = next((a for a in self.arms if a != self.baseline), None)
            self.sequential = SequentialOptions(self.request.trials, self.request.max_trials or self.request.trials * 4,
                                                self.request.decision_metric, self.baseline, treatment, looks)
        stored = existing.get("plan")
        if isinstance(stored, list) and stored:
            plan = plan_from_json(stored, int(existing.get("seed", self.request.seed)))
            plan.keys = [k for k in plan.keys if k.task_id in self.tasks and k.arm in self.arms]
            if not self.request.sequential:
                return extend_plan(plan, task_ids, arm_names, self.request.trials)
            if plan.keys:
                return plan
        return make_plan(task_ids, arm_names, self.request.trials, self.request.seed)

    def prepare_arms(self, binary: Path) -> ArmsSetup:
        """Each arm's CLI (npm installs), the fingerprints and what --reuse takes (run.json keys)."""
        req = self.request
        limits = {"timeout_s": req.timeout_s, "max_turns": req.max_turns, "max_budget_usd": req.max_budget_usd,
                  "permission_mode": TrialSettings().permission_mode}
        setup = prepare_arms(self.arms_file, req.tasks, self.codebases, default_binary=binary,
                             default_version=self.description.claude.get("version"), run_model=req.model,
                             sandbox=req.sandbox.level, limits=limits, rehearsal=req.rehearsal,
                             reuse_dirs=req.reuse)
        self.description.extra = {k: v for k, v in setup.run_json().items() if k not in ("arms", "baseline_arm")}
        return setup

    def journal_reused(self, plan: Plan) -> None:
        """Write the reused trials (--reuse) that have no record yet into results.jsonl."""
        if self.setup is None or not self.setup.reuse:
            return
        done = {(k.task_id, k.arm, k.trial) for k in self.run.finished_keys()}
        per_arm = max((k.trial for k in plan.keys), default=0)
        journal_reused(self.setup, self.description.run_id, per_arm, done, self.run.append_result)

    def check_same_request(self, existing: dict[str, Any]) -> None:
        """A run folder holds one experiment: resuming it with other tasks or arms would mix two."""
        tasks = sorted(t.get("id") for t in existing.get("tasks") or [])
        arms = sorted(a.get("name") for a in existing.get("arms") or [])
        if tasks and (tasks != sorted(self.tasks) or arms != sorted(self.arms)):
            raise InputError(f"this run folder holds tasks {tasks} with arms {arms}, not {sorted(self.tasks)} "
                             f"with {sorted(self.arms)}", file=self.run.run_json_path,
                             expected="the same tasks and plugins (or `run --resume RUN_DIR`), or a new --run-dir")

    def state_changed(self, state: ScheduleState) -> None:
        """The scheduler's on_state: a sequential run that grew its plan first counts the reused trials of
        the new batch (--reuse), then run.json is written."""
        self.journal_reused(state.plan)
        self.write_state(state)

    def write_state(self, state: ScheduleState) -> None:
        """run.json: what was asked, the environment, and how the run went so far."""
        existing = self.run.read_run_json() or {}
        if self.ray is not None:
            self.description.executor = self.ray.describe()
        self.run.write_run_json(run_json(self.description, state, self.sequential, existing))

    def spec_maker(self, binary: Path, endpoint: Any) -> Any:
        """The scheduler's spec_for(key): a self-contained TrialSpec per trial."""
        req = self.request
        settings = TrialSettings(timeout_s=req.timeout_s, max_turns=req.max_turns, max_budget_usd=req.max_budget_usd,
                                 model=req.model, keep_worktree=req.keep_worktrees)
        setup = self.setup
        forbidden = {name: Forbidden.of([a for a in self.arms.values() if a.name != name]) for name in self.arms}

        def spec_for(key: TrialKey) -> TrialSpec:
            self.digests.verify()
            task, arm = self.tasks[key.task_id], self.arms[key.arm]
            url = endpoint.base_url_for(key.slug, task, arm) if endpoint else None
            bin_, version = setup.binaries[arm.name] if setup else (binary, self.description.claude.get("version"))
            other = forbidden[arm.name]
            return TrialSpec(run_id=self.description.run_id, key=key, task=task, arm=arm,
                             codebase=self.codebases[key.task_id], settings=settings, tested_plugins=other.plugins,
                             model_base_url=url, config_key=self.config_key, claude_bin=bin_,
                             claude_version=version, forbidden_skills=other.skills,
                             forbidden_mcp_servers=other.mcp_servers)

        return spec_for

    def executor(self, progress: LineProgress, runtime: SandboxRuntime) -> Executor:
        """The local executor (with a terminal window per trial under --watch), confined by `runtime`:
        the sandbox level of the run and the model gateway."""
        if self.request.executor == "ray":  # the nodes confine each trial at the run's sandbox level
            return self.ray_executor(progress, runtime.level)
        runner = None
        if self.request.watch:
            from popkit_bench.watch.window_runner import WindowRunner, window_support

            support = window_support()
            if support.terminal is None:
                progress.message(f"watch: {support.reason}; running headless instead")
            else:
                progress.message(f"watch: each trial opens a {support.terminal} window")
                runner = WindowRunner(support.terminal, self.stop)
        root = self.run.path / "worktrees"
        return ConfinedExecutor(runtime, lambda confinement: LocalExecutor(root, agent_runner=runner,
                                                                            confinement=confinement))

    def ray_executor(self, progress: LineProgress, sandbox: str) -> Executor:
        """Connect to the cluster; without --parallel, run as many trials at once as it has trial slots."""
        from popkit_bench.execution.ray.session import RayOptions, RaySession

        req = self.request
        self.ray = RaySession(RayOptions(req.ray_address, req.api_concurrency, req.api_rate_per_min,
                                         local_slots=req.parallel or default_parallel(), sandbox=sandbox),
                              self.description.run_id, self.run.path / "worktrees")
        self.description.executor = self.ray.describe()
        if not req.parallel:
            req.parallel = self.ray.slots
        progress.message(self.ray.summary())
        return self.ray.executor

    def schedule_options(self, plan: Plan, progress: LineProgress, recovered: str | None) -> ScheduleOptions:
        """Say what will run (and what it may cost), and how."""
        req = self.request
        todo = len(plan.keys) - len(self.run.finished_keys() & set(plan.keys))
        if recovered:
            progress.message(recovered)
        progress.message(f"run folder: {self.run.path}")
        per_arm = max((k.trial for k in plan.keys), default=0)
        progress.message(
            f"plan: {len(self.tasks)} task(s) x {len(self.arms)} arms ({', '.join(self.arms)}) x {per_arm} trials = "
            f"{len(plan.keys)} trials ({todo} to run, --parallel {req.parallel})"
            + (" with the scripted model" if req.rehearsal else ""))
        for line in self.setup.plan_lines() if self.setup else []:
            progress.message(line)
        if self.sequential is not None:
            progress.message("sequential: " + design_sentence(self.sequential.plan().describe()))
        history_cost = None
        if not req.rehearsal:
            runs_dirs = req.runs_dirs or [self.run.path.parent]
            guess = estimate(plan, todo, req.parallel, history(runs_dirs, exclude=self.run.path))
            progress.message(guess.text(req.parallel))
            history_cost = guess.cost_usd / todo if guess.cost_usd is not None and todo else None
        return ScheduleOptions(parallel=req.parallel, retries=req.retries, budget_usd=req.budget_usd,
                               history_cost_usd=history_cost, sequential=self.sequential)

    def _clean_after_interrupt(self) -> None:
        """Make sure nothing of the stopped trials lives on: processes, worktrees, config folders."""
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not kill_descendants(grace_s=2):
                break
        remove_worktrees(self.run.path, self._kept_worktrees())

    def _kept_worktrees(self) -> set[str]:
        """Worktree names to keep (finished trials' ones, with --keep-worktrees)."""
        return {k.slug for k in self.run.finished_keys()} if self.request.keep_worktrees else set()
