"""Which host paths a confined trial sees: the system read-only, the tools it runs, nothing personal."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# Top-level folders that make up "the system" (bound read-only). Everything else at / (home folders,
# /root, /work, /srv, /mnt, /media, /var, ...) is simply absent inside the sandbox.
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt")
PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # popkit-ops itself (scripts/popkit_bench/sandbox/..)


def system_entries(root: Path = Path("/")) -> list[tuple[str, Path, str | None]]:
    """(kind, path, symlink target) of the system folders present: ('dir', /usr, None) or ('symlink', /bin, 'usr/bin')."""
    entries = []
    for name in SYSTEM_DIRS:
        path = root / name
        if path.is_symlink():
            entries.append(("symlink", Path("/") / name, os.readlink(path)))
        elif path.is_dir():
            entries.append(("dir", Path("/") / name, None))
    return entries


def is_system_path(path: Path) -> bool:
    """True when `path` lies in a system folder (already visible, read-only)."""
    parts = Path(os.path.realpath(path)).parts
    return len(parts) > 1 and parts[1] in SYSTEM_DIRS


def install_dir(binary: Path) -> Path:
    """The folder to bind for a program: the top `node_modules`' parent for npm installs, else its folder."""
    real = Path(os.path.realpath(binary))
    for parent in real.parents:
        if parent.name == "node_modules":
            return parent.parent
    return real.parent


def tool_dirs(claude_binary: Path | None) -> list[Path]:
    """Install folders of the programs a trial runs that live outside the system folders.

    The Claude Code CLI (its npm install folder, and the folder of a symlink pointing at it), this Python
    (a virtual environment and its base installation) and `node` found on PATH. Other programs on PATH
    outside the system folders (e.g. pyenv shims in a home folder) are not visible: PATH falls through
    to the system's.
    """
    found: list[Path] = []
    if claude_binary is not None:
        found += [install_dir(claude_binary), Path(os.path.abspath(claude_binary)).parent]
    found += [Path(sys.prefix), Path(sys.base_prefix)]
    for name in ("node",):
        located = shutil.which(name)
        if located:
            found.append(install_dir(Path(located)))
            found.append(Path(os.path.abspath(located)).parent)
    return unique_outside_system(found)


def unique_outside_system(paths: list[Path]) -> list[Path]:
    """Existing paths not under a system folder, de-duplicated, in order."""
    out: list[Path] = []
    for path in paths:
        path = Path(os.path.abspath(path))
        if path.exists() and not is_system_path(path) and path != Path("/") and path not in out:
            out.append(path)
    return out


def worktree_git_dirs(worktree: Path) -> tuple[list[Path], list[Path]]:
    """(writable, read-only) git folders a linked worktree needs: its own gitdir rw, the shared repository ro.

    A plain clone (`.git` folder inside the worktree) needs nothing extra.
    """
    marker = worktree / ".git"
    if not marker.is_file():
        return [], []
    text = marker.read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        return [], []
    gitdir = (worktree / text.split(":", 1)[1].strip()).resolve()
    common_file = gitdir / "commondir"
    common = (gitdir / common_file.read_text().strip()).resolve() if common_file.is_file() else gitdir
    return [gitdir], ([common] if common != gitdir else [])
