"""Run one iteration's trials through the scheduler: each eval x {with_skill, baseline} x trials_per_eval
(or, with `--arms`, each eval x the arms file's arms, skill/arms.py).

Every trial runs through the same executor as `run` (worktree, isolated claude, metrics, record); the
scheduler gives the iteration a run lock, resume, interrupts, retries, timeouts and a budget. After each
trial its worktree is graded against the eval's assertions and its run folder written.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from popkit_bench.agent.cli_locator import cli_version, find_claude
from popkit_bench.errors import InputError
from popkit_bench.execution.arm_purity import Forbidden
from popkit_bench.execution.arms_setup import ArmsSetup, prepare_arms
from popkit_bench.execution.local import LocalExecutor
from popkit_bench.execution.model_access import ModelAccess
from popkit_bench.execution.progress import LineProgress
from popkit_bench.execution.recovery import config_key, recover, remove_config_root, remove_worktrees
from popkit_bench.execution.scheduler import ScheduleOptions, Scheduler
from popkit_bench.execution.spec import TrialSettings, TrialSpec
from popkit_bench.planning.arms_file import ArmsFile
from popkit_bench.planning.plan import Arm, Plan, TrialKey, make_plan, plan_from_json
from popkit_bench.record.rundir import RunDir, RunLock, utc_now
from popkit_bench.record.trial_record import ERROR, TrialRecord
from popkit_bench.sandbox.executor import ConfinedExecutor
from popkit_bench.sandbox.probe import LEVEL_NONE, SandboxChoice
from popkit_bench.sandbox.runtime import SandboxRuntime
from popkit_bench.skill.arms import SKILL_ARMS_KEY, SkillArms, skill_arms
from popkit_bench.skill.checks import LlmJudge, TrialOutput, grade
from popkit_bench.skill.config import BenchmarkConfig
from popkit_bench.skill.evals import EvalCase, EvalSet
from popkit_bench.skill.jsonio import write_json
from popkit_bench.skill.layout import (
    NO_SKILL,
    OLD_SKILL,
    RUN_FOLDER,
    SNAPSHOT,
    WITH_SKILL,
    iteration_dir,
    iteration_number,
    run_dir,
    write_run,
)
from popkit_bench.skill.wrap import snapshot_skill, wrap_skill
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.git import commit_folder, git
from popkit_bench.workspace.worktree import remove_worktree

DEFAULT_TIMEOUT_S = 600


@dataclass
class IterationRequest:
    """One iteration to run (or to finish, when its run folder already holds trials)."""

    config: BenchmarkConfig
    eval_set: EvalSet
    iteration: Path
    rehearsal: bool = False
    claude_bin: str | None = None
    parallel: int | None = None
    seed: int = 0
    keep_worktrees: bool = False
    progress: LineProgress | None = None
    timeout_s: float | None = None
    retries: int = 1
    budget_usd: float | None = None
    sandbox: SandboxChoice = field(default_factory=lambda: SandboxChoice(LEVEL_NONE, LEVEL_NONE))
    executor: str = "local"  # or "ray": each trial a Ray task (execution/ray/)
    ray_options: Any = None  # execution.ray.session.RayOptions with --executor ray
    arms_file: ArmsFile | None = None  # --arms: the arms file's arms instead of with_skill + baseline


def previous_skill(cfg: BenchmarkConfig, iteration: Path) -> Path:
    """The `previous` baseline: previous_skill_path, else the previous iteration's skill snapshot."""
    if cfg.previous_skill_path is not None:
        return cfg.previous_skill_path
    number = iteration_number(iteration)
    if number is not None and number > 1:
        snapshot = iteration_dir(iteration.parent, number - 1) / SNAPSHOT
        if (snapshot / "SKILL.md").is_file():
            return snapshot
    raise InputError("baseline_type 'previous' needs an older version of the skill", file=cfg.path,
                     field="baseline_type",
                     expected="previous_skill_path in the config, or a previous iteration with a skill-snapshot/")


def ensure_snapshot(cfg: BenchmarkConfig, iteration: Path) -> Path:
    """The iteration's skill snapshot, taken now unless it exists (a resumed iteration keeps its skill)."""
    snapshot = iteration / SNAPSHOT
    if not (snapshot / "SKILL.md").is_file():
        snapshot_skill(cfg.skill_path, snapshot)
    return snapshot


