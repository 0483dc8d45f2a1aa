"""Clean up after a run that was killed (SIGKILL, power loss): orphan processes, worktrees, config dirs.

Called by a run flow before it (re)starts a run folder; the journal itself is repaired by
RunDir.repair_journal. Everything here is idempotent and never raises.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from popkit_bench.agent.isolation import config_root
from popkit_bench.process.tree import kill_processes, processes_inside
from popkit_bench.record.rundir import RunDir
from popkit_bench.workspace.git import git


@dataclass
class Cleanup:
    """What a recovery pass found and removed."""

    torn_bytes: int = 0
    orphans: list[int] = field(default_factory=list)
    worktrees: list[str] = field(default_factory=list)
    config_dirs: int = 0

    def summary(self) -> str | None:
        """One line for the progress output, or None when there was nothing to clean."""
        parts = []
        if self.torn_bytes:
            parts.append(f"cut a torn journal line ({self.torn_bytes} bytes, kept in results.jsonl.torn)")
        if self.orphans:
            parts.append(f"killed {len(self.orphans)} orphan process(es)")
        if self.worktrees:
            parts.append(f"removed {len(self.worktrees)} leftover worktree(s)")
        if self.config_dirs:
            parts.append(f"removed {self.config_dirs} leftover config folder(s)")
        return "recovered from an earlier run: " + ", ".join(parts) if parts else None


def config_key(run_dir: Path) -> str:
    """The name of a run's config-folder root: the folder name plus a hash of its absolute path, so two
    runs in folders of the same name (e.g. `run`) never share or clean each other's config folders."""
    path = str(Path(run_dir).resolve())
    return f"{Path(path).name}-{hashlib.sha256(path.encode()).hexdigest()[:10]}"


def remove_config_root(key: str) -> int:
    """Delete a run's config folders; return how many trial folders were left in it."""
    root = config_root(key)
    if not root.is_dir():
        return 0
    count = sum(1 for _ in root.iterdir())
    shutil.rmtree(root, ignore_errors=True)
    return count


def recover(run: RunDir, key: str, *, keep: set[str] = frozenset()) -> Cleanup:
    """Repair the journal, kill orphans of a killed run, remove its worktrees (except slugs in `keep`)
    and its per-trial config folders (`key`: config_key of the run folder)."""
    done = Cleanup()
    done.torn_bytes = run.repair_journal()
    orphans = processes_inside([run.path / "worktrees", run.path / "trials"], env_var="CLAUDE_CONFIG_DIR",
                               env_prefixes=[config_root(key)])
    if orphans:
        done.orphans = kill_processes(orphans)
    done.worktrees = remove_worktrees(run.path, keep)
    done.config_dirs = remove_config_root(key)
    return done


def remove_worktrees(run_path: Path, keep: set[str] = frozenset()) -> list[str]:
    """Unregister and delete the run's trial worktrees (git worktree remove + prune in each codebase repo)."""
    base = run_path / "worktrees"
    removed: list[str] = []
    repos = [p for p in (run_path / "codebases").glob("*") if (p / ".git").exists()]
    for repo in repos:
        listing = git("worktree", "list", "--porcelain", cwd=repo, check=False)
        for line in listing.splitlines():
            if not line.startswith("worktree "):
                continue
            path = Path(line[len("worktree "):])
            if path.parent == base and path.name not in keep:
                git("worktree", "remove", "--force", str(path), cwd=repo, check=False)
                removed.append(path.name)
    if base.is_dir():
        for leftover in base.iterdir():
            if leftover.name not in keep:
                shutil.rmtree(leftover, ignore_errors=True)
                if leftover.name not in removed:
                    removed.append(leftover.name)
    for repo in repos:
        git("worktree", "prune", cwd=repo, check=False)
    return removed
