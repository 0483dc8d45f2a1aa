"""What a user would notice about their own git repository, to prove a run left it alone."""

from __future__ import annotations

import subprocess
from pathlib import Path


def sh(*args: str, cwd: Path) -> str:
    """Run a command in `cwd`, fail on error, return its stdout."""
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


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
