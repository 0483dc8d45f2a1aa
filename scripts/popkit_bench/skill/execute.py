"""Run one iteration's trials with the engine: each eval x {with_skill, baseline} x trials_per_eval.

Every trial goes through `popkit_bench.execution.trial.run_trial` (worktree, isolated claude, metrics, record); then the
trial's worktree is graded against the eval's assertions and its run folder written.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.agent.cli_locator import cli_version, find_claude
from popkit_bench.errors import InputError
from popkit_bench.execution.progress import LineProgress
from popkit_bench.planning.plan import Arm, TrialKey, make_plan
from popkit_bench.record.rundir import RunDir, utc_now
from popkit_bench.skill.checks import LlmJudge, TrialOutput, grade
from popkit_bench.skill.config import BenchmarkConfig
from popkit_bench.skill.evals import EvalCase, EvalSet
from popkit_bench.skill.jsonio import write_json
from popkit_bench.skill.layout import (
    EXCLUDED_STATUSES,
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
from popkit_bench.skill.recording import final_answer
from popkit_bench.skill.wrap import snapshot_skill, wrap_skill
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.git import commit_folder, git
from popkit_bench.workspace.worktree import remove_worktree

DEFAULT_TIMEOUT_S = 600


@dataclass
class IterationRequest:
    """One iteration to run."""

    config: BenchmarkConfig
    eval_set: EvalSet
    iteration: Path
    rehearsal: bool = False
    claude_bin: str | None = None
    parallel: int | None = None
    seed: int = 0
    keep_worktrees: bool = False
    progress: LineProgress | None = None
    arms: list[Arm] = field(default_factory=list)


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


def make_arms(cfg: BenchmarkConfig, iteration: Path) -> list[Arm]:
    """with_skill loads the wrapped skill; the baseline loads nothing, or the wrapped previous version."""
    plugins = iteration / RUN_FOLDER / "plugins"
    base_skill = previous_skill(cfg, iteration) if cfg.baseline_type == "previous" else None
    snapshot_skill(cfg.skill_path, iteration / SNAPSHOT)
    arms = [Arm(WITH_SKILL, (wrap_skill(cfg.skill_path, cfg.skill_name, cfg.skill_name, plugins / WITH_SKILL),),
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


def write_metadata(iteration: Path, case: EvalCase, trials: int, arms: list[Arm]) -> None:
    write_json(iteration / case.folder_name / "eval_metadata.json", {
        "eval_id": case.id, "eval_name": case.name, "prompt": case.prompt,
        "expected_output": case.expected_output, "assertions": [a.to_json() for a in case.assertions],
        "trials_requested": {arm.name: trials for arm in arms},
    })


def run_iteration(req: IterationRequest) -> list[dict[str, Any]]:
    """Run every trial not yet recorded in `<iteration>/_run/results.jsonl`; write the run folders."""
    from popkit_bench.execution.trial import (  # needs popkit_shared.metrics
        TrialContext,
        TrialOptions,
        run_trial,
    )

    cfg, iteration = req.config, req.iteration
    binary = find_claude(req.claude_bin)
    if binary is None or not binary.exists():
        raise InputError("Claude Code CLI not found",
                         expected="`claude` on PATH, --claude-bin, or `make cli` to install the pinned version")
    iteration.mkdir(parents=True, exist_ok=True)
    run = RunDir(iteration / RUN_FOLDER)
    arms = req.arms or make_arms(cfg, iteration)
    codebases = {c.folder_name: eval_codebase(c, run.path / "codebases") for c in req.eval_set.evals}
    tasks = {c.folder_name: eval_task(c, cfg, codebases[c.folder_name]) for c in req.eval_set.evals}
    cases = {c.folder_name: c for c in req.eval_set.evals}
    for case in req.eval_set.evals:
        write_metadata(iteration, case, cfg.trials_per_eval, arms)
    plan = make_plan(list(tasks), [a.name for a in arms], cfg.trials_per_eval, req.seed)
    endpoint = None
    if req.rehearsal:
        from popkit_bench.rehearsal.endpoint import RehearsalEndpoint

        endpoint = RehearsalEndpoint()
    run_id = f"skill-{cfg.skill_name}-{iteration.name}"
    options = TrialOptions(binary=binary, run_id=run_id, timeout_s=cfg.timeout_seconds, model=cfg.model,
                           keep_worktrees=True, tested_plugins=tuple(a.plugin_name for a in arms if a.plugin_name),
                           endpoint=endpoint)
    run.write_run_json({
        "schema": 1, "kind": "skill-benchmark", "run_id": run_id, "created_at": utc_now(),
        "skill_name": cfg.skill_name, "config": str(cfg.path), "eval_set": str(cfg.eval_set_path),
        "baseline_type": cfg.baseline_type, "arms": [a.to_json() for a in arms], "rehearsal": req.rehearsal,
        "trials_per_eval": cfg.trials_per_eval, "plan": plan.to_json(),
        "claude_code": {"binary": str(binary), "version": cli_version(binary)},
    })
    done = run.finished_keys()
    todo = [k for k in plan.keys if k not in done]
    progress = req.progress or LineProgress(len(plan.keys))
    progress.done = len(plan.keys) - len(todo)
    progress.message(f"iteration folder: {iteration}")
    progress.message(f"plan: {len(tasks)} eval(s) x {len(arms)} arms x {cfg.trials_per_eval} trials = "
                     f"{len(plan.keys)} trials ({len(todo)} to run)" + (" with the scripted model" if endpoint else ""))
    arm_by_name = {a.name: a for a in arms}

    def one(key: TrialKey) -> None:
        progress.trial_started(key)
        ctx = TrialContext(key, tasks[key.task_id], arm_by_name[key.arm], codebases[key.task_id], run, options)
        record = run_trial(ctx)
        judge = None
        if cfg.llm_grader is not None:
            from popkit_bench.skill.llm_grader import make_judge

            judge = make_judge(cfg.llm_grader, binary, run.trial_dir(key) / "grader", run_id, endpoint=endpoint,
                               expected_output=cases[key.task_id].expected_output)
        try:
            finish_trial(iteration, run, key, record, cases[key.task_id], judge)
        except Exception as exc:  # grading must not stop the other trials: record and exclude this one
            record["status"], record["status_reason"] = "error", f"grading: {exc.__class__.__name__}: {exc}"
            write_run(run_dir(iteration, key.task_id, key.arm, key.trial), record=record, grading=None,
                      answer=None, worktree=None, run_root=run.path)
        finally:
            if not req.keep_worktrees:
                remove_worktree(codebases[key.task_id], run.worktree_dir(key))
        run.append_result(record)
        progress.trial_finished(key, record)

    try:
        if endpoint is not None:
            endpoint.start()
        workers = max(1, req.parallel or cfg.parallel)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="skill-trial") as pool:
            for future in [pool.submit(one, key) for key in todo]:
                future.result()
    finally:
        if endpoint is not None:
            endpoint.stop()
        progress.close()
    return run.read_results()


def finish_trial(iteration: Path, run: RunDir, key: TrialKey, record: dict[str, Any], case: EvalCase,
                 judge: LlmJudge | None) -> None:
    """Grade a finished trial (unless excluded) and write its run folder."""
    trial_dir = run.trial_dir(key)
    worktree = run.worktree_dir(key)
    answer = final_answer(trial_dir / "stream.jsonl")
    grading = None
    if record["status"] not in EXCLUDED_STATUSES and worktree.is_dir():
        grading = grade(case.assertions, TrialOutput(worktree, answer or ""), judge)
        grading["timing"] = {"total_duration_seconds": (record.get("metrics") or {}).get("duration_s")}
        grading["trial_status"] = record["status"]
    elif record["status"] not in EXCLUDED_STATUSES:
        record["status"], record["status_reason"] = "error", "worktree missing after the trial: cannot grade"
    write_run(run_dir(iteration, case.folder_name, key.arm, key.trial), record=record, grading=grading,
              answer=answer, worktree=worktree if worktree.is_dir() else None, run_root=run.path)