def make_arms(cfg: BenchmarkConfig, iteration: Path) -> list[Arm]:
    """with_skill loads the wrapped skill; the baseline loads nothing, or the wrapped previous version."""
    plugins = iteration / RUN_FOLDER / "plugins"
    base_skill = previous_skill(cfg, iteration) if cfg.baseline_type == "previous" else None
    snapshot = ensure_snapshot(cfg, iteration)
    arms = [Arm(WITH_SKILL, (wrap_skill(snapshot, cfg.skill_name, cfg.skill_name, plugins / WITH_SKILL),),
                cfg.skill_name)]
    if base_skill is None:
        arms.append(Arm(NO_SKILL))
    else:
        old_name = f"{cfg.skill_name}-previous"
        arms.append(Arm(OLD_SKILL, (wrap_skill(base_skill, cfg.skill_name, old_name, plugins / OLD_SKILL),), old_name))
    return arms


def eval_codebase(case: EvalCase, root: Path) -> Codebase:
    """A git repo holding the eval's input files (by base name, at the top); trials get worktrees of it."""
    repo = root / case.folder_name
    if not (repo / ".git").exists():
        if repo.exists():
            shutil.rmtree(repo)
        repo.mkdir(parents=True)
        for source in case.files:
            target = repo / source.name
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
        commit_folder(repo, f"inputs of {case.folder_name}", allow_empty=True)
    commit = git("rev-parse", "HEAD", cwd=repo).strip()
    return Codebase(repo, commit, "main", f"skill-eval:{case.folder_name}")


def eval_task(case: EvalCase, cfg: BenchmarkConfig, codebase: Codebase) -> TaskSpec:
    """The engine's task for one eval (no verification commands: assertions are graded afterwards)."""
    timeout = case.timeout_seconds or cfg.timeout_seconds or DEFAULT_TIMEOUT_S
    return TaskSpec(
        id=case.folder_name, category="skill-eval", description=case.name, codebase=str(codebase.repo),
        initial_state="main", user_prompt=case.prompt, verification=(), path=cfg.eval_set_path,
        expected_outcomes=(case.expected_output,) if case.expected_output else (), timeout_seconds=int(timeout),
        play_path=case.play,
    )


def write_metadata(iteration: Path, case: EvalCase, trials: int, arms: list[Any]) -> None:
    write_json(iteration / case.folder_name / "eval_metadata.json", {
        "eval_id": case.id, "eval_name": case.name, "prompt": case.prompt,
        "expected_output": case.expected_output, "assertions": [a.to_json() for a in case.assertions],
        "trials_requested": {arm.name: trials for arm in arms},
    })


def run_iteration(req: IterationRequest) -> list[TrialRecord]:
    """Run every trial not yet recorded in `<iteration>/_run/results.jsonl` through the scheduler (run lock,
    resume, interrupts, retries, timeout, budget, progress); write the run folders."""
    req.iteration.mkdir(parents=True, exist_ok=True)
    run = RunDir(req.iteration / RUN_FOLDER)
    lock = RunLock(run.path)
    lock.acquire()
    key = config_key(run.path)
    try:
        cleanup = recover(run, key, keep=set())
        setup = IterationSetup.prepare(req, run, key)
        progress = req.progress or LineProgress(len(setup.plan.keys))
        if cleanup.summary():
            progress.message(cleanup.summary() or "")
        return setup.schedule(progress)
    finally:
        remove_config_root(key)
        lock.release()


