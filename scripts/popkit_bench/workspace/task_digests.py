"""Digests of a run's task files, taken at run start and checked later: a task file that changed while the
run was going (a trial writing into popkit-ops' bundled tasks, say) stops the run with a clear error.

Covered per task: the task YAML, its responses file, play and solution patch, and a bundled codebase folder
(the folder the run copies; a git codebase is cloned at a fixed commit, so it cannot drift).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from popkit_bench.errors import BenchError
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.codebase import folder_digest, locate_codebase

MISSING = "missing"


class TaskFilesChanged(BenchError):
    """A task file changed after the run started (exit 2): results would mix two versions of a task."""


@dataclass(frozen=True)
class TaskDigests:
    """sha256 of every task file of a run (path -> hex digest, or "missing")."""

    files: dict[str, str]

    def changed(self) -> list[str]:
        """The paths whose content differs from the digest taken at start."""
        return [path for path, digest in self.files.items() if _digest(Path(path)) != digest]

    def verify(self) -> None:
        """Raise TaskFilesChanged naming every changed path; return when all are unchanged."""
        changed = self.changed()
        if changed:
            raise TaskFilesChanged(
                "task file(s) changed after the run started, so later trials would not run the same task: "
                + ", ".join(changed)
                + ". The run stopped. Restore the files (e.g. `git checkout -- <path>`), then resume the run."
            )


def take_digests(tasks: list[TaskSpec]) -> TaskDigests:
    """Digest each task's files as they are now (call once, before the first trial)."""
    files: dict[str, str] = {}
    for task in tasks:
        for path in (task.path, task.responses_path, task.play_path, task.solution_path):
            if path is not None:
                files[str(path)] = _digest(path)
        folder, bundled = locate_codebase(task)
        if bundled:
            files[str(folder)] = _digest(folder)
    return TaskDigests(files)


def _digest(path: Path) -> str:
    if path.is_dir():
        return folder_digest(path)
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return MISSING
