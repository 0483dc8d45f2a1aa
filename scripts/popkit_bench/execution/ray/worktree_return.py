"""A kept worktree (`--keep-worktrees`, skill run's grading) comes back from the node: the worker packs its
files without `.git`; the driver makes a fresh worktree of the same commit from its own copy of the
codebase, removes tracked files the agent deleted, and unpacks the agent's files over it, so `git status`
on the driver shows what the agent changed. Symbolic links the agent made do not come back."""

from __future__ import annotations

from pathlib import Path

from popkit_bench.execution.ray.archive import pack, unpack
from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.git import git
from popkit_bench.workspace.worktree import create_worktree

GIT = frozenset({".git"})


def pack_worktree(worktree: Path) -> bytes:
    """The worktree's files as tar.gz, without its `.git` link to the node's repository."""
    return pack(worktree, skip_top=GIT)


def restore_worktree(data: bytes, codebase: Codebase, path: Path) -> None:
    """Re-create the trial's worktree on the driver at `path` with the node's files (ArchiveError if refused)."""
    create_worktree(codebase, path)
    tracked = [name for name in git("ls-files", "-z", cwd=path).split("\0") if name]
    names = set(unpack(data, path, refuse_top=GIT))
    for name in tracked:
        if name not in names:
            (path / name).unlink(missing_ok=True)
