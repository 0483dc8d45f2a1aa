"""Resolve a task's codebase to a git repo + commit inside the run folder, never touching the user's repo."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from popkit_bench.errors import InputError
from popkit_bench.tasks.discovery import BUNDLED_TASKS_DIR, CODEBASES_DIRNAME
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.fingerprint import repo_fingerprint
from popkit_bench.workspace.git import GitError, commit_folder, git

IGNORED_NAMES = {"__pycache__", ".pytest_cache", "node_modules", ".git"}


@dataclass(frozen=True)
class Codebase:
    """A git repo (owned by the run) from which trial worktrees are made, and the commit to use."""

    repo: Path
    commit: str
    ref: str
    source: str  # "bundled:<folder>" or "git:<path>"
    digest: str | None = None  # content digest of a bundled folder
    fingerprint: str | None = None  # of repo/.git when the run made it (workspace/fingerprint.py)


def locate_codebase(task: TaskSpec) -> tuple[Path, bool]:
    """(path, is_bundled): a bundled folder under tasks/codebases, beside the task, or a local git repo."""
    raw = os.path.expanduser(task.codebase)
    candidates = []
    if not os.path.isabs(raw):
        candidates += [
            task.folder / CODEBASES_DIRNAME / raw,
            task.folder.parent / CODEBASES_DIRNAME / raw,
            BUNDLED_TASKS_DIR / CODEBASES_DIRNAME / raw,
            task.folder / raw,
        ]
    else:
        candidates.append(Path(raw))
    for candidate in candidates:
        if candidate.is_dir():
            is_repo = (candidate / ".git").exists()
            if not is_repo:
                check_copyable(task, candidate.resolve())
            return candidate.resolve(), not is_repo
    raise InputError(
        f"codebase {task.codebase!r} not found",
        file=task.path,
        field="codebase",
        expected="a folder under tasks/codebases/ or a path to a local git repository",
    )


def check_codebase(task: TaskSpec) -> str:
    """What `validate` checks beyond the file: the codebase is found and, in a git repository, `initial_state`
    names a commit (as `run` requires). Returns a short description; InputError when it does not hold."""
    source, bundled = locate_codebase(task)
    if bundled:
        return f"bundled codebase {source.name}"
    try:
        git("rev-parse", "--verify", "--quiet", f"{task.initial_state}^{{commit}}", cwd=source)
    except GitError:
        raise InputError(f"ref {task.initial_state!r} not found in {source}", file=task.path, field="initial_state",
                         expected="a branch, tag or commit of the codebase repository") from None
    return f"codebase {source} at {task.initial_state}"


def check_copyable(task: TaskSpec, folder: Path) -> None:
    """A non-git codebase is copied into the run folder: refuse the filesystem root, the home folder and
    their ancestors outright, and any folder outside the task's own folders unless the task opts in with
    `allow_external_codebase: true` (so nothing like a home folder is copied by accident)."""
    home = Path.home().resolve()
    if folder == Path(folder.anchor) or folder == home or home.is_relative_to(folder):
        raise InputError(
            f"codebase {task.codebase!r} is {folder}, the filesystem root or the home folder (or holds it); "
            "it is never copied", file=task.path, field="codebase",
            expected="a project folder (a git repository, or a folder beside the task)",
        )
    inside = (task.folder, task.folder.parent / CODEBASES_DIRNAME, BUNDLED_TASKS_DIR / CODEBASES_DIRNAME)
    if task.allow_external_codebase or any(folder.is_relative_to(base.resolve()) for base in inside):
        return
    raise InputError(
        f"codebase {task.codebase!r} is {folder}: not a git repository and outside the task's folder, so the "
        "run would copy it", file=task.path, field="codebase",
        expected="a git repository, a folder under the task's folder or codebases/, or "
                 "'allow_external_codebase: true' to copy this folder on purpose",
    )


def folder_digest(folder: Path, ignore: frozenset[str] = frozenset()) -> str:
    """sha256 over relative paths and contents of a folder (ignoring caches and folders named in `ignore`)."""
    digest = hashlib.sha256()
    for path in sorted(_files(folder, IGNORED_NAMES | ignore)):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _files(folder: Path, ignored: set[str] | frozenset[str] = frozenset(IGNORED_NAMES)) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in ignored]
        out += [Path(root) / f for f in files if not f.endswith(".pyc")]
    return out


def prepare_codebase(task: TaskSpec, run_dir: Path) -> Codebase:
    """Make the run's own repo for a task: a committed copy of a bundled folder, or a local clone.

    The user's repository is only read (rev-parse, clone): no checkout, stash or branch change there.
    """
    source, bundled = locate_codebase(task)
    target = run_dir / "codebases" / task.id
    if bundled:
        digest = folder_digest(source)
        if not (target / ".git").exists():
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(*IGNORED_NAMES, "*.pyc"))
            commit_folder(target, f"{task.codebase} (bundled by popkit-ops)")
            if _is_tag_name(task.initial_state):
                git("tag", "-f", task.initial_state, cwd=target, check=False)
        commit = git("rev-parse", "HEAD", cwd=target).strip()
        return Codebase(target, commit, task.initial_state, f"bundled:{source.name}", digest, repo_fingerprint(target))
    try:
        commit = git("rev-parse", "--verify", "--quiet", f"{task.initial_state}^{{commit}}", cwd=source).strip()
    except GitError:
        raise InputError(
            f"ref {task.initial_state!r} not found in {source}",
            file=task.path,
            field="initial_state",
            expected="a branch, tag or commit of the codebase repository",
        ) from None
    if not (target / ".git").exists():
        clone_user_repo(source, target)
    if not git("cat-file", "-t", commit, cwd=target, check=False).strip() == "commit":
        raise InputError(f"ref {task.initial_state!r} ({commit[:12]}) is not reachable from a branch or tag of "
                         f"{source}, so the run's copy of the repository lacks it", file=task.path,
                         field="initial_state", expected="a commit on a branch or tag of the codebase repository")
    return Codebase(target, commit, task.initial_state, f"git:{source}", None, repo_fingerprint(target))


def clone_user_repo(source: Path, target: Path) -> None:
    """Copy the user's repository into the run: `--no-local` (objects copied through git's transport: no
    hardlink into, no alternates pointing at the user's object store), `--no-checkout`, every ref, and no
    `origin` remote afterwards (its refs stay, keeping every branch's commits), so nothing in the run can
    fetch from or push to the user's repository."""
    target.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", "--no-checkout", "--no-local", "--no-hardlinks", str(source), str(target))
    git("config", "--remove-section", "remote.origin", cwd=target)


def _is_tag_name(ref: str) -> bool:
    return ref not in ("HEAD", "main") and "~" not in ref and "^" not in ref
