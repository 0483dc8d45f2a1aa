"""Codebases and worktrees: bundled folders become the run's own repo; a user's repo is only read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from gitstate import new_repo, repo_state, sh

from popkit_bench.errors import InputError
from popkit_bench.tasks.spec import load_task
from popkit_bench.workspace.codebase import prepare_codebase
from popkit_bench.workspace.worktree import create_worktree, remove_worktree


@pytest.fixture()
def user_repo(tmp_path: Path) -> Path:
    repo = new_repo(tmp_path / "user-repo")
    (repo / "app.py").write_text("VERSION = 1\n")
    sh("git", "add", "app.py", cwd=repo)
    sh("git", "commit", "-q", "-m", "v1", cwd=repo)
    sh("git", "tag", "baseline-v1.0", cwd=repo)
    (repo / "app.py").write_text("VERSION = 2\n")
    sh("git", "commit", "-q", "-am", "v2", cwd=repo)
    sh("git", "checkout", "-q", "-b", "feature", cwd=repo)
    # the user is mid-work: staged and unstaged changes and an untracked file
    (repo / "app.py").write_text("VERSION = 3  # staged\n")
    sh("git", "add", "app.py", cwd=repo)
    (repo / "app.py").write_text("VERSION = 4  # unstaged\n")
    (repo / "notes.txt").write_text("untracked\n")
    return repo


def task_for(tmp_path: Path, codebase: str, ref: str) -> Path:
    path = tmp_path / "tasks" / "t.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(f"""\
        id: t
        category: bug-fixing
        description: d
        codebase: {codebase}
        initial_state: git checkout {ref}
        user_prompt: do it
        verification: [python3 -c pass]
        """))
    return path


def test_user_repo_is_never_modified(tmp_path: Path, user_repo: Path) -> None:
    before = repo_state(user_repo), (user_repo / "app.py").read_text()
    task = load_task(task_for(tmp_path, str(user_repo), "baseline-v1.0"))
    run_dir = tmp_path / "run"
    codebase = prepare_codebase(task, run_dir)
    wt = create_worktree(codebase, run_dir / "worktrees" / "a")
    assert (wt / "app.py").read_text() == "VERSION = 1\n"  # the ref, not the user's working state
    (wt / "app.py").write_text("changed by the agent\n")
    remove_worktree(codebase, wt)
    assert not wt.exists()
    assert (repo_state(user_repo), (user_repo / "app.py").read_text()) == before


def test_worktree_retries_once_when_path_exists(tmp_path: Path, user_repo: Path) -> None:
    task = load_task(task_for(tmp_path, str(user_repo), "main"))
    codebase = prepare_codebase(task, tmp_path / "run")
    target = tmp_path / "run" / "worktrees" / "x"
    target.mkdir(parents=True)
    (target / "leftover.txt").write_text("from a killed run")
    create_worktree(codebase, target)
    assert (target / "app.py").read_text() == "VERSION = 2\n"
    assert not (target / "leftover.txt").exists()
    remove_worktree(codebase, target)


def test_unknown_ref_is_a_clear_input_error(tmp_path: Path, user_repo: Path) -> None:
    task = load_task(task_for(tmp_path, str(user_repo), "no-such-tag"))
    with pytest.raises(InputError, match="ref 'no-such-tag' not found"):
        prepare_codebase(task, tmp_path / "run")


def test_bundled_folder_becomes_the_runs_own_repo(tmp_path: Path) -> None:
    folder = tmp_path / "tasks" / "codebases" / "tiny"
    folder.mkdir(parents=True)
    (folder / "main.py").write_text("print('hi')\n")
    task = load_task(task_for(tmp_path, "tiny", "baseline-v1.0"))
    first = prepare_codebase(task, tmp_path / "run1")
    second = prepare_codebase(task, tmp_path / "run2")
    assert first.commit == second.commit  # fixed identity and dates: reproducible commit
    assert first.digest == second.digest and first.source == "bundled:tiny"
    assert not (folder / ".git").exists()
    wt = create_worktree(first, tmp_path / "run1" / "worktrees" / "w")
    assert (wt / "main.py").exists()
    remove_worktree(first, wt)
