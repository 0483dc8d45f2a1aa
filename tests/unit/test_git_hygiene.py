"""Git hygiene: a trial's copy cannot change the repository other trials start from; the run's copy of a
user's repository shares nothing with it (no hardlinks, no alternates, no remote); repository config
(hooks, filters, fsmonitor) never runs code when the harness runs git; replace objects are ignored."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from gitstate import new_repo, repo_state, sh

from popkit_bench.tasks.spec import load_task
from popkit_bench.workspace.codebase import prepare_codebase
from popkit_bench.workspace.git import git
from popkit_bench.workspace.worktree import WorkspaceError, create_worktree, remove_worktree


def task_for(tmp_path: Path, codebase: str, ref: str = "main") -> Path:
    path = tmp_path / "tasks" / "t.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(f"""\
        id: t
        category: bug-fixing
        description: d
        codebase: {codebase}
        initial_state: {ref}
        user_prompt: do it
        verification: [python3 -c pass]
        """))
    return path


@pytest.fixture()
def user_repo(tmp_path: Path) -> Path:
    repo = new_repo(tmp_path / "user-repo")
    (repo / "app.py").write_text("VERSION = 1\n")
    sh("git", "add", "app.py", cwd=repo)
    sh("git", "commit", "-q", "-m", "v1", cwd=repo)
    (repo / "app.py").write_text("VERSION = 2  # unstaged\n")
    sh("git", "stash", "-q", cwd=repo)
    (repo / "app.py").write_text("VERSION = 3  # unstaged\n")
    return repo


def sabotage_from_inside(trial: Path) -> None:
    """What a hostile agent or plugin hook does with git in its own working copy."""
    sh("git", "commit", "-q", "--allow-empty", "-m", "evil", cwd=trial)
    for args in (
        ["update-ref", "refs/heads/main", "HEAD"],
        ["tag", "-f", "v1"],
        ["replace", "-f", "HEAD~1", "HEAD"],
        ["config", "core.hooksPath", "/tmp/evil-hooks"],
        ["gc", "-q", "--prune=now"],
        ["repack", "-q", "-a", "-d"],
    ):
        sh("git", *args, cwd=trial)
    (trial / "app.py").write_text("sabotaged\n")
    sh("git", "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "-am", "evil2", cwd=trial)


def test_trial_git_writes_never_reach_the_run_repository_or_other_trials(tmp_path: Path, user_repo: Path) -> None:
    before_user = repo_state(user_repo)
    codebase = prepare_codebase(load_task(task_for(tmp_path, str(user_repo))), tmp_path / "run")
    base_refs = git("for-each-ref", cwd=codebase.repo)
    first = create_worktree(codebase, tmp_path / "run" / "worktrees" / "a")
    assert git("remote", cwd=first).strip() == ""  # nothing to push to
    assert git("for-each-ref", cwd=first).strip() == ""  # no refs of the run's repository
    sabotage_from_inside(first)
    assert git("for-each-ref", cwd=codebase.repo) == base_refs
    assert git("replace", "-l", cwd=codebase.repo).strip() == ""
    second = create_worktree(codebase, tmp_path / "run" / "worktrees" / "b")  # fingerprint still matches
    assert (second / "app.py").read_text() == "VERSION = 1\n"
    assert git("rev-parse", "HEAD", cwd=second).strip() == codebase.commit
    remove_worktree(codebase, first)
    remove_worktree(codebase, second)
    assert git("fsck", "--strict", cwd=codebase.repo, check=False) == ""
    assert repo_state(user_repo) == before_user
    assert sh("git", "fsck", "--strict", cwd=user_repo) == ""


@pytest.mark.parametrize("how", ["push", "direct"])
def test_a_write_into_the_run_repository_stops_later_trials(tmp_path: Path, user_repo: Path, how: str) -> None:
    codebase = prepare_codebase(load_task(task_for(tmp_path, str(user_repo))), tmp_path / "run")
    trial = create_worktree(codebase, tmp_path / "run" / "worktrees" / "a")
    alternates = (trial / ".git" / "objects" / "info" / "alternates").read_text().strip()
    # without the sandbox the agent can reach the run's repository by path (the sandbox mounts it read-only)
    if how == "push":
        (trial / "app.py").write_text("sabotaged\n")
        sh("git", "commit", "-q", "-am", "evil", cwd=trial)
        sh("git", "remote", "add", "origin", str(codebase.repo), cwd=trial)
        os.system(f"cd {trial} && git push -q -f origin HEAD:refs/heads/main 2>/dev/null")
    else:
        (Path(alternates).parent / "refs" / "tags" / "evil").write_text(codebase.commit + "\n")
    with pytest.raises(WorkspaceError, match="changed after the run made it"):
        create_worktree(codebase, tmp_path / "run" / "worktrees" / "b")
    assert not (tmp_path / "run" / "worktrees" / "b").exists()


def test_run_copy_of_a_user_repository_shares_nothing_with_it(tmp_path: Path, user_repo: Path) -> None:
    codebase = prepare_codebase(load_task(task_for(tmp_path, str(user_repo))), tmp_path / "run")
    user_inodes = {p.stat().st_ino for p in (user_repo / ".git" / "objects").rglob("*") if p.is_file()}
    for path in (codebase.repo / ".git").rglob("*"):
        if path.is_file():
            assert path.stat().st_nlink == 1, path  # no hardlink into the user's object store
            assert path.stat().st_ino not in user_inodes
    assert not (codebase.repo / ".git" / "objects" / "info" / "alternates").exists()
    assert git("remote", cwd=codebase.repo).strip() == ""
    assert str(user_repo) not in (codebase.repo / ".git" / "config").read_text()


def test_repository_config_cannot_run_code_when_the_harness_runs_git(tmp_path: Path, user_repo: Path) -> None:
    marker = tmp_path / "PWNED"
    hook = f"#!/bin/sh\ntouch {marker}-$(basename $0)\n"
    hooks = user_repo / ".git" / "hooks"
    for name in ("post-checkout", "post-commit", "reference-transaction", "pre-auto-gc"):
        (hooks / name).write_text(hook)
        (hooks / name).chmod(0o755)
    sh("git", "config", "core.fsmonitor", f"touch {marker}-fsmonitor; echo", cwd=user_repo)
    sh("git", "config", "filter.evil.clean", f"touch {marker}-clean; cat", cwd=user_repo)
    sh("git", "config", "filter.evil.smudge", f"touch {marker}-smudge; cat", cwd=user_repo)
    (user_repo / ".gitattributes").write_text("*.py filter=evil\n")
    sh("git", "-c", "filter.evil.clean=cat", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
       "add", ".gitattributes", cwd=user_repo)
    sh("git", "-c", "filter.evil.clean=cat", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false",
       "commit", "-q", "-m", "attrs", cwd=user_repo)
    codebase = prepare_codebase(load_task(task_for(tmp_path, str(user_repo))), tmp_path / "run")
    trial = create_worktree(codebase, tmp_path / "run" / "worktrees" / "a")
    # the agent now arms its own copy the same way, then the harness runs git there (as skill/layout does)
    sh("git", "config", "filter.evil.clean", f"touch {marker}-trial-clean; cat", cwd=trial)
    sh("git", "config", "core.fsmonitor", f"touch {marker}-trial-fsmonitor; echo", cwd=trial)
    sh("git", "config", "diff.evil.textconv", f"touch {marker}-textconv; cat", cwd=trial)
    (trial / ".gitattributes").write_text("*.py filter=evil diff=evil\n")
    (trial / "app.py").write_text("changed\n")
    git("status", "--porcelain", cwd=trial)
    git("add", "-A", cwd=trial)
    git("diff", "--cached", "HEAD", cwd=trial, check=False)  # a blanked textconv is an error, never a run
    remove_worktree(codebase, trial)
    assert sorted(p.name for p in tmp_path.glob("PWNED*")) == []


def test_replace_objects_are_ignored(tmp_path: Path, user_repo: Path) -> None:
    real = sh("git", "rev-parse", "HEAD", cwd=user_repo).strip()
    (user_repo / "app.py").write_text("FAKE = True\n")
    sh("git", "commit", "-q", "-am", "fake", cwd=user_repo)
    fake = sh("git", "rev-parse", "HEAD", cwd=user_repo).strip()
    sh("git", "reset", "-q", "--hard", real, cwd=user_repo)
    sh("git", "branch", "keep-fake", fake, cwd=user_repo)
    sh("git", "replace", real, fake, cwd=user_repo)  # plain git now shows the fake content for `real`
    assert "FAKE" in sh("git", "show", f"{real}:app.py", cwd=user_repo)
    codebase = prepare_codebase(load_task(task_for(tmp_path, str(user_repo))), tmp_path / "run")
    assert codebase.commit == real
    trial = create_worktree(codebase, tmp_path / "run" / "worktrees" / "a")
    assert (trial / "app.py").read_text() == "VERSION = 1\n"
