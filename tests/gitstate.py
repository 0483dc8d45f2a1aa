"""Users' own git repositories in tests: making one, and what a user would notice, to prove a run left it alone."""

from __future__ import annotations

import subprocess
from pathlib import Path


def sh(*args: str, cwd: Path) -> str:
    """Run a command in `cwd`, fail on error, return its stdout."""
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def new_repo(path: Path) -> Path:
    """An empty repository on branch main, with a committer identity and no commit signing."""
    path.mkdir(parents=True)
    sh("git", "init", "-q", "-b", "main", cwd=path)
    for key, value in (("user.email", "me@example.com"), ("user.name", "Me"), ("commit.gpgsign", "false")):
        sh("git", "config", key, value, cwd=path)
    return path


def repo_state(repo: Path) -> dict[str, str]:
    """HEAD, branch, branches, index, working tree, untracked files, stash and worktrees."""
    return {
        "head": sh("git", "rev-parse", "HEAD", cwd=repo),
        "branch": sh("git", "symbolic-ref", "-q", "HEAD", cwd=repo),
        "branches": sh("git", "for-each-ref", "--format=%(refname) %(objectname)", cwd=repo),
        "index": sh("git", "diff", "--cached", cwd=repo),
        "worktree_diff": sh("git", "diff", cwd=repo),
        "status": sh("git", "status", "--porcelain", "--untracked-files=all", cwd=repo),
        "stash": sh("git", "stash", "list", cwd=repo),
        "worktrees": sh("git", "worktree", "list", "--porcelain", cwd=repo),
    }
