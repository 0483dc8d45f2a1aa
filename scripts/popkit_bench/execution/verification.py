"""Run a task's verification commands in a trial's worktree and record exit code, pass, time and output."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from popkit_bench.agent.isolation import CREDENTIAL_VARS
from popkit_bench.process.tree import run_tree
from popkit_bench.sandbox.paths import worktree_git_dirs
from popkit_bench.tasks.spec import TaskSpec, VerificationCommand

OUTPUT_TAIL_CHARS = 4000
# The LocalExecutor's command-wrapping hook: (argv, env, cwd, writable, readonly) -> (argv, env).
Confine = Callable[..., tuple[list[str], dict[str, str]]]


def verification_env() -> dict[str, str]:
    """Environment for verification commands: the user's, minus credentials."""
    env = {k: v for k, v in os.environ.items() if not _is_secret(k)}
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def _is_secret(name: str) -> bool:
    upper = name.upper()
    return upper in CREDENTIAL_VARS or "TOKEN" in upper or "SECRET" in upper or upper.endswith("_API_KEY")


def run_command(command: VerificationCommand, cwd: Path, confine: Confine | None = None) -> dict[str, Any]:
    """Run one command (no shell unless asked); a missing program is a failed check, not a crash.

    `confine`: wraps the command (the trial's sandbox, without network; only `cwd` writable).
    """
    argv: list[str] | str = command.command if command.shell else command.argv()
    env, shell = verification_env(), command.shell
    if confine is not None:
        plain = ["/bin/sh", "-c", command.command] if command.shell else list(argv)
        git_rw, git_ro = worktree_git_dirs(cwd)
        argv, env = confine(plain, env, cwd, [cwd, *git_rw], git_ro, net=False)
        shell = False
    try:
        done = run_tree(argv, cwd=cwd, env=env, timeout_s=command.timeout_seconds, shell=shell)
    except FileNotFoundError as exc:
        return _record(command, None, False, 0.0, f"command not found: {exc.filename}", timed_out=False)
    output = (done.stdout + ("\n" if done.stdout and done.stderr else "") + done.stderr)
    passed = (not done.timed_out) and done.exit_code == 0
    return _record(command, done.exit_code, passed, done.wall_s, output, timed_out=done.timed_out)


def _record(
    command: VerificationCommand, exit_code: int | None, passed: bool, duration: float, output: str, *, timed_out: bool
) -> dict[str, Any]:
    return {
        "command": command.command,
        "shell": command.shell,
        "exit_code": exit_code,
        "passed": passed,
        "timed_out": timed_out,
        "duration_s": round(duration, 3),
        "output_tail": output[-OUTPUT_TAIL_CHARS:],
    }


def run_verification(task: TaskSpec, cwd: Path, confine: Confine | None = None) -> list[dict[str, Any]]:
    """Run every verification command of a task, in order, in `cwd` (wrapped by `confine` when given)."""
    return [run_command(command, cwd, confine) for command in task.verification]

