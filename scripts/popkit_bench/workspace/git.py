"""Run git without a shell, with a fixed identity and no user hooks or signing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(RuntimeError):
    """A git command failed; the message holds git's own words."""


def git_env() -> dict[str, str]:
    """Environment for git: no prompts, no system config, a fixed identity and dates."""
    env = dict(os.environ)
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="popkit-bench",
        GIT_AUTHOR_EMAIL="popkit-bench@localhost",
        GIT_COMMITTER_NAME="popkit-bench",
        GIT_COMMITTER_EMAIL="popkit-bench@localhost",
        GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
    )
    return env


def git(*args: str, cwd: Path | str | None = None, check: bool = True, timeout: float = 120) -> str:
    """Run `git args...`; return stdout; raise GitError with stderr on failure."""
    cmd = ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args]
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=git_env(), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args)}: timed out after {timeout:.0f} s") from None
    except OSError as exc:
        raise GitError(f"git could not be started: {exc}") from None
    if check and proc.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout


def commit_folder(folder: Path, message: str, *, allow_empty: bool = False) -> None:
    """Make `folder` a new repository (branch main) whose one commit holds all its files."""
    git("init", "-q", "-b", "main", cwd=folder)
    git("add", "-A", cwd=folder)
    git("commit", "-q", *(["--allow-empty"] if allow_empty else []), "-m", message, cwd=folder)
