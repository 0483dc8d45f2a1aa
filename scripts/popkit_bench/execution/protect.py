"""Verification integrity: a task's `protected_paths` (its tests) are restored before verification, and a
trial that changed them is `tampered`.

The expected content is read from the run's own codebase repository (`repo`), never from the trial's
worktree: the agent can write the worktree's index, refs and objects, but not the run's repository. The
worktree side is read straight from disk, without git, and without following symlinks (a protected folder
replaced by a symlink, or a protected file turned into one, is a change). Byte-code caches the test run
itself leaves (`__pycache__`, `*.pyc`, `.pytest_cache`) are removed but not counted as a change.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path, PurePosixPath

from popkit_bench.workspace.git import git, git_command, git_env

TAMPERED = "tampered"  # the trial status (record/trial_record.py Status.TAMPERED once the seam lands)
CACHE_DIRS = ("__pycache__", ".pytest_cache")
SYMLINK_MODE = "120000"
EXEC_MODE = "100755"


def restore_protected(worktree: Path, repo: Path, commit: str, paths: tuple[str, ...] | list[str]) -> list[str]:
    """Make every protected path of `worktree` exactly as at `commit` of `repo`; return the files that
    differed (changed, deleted, added, mode or symlink changes), sorted, as codebase-relative POSIX paths.
    An empty list means the trial left its protected paths alone."""
    if not paths:
        return []
    expected = expected_files(repo, commit, paths)
    actual = disk_files(worktree, paths)
    changed = sorted(p for p in set(expected) | set(actual)
                     if expected.get(p) != actual.get(p) and not (p not in expected and is_cache(p)))
    for top in paths:
        _clear(worktree, top)
    for rel, (mode, data) in expected.items():
        _write(worktree, rel, mode, data)
    return changed


def tampered_reason(changed: list[str], limit: int = 10) -> str:
    """The status_reason of a tampered trial."""
    shown = ", ".join(changed[:limit]) + (f" and {len(changed) - limit} more" if len(changed) > limit else "")
    return f"changed protected path(s): {shown} (restored from the task's ref before verification)"


def settle_tampered(status: str, reason: str | None, changed: list[str]) -> tuple[str, str | None]:
    """The trial's (status, reason) once its protected paths were checked: a completed or failed trial that
    changed any of them becomes tampered; timeout, error, contaminated and interrupted keep their status
    (they are excluded anyway; the record's `tampered_paths` still lists the changes)."""
    if changed and status in ("completed", "failed"):
        return TAMPERED, tampered_reason(changed)
    return status, reason


def expected_files(repo: Path, commit: str, paths: tuple[str, ...] | list[str]) -> dict[str, tuple[str, bytes]]:
    """{path: (git mode, content)} of the files under `paths` at `commit` (a symlink's content = its target)."""
    listing = git("ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths, cwd=repo)
    entries = []
    for item in filter(None, listing.split("\0")):
        meta, rel = item.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":
            entries.append((rel, mode, sha))
    blobs = _cat_blobs(repo, [sha for _, _, sha in entries])
    return {rel: (_norm_mode(mode), blobs[sha]) for rel, mode, sha in entries}


def disk_files(worktree: Path, paths: tuple[str, ...] | list[str]) -> dict[str, tuple[str, bytes]]:
    """{path: (git-like mode, content)} of what is on disk under `paths`, symlinks not followed."""
    out: dict[str, tuple[str, bytes]] = {}
    for top in paths:
        broken = _symlinked_parent(worktree, top)
        if broken is not None:  # a parent folder replaced by a symlink: report it as the changed entry
            out[broken] = (SYMLINK_MODE, os.readlink(worktree / broken).encode())
            continue
        start = worktree / top
        if start.is_symlink() or start.is_file():
            out[PurePosixPath(top).as_posix()] = _entry(start)
            continue
        for root, dirs, files in os.walk(start, followlinks=False):
            for name in files + [d for d in dirs if (Path(root) / d).is_symlink()]:
                path = Path(root) / name
                out[path.relative_to(worktree).as_posix()] = _entry(path)
    return out


def is_cache(rel: str) -> bool:
    """True for byte-code caches a test run leaves behind."""
    parts = PurePosixPath(rel).parts
    return rel.endswith((".pyc", ".pyo")) or any(part in CACHE_DIRS for part in parts)


def _entry(path: Path) -> tuple[str, bytes]:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return SYMLINK_MODE, os.readlink(path).encode()
    if not stat.S_ISREG(info.st_mode):
        return "special", b""
    mode = EXEC_MODE if info.st_mode & stat.S_IXUSR else "100644"
    return mode, path.read_bytes()


def _norm_mode(mode: str) -> str:
    return mode if mode in (SYMLINK_MODE, EXEC_MODE) else "100644"


def _symlinked_parent(worktree: Path, top: str) -> str | None:
    """The first proper parent of `top` inside the worktree that is a symlink, or None."""
    current = worktree
    for part in PurePosixPath(top).parts[:-1]:
        current = current / part
        if current.is_symlink():
            return current.relative_to(worktree).as_posix()
    return None


def _clear(worktree: Path, top: str) -> None:
    """Remove what is on disk at a protected path (and any symlinked parent) so it can be rewritten."""
    broken = _symlinked_parent(worktree, top)
    target = worktree / (broken or top)
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    elif target.exists():  # a fifo or socket the agent left
        target.unlink()


def _write(worktree: Path, rel: str, mode: str, data: bytes) -> None:
    path = worktree / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == SYMLINK_MODE:
        os.symlink(data.decode(), path)
        return
    path.write_bytes(data)
    path.chmod(0o755 if mode == EXEC_MODE else 0o644)


def _cat_blobs(repo: Path, shas: list[str]) -> dict[str, bytes]:
    """Contents of blobs by sha, with one `git cat-file --batch` process."""
    if not shas:
        return {}
    unique = list(dict.fromkeys(shas))
    done = subprocess.run(git_command("cat-file", "--batch"), cwd=repo, env=git_env(), capture_output=True,
                          input="".join(f"{sha}\n" for sha in unique).encode(), timeout=120, check=True)
    out, pos = {}, 0
    for sha in unique:
        header_end = done.stdout.index(b"\n", pos)
        size = int(done.stdout[pos:header_end].split()[2])
        out[sha] = done.stdout[header_end + 1: header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return out
