"""Run every (query, description variant, run) session as a trial of the shared scheduler and local executor.

The run folder `<output>/_run/` holds run.json, the results.jsonl journal and `trials/<query>/<variant>/<k>/`
(stream.jsonl, transcript/ with subagents, stderr.txt). The scheduler gives the run a lock, resume (the same
command with the same --output runs only what is missing), interrupts, retries of infrastructure failures,
timeouts and a budget. Observations are read back from the trial folders, so a resumed run sees them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.execution.local import LocalExecutor
from popkit_bench.execution.model_access import ModelAccess
from popkit_bench.execution.progress import LineProgress
from popkit_bench.execution.recovery import config_key, recover, remove_config_root, remove_worktrees
from popkit_bench.execution.scheduler import ScheduleOptions, Scheduler
from popkit_bench.execution.spec import TrialSettings, TrialSpec
from popkit_bench.planning.plan import Arm, Plan, TrialKey, make_plan, plan_from_json
from popkit_bench.record.rundir import RunDir, RunLock, utc_now
from popkit_bench.record.trial_record import TrialRecord
from popkit_bench.sandbox.executor import ConfinedExecutor
from popkit_bench.sandbox.probe import LEVEL_NONE, SandboxChoice
from popkit_bench.skill.triggers.config import TriggerConfig
from popkit_bench.skill.triggers.detect import EXCLUDED, Observation, observe_trial
from popkit_bench.skill.triggers.install import Installation, variant_codebase
from popkit_bench.skill.triggers.queries import TriggerQuery
from popkit_bench.tasks.spec import TaskSpec

RUN_FOLDER = "_run"
Observations = dict[str, dict[str, list[Observation]]]  # {variant label: {query id: [run 1, run 2, ...]}}


@dataclass
class TriggerTrials:
    """All sessions of one `skill triggers` run."""

    config: TriggerConfig
    queries: list[TriggerQuery]
    queries_file: Path
    installations: list[Installation]
    runs: int
    out_dir: Path
    binary: Path
    progress: LineProgress
    rehearsal: bool = False
    parallel: int = 4
    timeout_s: float = 300.0
    max_turns: int | None = None
    seed: int = 0
    retries: int = 1
    budget_usd: float | None = None
    resume_hint: str | None = None
    sandbox: SandboxChoice = field(default_factory=lambda: SandboxChoice(LEVEL_NONE, LEVEL_NONE))


def run_trials(req: TriggerTrials) -> Observations:
    """Run the sessions not yet journalled in `<output>/_run/`; return every session's observation."""
    run = RunDir(req.out_dir / RUN_FOLDER)
    run.path.mkdir(parents=True, exist_ok=True)
    lock = RunLock(run.path)
    lock.acquire()
    key = config_key(run.path)
    try:
        cleanup = recover(run, key)
        if cleanup.summary():
            req.progress.message(cleanup.summary() or "")
        setup = TriggerSetup.prepare(req, run, key)
        setup.schedule()
        return setup.observations()
    finally:
        remove_config_root(key)
        lock.release()


