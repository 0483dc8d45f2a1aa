"""Check that a task discriminates: verification fails on the initial state and passes after its solution.

For each task: materialize the codebase in a temporary run folder, make a worktree, run verification
(at least one command must fail), `git apply` the reference solution, run verification again (every
command must pass). The companion files are validated too: responses (seed schema) and play (parsed
by the rehearsal module when it is installed).
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from popkit_bench.execution.executor import Confinement as Confine
from popkit_bench.execution.verification import run_verification
from popkit_bench.record.trial_record import VerificationResult
from popkit_bench.sandbox.confine import Confinement
from popkit_bench.sandbox.probe import LEVEL_BWRAP, SandboxChoice
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.codebase import prepare_codebase
from popkit_bench.workspace.git import GitError, git
from popkit_bench.workspace.worktree import WorkspaceError, create_worktree, remove_worktree
from popkit_shared.benchmark_responses import ResponsesFileError, load_responses_file


@dataclass
class TaskCheck:
    """The outcome of checking one task."""

    task_id: str
    before: list[VerificationResult] = field(default_factory=list)
    after: list[VerificationResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    run_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        """One table row: id, before, after, verdict."""
        before = _count(self.before, passed=False, label="failed")
        after = _count(self.after, passed=True, label="passed")
        return f"{self.task_id:<34} {before:<18} {after:<18} {'OK' if self.ok else 'FAIL'}"


def _count(results: list[VerificationResult], *, passed: bool, label: str) -> str:
    if not results:
        return "-"
    hits = sum(1 for r in results if bool(r.passed) is passed)
    return f"{label} {hits}/{len(results)}"


def check_companions(task: TaskSpec) -> tuple[list[str], list[str]]:
    """(problems, notes) about the responses, play and solution files of a task."""
    problems: list[str] = []
    notes: list[str] = []
    if task.responses_path is None:
        notes.append("no responses file")
    else:
        try:
            load_responses_file(task.responses_path)
        except ResponsesFileError as exc:
            problems.append(f"responses: {exc}")
    if task.play_path is None:
        notes.append("no play file")
    else:
        problem, note = _check_play(task.play_path)
        problems += [problem] if problem else []
        notes += [note] if note else []
    if task.solution_path is None:
        problems.append(f"no solution patch (expected {task.id}.solution.patch beside the task)")
    return problems, notes


def _check_play(path: Path) -> tuple[str | None, str | None]:
    try:
        play = importlib.import_module("popkit_bench.rehearsal.play")
    except ModuleNotFoundError as exc:
        if exc.name in ("popkit_bench.rehearsal", "popkit_bench.rehearsal.play"):
            return None, "play not parsed (rehearsal module not installed)"
        raise
    try:
        play.load_play(path)
    except Exception as exc:  # any failure to load is reported against the play file
        return f"play: {exc}", None
    return None, None


def check_task(task: TaskSpec, work_dir: Path, *, keep: bool = False, sandbox: SandboxChoice | None = None) -> TaskCheck:
    """Run the discrimination check of one task inside `work_dir` (its own run folder).

    `sandbox` at level bwrap: verification runs confined, as in a trial (only the worktree writable).
    """
    result = TaskCheck(task.id, run_dir=work_dir)
    result.problems, result.notes = check_companions(task)
    tree = work_dir / "worktrees" / task.id
    try:
        codebase = prepare_codebase(task, work_dir)
        create_worktree(codebase, tree)
    except (GitError, WorkspaceError) as exc:
        result.problems.append(f"workspace: {exc}")
        return result
    confine = None
    if sandbox is not None and sandbox.level == LEVEL_BWRAP:
        confine = Confinement(bwrap=sandbox.binary, hidden=[work_dir], network=task.network)
    try:
        result.before = run_verification(task, tree, confine)
        if all(r.passed for r in result.before):
            result.problems.append("verification passes on the initial state: the task does not discriminate")
        if task.solution_path is not None:
            _apply_and_verify(task, tree, result, confine)
    finally:
        if not keep:
            remove_worktree(codebase, tree)
    return result


def _apply_and_verify(task: TaskSpec, tree: Path, result: TaskCheck, confine: Confine | None) -> None:
    assert task.solution_path is not None
    try:
        git("apply", "--whitespace=nowarn", str(task.solution_path.resolve()), cwd=tree)
    except GitError as exc:
        result.problems.append(f"solution does not apply: {exc}")
        return
    result.after = run_verification(task, tree, confine)
    failed = [r.command for r in result.after if not r.passed]
    if failed:
        result.problems.append("verification fails after the solution: " + ", ".join(failed))


def check_tasks(tasks: list[TaskSpec], *, keep: bool = False, base_dir: Path | None = None,
                sandbox: SandboxChoice | None = None) -> list[TaskCheck]:
    """Check every task, each in a fresh temporary folder (kept when `keep`)."""
    results = []
    for task in tasks:
        work_dir = Path(tempfile.mkdtemp(prefix=f"popkit-check-{task.id}-", dir=base_dir))
        try:
            results.append(check_task(task, work_dir, keep=keep, sandbox=sandbox))
        finally:
            if not keep:
                shutil.rmtree(work_dir, ignore_errors=True)
    return results


def header() -> str:
    """The table header matching TaskCheck.line()."""
    return f"{'task':<34} {'before':<18} {'after':<18} verdict"