@dataclass
class IterationSetup:
    """An iteration's arms, evals (as engine tasks), codebases and plan; run.json written."""

    req: IterationRequest
    run: RunDir
    config_key: str
    binary: Path
    arms: dict[str, Any]  # planning.plan.Arm, or ArmDefinition with --arms
    tasks: dict[str, TaskSpec]
    codebases: dict[str, Codebase]
    cases: dict[str, EvalCase]
    plan: Plan
    skill_arms: SkillArms | None = None  # --arms
    arms_setup: ArmsSetup | None = None  # --arms: each arm's CLI binary, fingerprints

    @classmethod
    def prepare(cls, req: IterationRequest, run: RunDir, key: str) -> IterationSetup:
        cfg, iteration = req.config, req.iteration
        binary = find_claude(req.claude_bin)
        if binary is None or not binary.exists():
            raise InputError("Claude Code CLI not found",
                             expected="`claude` on PATH, --claude-bin, or `make cli` to install the pinned version")
        chosen = None
        if req.arms_file is not None:
            chosen = skill_arms(cfg, req.arms_file, iteration, ensure_snapshot(cfg, iteration))
        arms = {a.name: a for a in (chosen.arms if chosen else make_arms(cfg, iteration))}
        codebases = {c.folder_name: eval_codebase(c, run.path / "codebases") for c in req.eval_set.evals}
        tasks = {c.folder_name: eval_task(c, cfg, codebases[c.folder_name]) for c in req.eval_set.evals}
        arms_setup = setup_arms(req, chosen, tasks, codebases, binary) if chosen else None
        for case in req.eval_set.evals:
            write_metadata(iteration, case, cfg.trials_per_eval, list(arms.values()))
        stored = (run.read_run_json() or {}).get("plan")
        plan = plan_from_json(stored, req.seed) if isinstance(stored, list) and stored else \
            make_plan(list(tasks), list(arms), cfg.trials_per_eval, req.seed)
        setup = cls(req, run, key, binary, arms, tasks, codebases, {c.folder_name: c for c in req.eval_set.evals}, plan,
                    chosen, arms_setup)
        setup.write_run_json()
        return setup

    @property
    def run_id(self) -> str:
        return f"skill-{self.req.config.skill_name}-{self.req.iteration.name}"

    def write_run_json(self) -> None:
        cfg, req = self.req.config, self.req
        existing = self.run.read_run_json() or {}
        self.run.write_run_json({
            "schema": 1, "kind": "skill-benchmark", "run_id": self.run_id,
            "created_at": existing.get("created_at") or utc_now(), "updated_at": utc_now(),
            "skill_name": cfg.skill_name, "config": str(cfg.path), "eval_set": str(cfg.eval_set_path),
            "baseline_type": cfg.baseline_type, "arms": [a.to_json() for a in self.arms.values()],
            "rehearsal": req.rehearsal, "trials_per_eval": cfg.trials_per_eval, "plan": self.plan.to_json(),
            "seed": req.seed, "options": {"timeout_s": req.timeout_s, "retries": req.retries,
                                          "budget_usd": req.budget_usd, "parallel": req.parallel},
            "claude_code": {"binary": str(self.binary), "version": cli_version(self.binary)},
            **self.arms_json(),
        })

    def arms_json(self) -> dict[str, Any]:
        """run.json keys of --arms (none without): the arms file's arms and roles, each arm's CLI, fingerprints."""
        if self.skill_arms is None or self.arms_setup is None:
            return {}
        keys = {k: v for k, v in self.arms_setup.run_json().items() if k not in ("arms", "reuse")}
        return {**keys, SKILL_ARMS_KEY: self.skill_arms.to_json()}

    def schedule(self, progress: LineProgress) -> list[TrialRecord]:
        """Run the plan's unfinished trials; grade each as it ends."""
        access = ModelAccess(rehearsal=self.req.rehearsal, sandbox=self.req.sandbox, run_dir=self.run.path,
                             claude_binary=self.binary, budget_usd=self.req.budget_usd)
        endpoint, runtime = access.endpoint, access.runtime
        todo = len(self.plan.keys) - len(self.run.finished_keys() & set(self.plan.keys))
        progress.message(f"iteration folder: {self.req.iteration}")
        progress.message(f"plan: {len(self.tasks)} eval(s) x {len(self.arms)} arms x {self.req.config.trials_per_eval}"
                         f" trials = {len(self.plan.keys)} trials ({todo} to run)"
                         + (" with the scripted model" if endpoint else ""))
        executor, ray_session, parallel = self.executor(progress, runtime)
        options = ScheduleOptions(parallel=parallel, retries=self.req.retries, budget_usd=self.req.budget_usd,
                                  resume_hint=f"popkit-bench skill run {self.req.config.path} "
                                              f"--iteration {iteration_number(self.req.iteration)} --resume")
        scheduler = Scheduler(self.run, executor, self.spec_maker(endpoint), options, progress,
                              after_trial=self.grader(endpoint, runtime))
        try:
            with access:
                return scheduler.run(self.plan)
        finally:
            remove_worktrees(self.run.path, set())
            progress.close()
            if ray_session is not None:
                ray_session.close()

    def executor(self, progress: LineProgress, runtime: SandboxRuntime) -> tuple[Any, Any, int]:
        """(executor, Ray session or None, trials at once): confined here by `runtime`, or on the cluster's
        trial slots (each node confines its trials at the run's sandbox level)."""
        parallel = self.req.parallel or self.req.config.parallel
        root = self.run.path / "worktrees"
        if self.req.executor != "ray":
            local = ConfinedExecutor(runtime, lambda confinement: LocalExecutor(root, confinement=confinement))
            return local, None, max(1, parallel)
        from popkit_bench.execution.ray.session import RaySession

        session = RaySession(replace(self.req.ray_options, sandbox=runtime.level), self.run_id, root)
        progress.message(session.summary())
        return session.executor, session, max(1, self.req.parallel or session.slots)

    def spec_maker(self, endpoint: Any) -> Any:
        cfg = self.req.config
        settings = TrialSettings(timeout_s=self.req.timeout_s or cfg.timeout_seconds, model=cfg.model,
                                 keep_worktree=True)
        per_arm = self.arm_fields()

        def spec_for(key: TrialKey) -> TrialSpec:
            task, arm = self.tasks[key.task_id], self.arms[key.arm]
            url = endpoint.base_url_for(key.slug, task, arm) if endpoint else None
            return TrialSpec(run_id=self.run_id, key=key, task=task, arm=arm, codebase=self.codebases[key.task_id],
                             settings=settings, model_base_url=url, config_key=self.config_key, **per_arm[arm.name])

        return spec_for

    def arm_fields(self) -> dict[str, dict[str, Any]]:
        """Per arm, the TrialSpec fields of purity and CLI: by default every arm's plugin is "under test";
        with --arms (as `run`), each arm must not load what only the other arms load, and runs its own CLI."""
        if self.arms_setup is None:
            tested = tuple(a.plugin_name for a in self.arms.values() if a.plugin_name)
            version = cli_version(self.binary)
            return {name: {"tested_plugins": tested, "claude_bin": self.binary, "claude_version": version}
                    for name in self.arms}
        out = {}
        for name, arm in self.arms.items():
            other = Forbidden.of([a for a in self.arms.values() if a.name != name])
            binary, version = self.arms_setup.binaries[name]
            own = set(arm.loaded_plugin_names())
            out[name] = {"tested_plugins": tuple(dict.fromkeys(p for p in other.plugins if p not in own)),
                         "claude_bin": binary,
                         "claude_version": version, "forbidden_skills": other.skills,
                         "forbidden_mcp_servers": other.mcp_servers}
        return out

    def grader(self, endpoint: Any, runtime: SandboxRuntime | None = None) -> Any:
        """The scheduler's after_trial: rehearsal.json, then grade the worktree and write the run folder."""
        cfg = self.req.config

        def after_trial(spec: TrialSpec, trial_dir: Path, record: TrialRecord) -> TrialRecord:
            if endpoint is not None:
                endpoint.after_trial(spec, trial_dir, record)
            key, case = spec.key, self.cases[spec.key.task_id]
            judge = None
            if cfg.llm_grader is not None:
                from popkit_bench.skill.llm_grader import make_judge

                judge = make_judge(cfg.llm_grader, self.binary, trial_dir / "grader", self.config_key,
                                   endpoint=endpoint, expected_output=case.expected_output, runtime=runtime)
            try:
                finish_trial(self.req.iteration, self.run, key, record, case, judge)
            except Exception as exc:  # grading must not stop the other trials: record and exclude this one
                record.status, record.status_reason = ERROR, f"grading: {exc.__class__.__name__}: {exc}"
                write_run(run_dir(self.req.iteration, key.task_id, key.arm, key.trial), record=record.to_json(),
                          grading=None, answer=None, worktree=None, run_root=self.run.path)
            finally:
                if not self.req.keep_worktrees:
                    remove_worktree(self.codebases[key.task_id], self.run.worktree_dir(key))
            return record

        return after_trial