@dataclass
class TriggerSetup:
    """The run's arms (one per description variant), tasks (one per query), codebases and plan."""

    req: TriggerTrials
    run: RunDir
    config_key: str
    arms: dict[str, Arm]
    tasks: dict[str, TaskSpec]
    codebases: dict[str, Any]
    plan: Plan

    @classmethod
    def prepare(cls, req: TriggerTrials, run: RunDir, key: str) -> TriggerSetup:
        arms = {i.label: Arm(i.label, i.plugin_dirs, i.skill_name) for i in req.installations}
        codebases = {i.label: variant_codebase(i, run.path / "codebases") for i in req.installations}
        tasks = {q.id: query_task(q, req, codebases["skill"].repo) for q in req.queries}
        wanted = make_plan(list(tasks), list(arms), req.runs, req.seed)
        stored = (run.read_run_json() or {}).get("plan")
        plan = plan_from_json(stored, req.seed) if isinstance(stored, list) and stored else wanted
        if set(plan.keys) != set(wanted.keys):
            raise InputError("the output folder holds a run of other queries, runs or descriptions", file=run.path,
                             expected="a new --output, or the same QUERIES.json, --runs and --compare to resume")
        setup = cls(req, run, key, arms, tasks, codebases, plan)
        setup.write_run_json()
        return setup

    @property
    def run_id(self) -> str:
        return f"triggers-{self.req.config.skill.name}-{self.req.out_dir.name}"

    def write_run_json(self) -> None:
        existing = self.run.read_run_json() or {}
        self.run.write_run_json({
            "schema": 1, "kind": "skill-triggers", "run_id": self.run_id,
            "created_at": existing.get("created_at") or utc_now(), "updated_at": utc_now(),
            "skill_name": self.req.config.skill.name, "config": str(self.req.config.path),
            "queries": str(self.req.queries_file), "arms": [a.to_json() for a in self.arms.values()],
            "rehearsal": self.req.rehearsal, "runs_per_query": self.req.runs, "plan": self.plan.to_json(),
            "seed": self.req.seed,
        })

    def schedule(self) -> list[TrialRecord]:
        """Run the plan's unfinished sessions."""
        req = self.req
        access = ModelAccess(rehearsal=req.rehearsal, sandbox=req.sandbox, run_dir=self.run.path,
                             claude_binary=req.binary, budget_usd=req.budget_usd)
        options = ScheduleOptions(parallel=max(1, req.parallel), retries=req.retries, budget_usd=req.budget_usd,
                                  resume_hint=req.resume_hint)
        root = self.run.path / "worktrees"
        executor = ConfinedExecutor(access.runtime, lambda confinement: LocalExecutor(root, confinement=confinement))
        scheduler = Scheduler(self.run, executor, self.spec_maker(access.endpoint), options, req.progress,
                              after_trial=access.after_trial)
        try:
            with access:
                return scheduler.run(self.plan)
        finally:
            remove_worktrees(self.run.path, set())
            req.progress.close()

    def spec_maker(self, endpoint: Any) -> Any:
        req = self.req
        settings = TrialSettings(timeout_s=req.timeout_s, max_turns=req.max_turns, model=req.config.model,
                                 setting_sources="project" if req.config.project_skill else "")

        def spec_for(key: TrialKey) -> TrialSpec:
            task, arm = self.tasks[key.task_id], self.arms[key.arm]
            url = endpoint.base_url_for(key.slug, task, arm) if endpoint else None
            return TrialSpec(run_id=self.run_id, key=key, task=task, arm=arm, codebase=self.codebases[key.arm],
                             settings=settings, tested_plugins=(req.config.skill.name,), model_base_url=url,
                             config_key=self.config_key, claude_bin=req.binary)

        return spec_for

    def observations(self) -> Observations:
        """Each planned session's observation, from its final record and its trial folder."""
        finals = self.run.final_records()
        rivals = tuple(r.name for r in self.req.config.rivals)
        out: Observations = {label: {q.id: [] for q in self.req.queries} for label in self.arms}
        for key in sorted(self.plan.keys, key=lambda k: (k.arm, k.task_id, k.trial)):
            record = finals.get(key)
            obs = Observation(False, EXCLUDED, "not run (budget reached)") if record is None else \
                observe_trial(self.run.trial_dir(key), record, self.req.config.skill.name, rivals, self.req.out_dir)
            out[key.arm][key.task_id].append(obs)
        return out


def query_task(query: TriggerQuery, req: TriggerTrials, repo: Path) -> TaskSpec:
    """The engine's task for one query: its text is the prompt; no verification; the trigger play."""
    return TaskSpec(id=query.id, category="skill-trigger", description=query.query[:120], codebase=str(repo),
                    initial_state="main", user_prompt=query.query, verification=(), path=req.queries_file,
                    timeout_seconds=int(req.timeout_s), play_path=req.config.trigger_play)
