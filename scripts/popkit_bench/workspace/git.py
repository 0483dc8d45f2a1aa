"""Run git without a shell, with a fixed identity, and so that no repository config can run code.

Every repository the harness runs git in may have been written by hostile code (a trial's clone) or come from
a third party (the user's codebase), so each call:
- ignores the system and global config (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null) and every GIT_*
  variable the harness inherited (GIT_DIR, GIT_CONFIG_PARAMETERS, GIT_ALTERNATE_OBJECT_DIRECTORIES, ...);
- ignores replace objects (GIT_NO_REPLACE_OBJECTS=1), so `refs/replace/` cannot swap a commit's content;
- runs no hooks (core.hooksPath=/dev/null), no fsmonitor, no pager, editor, askpass or ssh command;
- blanks every code-running key the repository's own config sets (filter.*.clean/smudge/process,
  diff.*.command/textconv, merge.*.driver, credential helpers, ...): read with `git config --file`,
  which only parses, and overridden with `-c key=` (an empty filter or driver command is "none" to git).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

SAFE_CONFIG = (
    "core.hooksPath=/dev/null", "core.fsmonitor=false", "core.attributesFile=/dev/null", "core.sshCommand=false",
    "core.askPass=", "core.pager=cat", "core.editor=true", "sequence.editor=true",
    "credential.helper=", "commit.gpgsign=false", "tag.gpgsign=false", "protocol.allow=never",
    "protocol.file.allow=always",
)
CODE_KEYS = re.compile(  # keys for which an empty value means "none" (core.* ones are set in SAFE_CONFIG)
    r"^(filter\..+\.(clean|smudge|process)|diff\..+\.(command|textconv)|merge\..+\.driver"
    r"|diff\.external|credential(\..+)?\.helper|gpg(\..+)?\.program|core\.gitproxy|pager\..+)$",
    re.IGNORECASE,
)

TRIGGERS = re.compile(r"filter|diff|merge|credential|gpg|gitproxy|pager|include", re.IGNORECASE)


class GitError(RuntimeError):
    """A git command failed; the message holds git's own words."""


def git_env() -> dict[str, str]:
    """Environment for git: no inherited GIT_* variables, no system/global config, no replace objects, no
    prompts, a fixed identity and dates."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_PAGER="cat",
        GIT_EDITOR="true",
        GIT_AUTHOR_NAME="popkit-bench",
        GIT_AUTHOR_EMAIL="popkit-bench@localhost",
        GIT_COMMITTER_NAME="popkit-bench",
        GIT_COMMITTER_EMAIL="popkit-bench@localhost",
        GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
    )
    return env


def git_command(*args: str, cwd: Path | str | None = None) -> list[str]:
    """The argv for `git args...` in `cwd`: safe settings plus blanks for the repo config's code-running keys."""
    cmd = ["git"]
    for setting in SAFE_CONFIG + tuple(f"{key}=" for key in code_keys(Path(cwd) if cwd else None)):
        cmd += ["-c", setting]
    return cmd + list(args)


def code_keys(cwd: Path | None) -> list[str]:
    """Config keys in the repository at `cwd` (its own config files, includes followed) that could run code."""
    keys: list[str] = []
    for config in _config_files(cwd):
        if not TRIGGERS.search(config.read_text(encoding="utf-8", errors="replace")):
            continue  # none of the sections that can run code, and no include: nothing to blank
        listing = subprocess.run(
            ["git", "config", "--file", str(config), "--includes", "--name-only", "--list"],
            env=git_env(), capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30,
        ).stdout
        keys += [k for k in listing.splitlines() if CODE_KEYS.match(k) and k not in keys]
    return keys


def _config_files(cwd: Path | None) -> list[Path]:
    """The repository-level config files git reads for `cwd` (a work tree root or a bare/.git folder)."""
    if cwd is None:
        return []
    dot = cwd / ".git"
    gitdir = dot if dot.is_dir() else cwd
    if dot.is_file():
        text = dot.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            gitdir = (cwd / text[len("gitdir:"):].strip()).resolve()
    dirs = [gitdir]
    common = gitdir / "commondir"
    if common.is_file():
        dirs.append((gitdir / common.read_text(encoding="utf-8", errors="replace").strip()).resolve())
    return [d / name for d in dirs for name in ("config", "config.worktree") if (d / name).is_file()]


def git(*args: str, cwd: Path | str | None = None, check: bool = True, timeout: float = 120) -> str:
    """Run `git args...`; return stdout; raise GitError with stderr on failure."""
    try:
        proc = subprocess.run(
            git_command(*args, cwd=cwd), cwd=cwd, env=git_env(), capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
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