def setup_arms(req: IterationRequest, chosen: SkillArms, tasks: dict[str, TaskSpec], codebases: dict[str, Codebase],
               binary: Path) -> ArmsSetup:
    """Each arm's CLI binary (a `claude_version` arm's is installed here) and the fingerprints, as `run` does."""
    cfg = req.config
    limits = {"timeout_s": req.timeout_s or cfg.timeout_seconds, "max_turns": None, "max_budget_usd": None,
              "permission_mode": TrialSettings().permission_mode}
    return prepare_arms(ArmsFile(chosen.arms, chosen.baseline, chosen.source.path), list(tasks.values()), codebases,
                        default_binary=binary, default_version=cli_version(binary), run_model=cfg.model,
                        sandbox=req.sandbox.level, limits=limits, rehearsal=req.rehearsal)


def finish_trial(iteration: Path, run: RunDir, key: TrialKey, record: TrialRecord, case: EvalCase,
                 judge: LlmJudge | None) -> None:
    """Grade a finished trial (unless excluded) and write its run folder."""
    worktree = run.worktree_dir(key)
    answer = record.final_answer
    grading = None
    if record.is_usable and worktree.is_dir():
        grading = grade(case.assertions, TrialOutput(worktree, answer or ""), judge)
        grading["timing"] = {"total_duration_seconds": record.metrics.get("duration_s")}
        grading["trial_status"] = record.status
    elif record.is_usable:
        record.status, record.status_reason = ERROR, "worktree missing after the trial: cannot grade"
    write_run(run_dir(iteration, case.folder_name, key.arm, key.trial), record=record.to_json(), grading=grading,
              answer=answer, worktree=worktree if worktree.is_dir() else None, run_root=run.path)

