"""One private working copy per trial, in the run folder; removed after the trial unless kept.

Each trial gets its own repository, not a linked worktree of the run's repository: a linked worktree shares
the run's object store, refs and config, so a trial's `git commit --amend`, `git update-ref`, `git replace`,
`git config` or a rewritten object would change what every later trial (the baseline arm included) starts
from. The trial's repository is a fresh `git init` whose `objects/info/alternates` names the run's object
store (what `git clone --shared` sets up, minus the copied refs): the run's objects are reached read-only
(git never writes to an alternate), so a trial costs a checkout, not a copy of the history. It has no
remote (nothing to fetch from or push to) and no refs of the run's repository; the commit is checked out
detached. The run's repository is fingerprinted when it is made
(`Codebase.fingerprint`); a trial is never started from it once the fingerprint differs, so a write that
bypasses git (only possible without the sandbox) stops every later trial of that task with a clear reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.fingerprint import repo_fingerprint
from popkit_bench.workspace.git import GitError, git


class WorkspaceError(RuntimeError):
    """The trial's worktree could not be made; the trial is skipped with this reason."""


def check_base_unchanged(codebase: Codebase) -> None:
    """Raise WorkspaceError when the run's repository changed since it was made (a trial wrote to it)."""
    if codebase.fingerprint is not None and repo_fingerprint(codebase.repo) != codebase.fingerprint:
        raise WorkspaceError(
            f"the run's repository {codebase.repo} changed after the run made it (refs, objects, config or "
            "hooks): an earlier trial wrote to it, so no trial starts from it any more")


def create_worktree(codebase: Codebase, path: Path) -> Path:
    """A private clone of the run's repository at `codebase.commit` in `path` (a leftover path is removed
    first); WorkspaceError when it cannot be made or the run's repository was tampered with."""
    check_base_unchanged(codebase)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        remove_worktree(codebase, path)
    try:
        git("init", "-q", "--template=", "-b", "main", str(path))
        alternates = path / ".git" / "objects" / "info" / "alternates"
        alternates.parent.mkdir(parents=True, exist_ok=True)
        alternates.write_text(f"{objects_dir(codebase.repo)}\n", encoding="utf-8")
        git("checkout", "-q", "--detach", codebase.commit, cwd=path)
    except GitError as exc:
        remove_worktree(codebase, path)
        raise WorkspaceError(f"worktree {path}: {exc}") from None
    return path


def objects_dir(repo: Path) -> Path:
    """The object store of a repository (work tree or bare)."""
    return (repo / ".git" / "objects" if (repo / ".git").is_dir() else repo / "objects").resolve()


def remove_worktree(codebase: Codebase, path: Path) -> None:
    """Delete a trial's working copy (its own repository goes with it); never raises."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)
