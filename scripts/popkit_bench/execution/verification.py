"""Run a task's verification commands in a trial's worktree and record exit code, pass, time and output."""

from __future__ import annotations

import os
from pathlib import Path

from popkit_bench.agent.isolation import CREDENTIAL_VARS
from popkit_bench.execution.executor import Confinement, NoConfinement
from popkit_bench.process.tree import run_tree
from popkit_bench.record.trial_record import VerificationResult
from popkit_bench.tasks.spec import TaskSpec, VerificationCommand
from popkit_shared.redact import redact

OUTPUT_TAIL_CHARS = 4000


def verification_env() -> dict[str, str]:
    """Environment for verification commands: the user's, minus credentials."""
    env = {k: v for k, v in os.environ.items() if not _is_secret(k)}
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def _is_secret(name: str) -> bool:
    upper = name.upper()
    return upper in CREDENTIAL_VARS or "TOKEN" in upper or "SECRET" in upper or upper.endswith("_API_KEY")


def run_command(command: VerificationCommand, cwd: Path, confinement: Confinement | None = None) -> VerificationResult:
    """Run one command (no shell unless asked) inside the trial's confinement; a missing program is a failed
    check, not a crash."""
    argv = ["/bin/sh", "-c", command.command] if command.shell else command.argv()
    argv, env = (confinement or NoConfinement()).wrap(argv, verification_env(), cwd=cwd, writable=[cwd], readonly=[])
    try:
        done = run_tree(argv, cwd=cwd, env=env, timeout_s=command.timeout_seconds)
    except FileNotFoundError as exc:
        return _record(command, None, False, 0.0, f"command not found: {exc.filename}", timed_out=False)
    output = (done.stdout + ("\n" if done.stdout and done.stderr else "") + done.stderr)
    passed = (not done.timed_out) and done.exit_code == 0
    return _record(command, done.exit_code, passed, done.wall_s, output, timed_out=done.timed_out)


def _record(
    command: VerificationCommand, exit_code: int | None, passed: bool, duration: float, output: str, *, timed_out: bool
) -> VerificationResult:
    return VerificationResult(command=command.command, shell=command.shell, exit_code=exit_code, passed=passed,
                              timed_out=timed_out, duration_s=round(duration, 3),
                              output_tail=redact(output)[-OUTPUT_TAIL_CHARS:])  # a printed key is not kept


def run_verification(task: TaskSpec, cwd: Path, confinement: Confinement | None = None) -> list[VerificationResult]:
    """Run every verification command of a task, in order, in `cwd`."""
    return [run_command(command, cwd, confinement) for command in task.verification]

