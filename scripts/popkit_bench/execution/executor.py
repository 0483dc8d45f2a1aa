"""The executor seam: one trial spec in, one typed record (plus a folder of artifacts) out.

An executor knows nothing of the run as a whole (plan, journal, retries, budget: the scheduler's). It
writes the trial's artifacts (stream.jsonl, transcript/, stderr.txt, verification.json, interactions.jsonl)
into `trial_dir`, which the scheduler created empty, and returns the record. It never raises: a failure of
the harness is a record with status `error`. When `cancel` is set it stops the trial as soon as it can.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

from popkit_bench.execution.spec import TrialSpec
from popkit_bench.record.trial_record import TrialRecord


class Executor(Protocol):
    """Runs one trial somewhere: here (local), in a sandbox, on a cluster node, or in memory (fake)."""

    name: str

    def run(self, spec: TrialSpec, trial_dir: Path, cancel: threading.Event) -> TrialRecord:
        """Run the trial; write its artifacts into trial_dir; return its record (never raise)."""
        ...


class Confinement(Protocol):
    """Wraps every process a trial starts (the agent, verification) so it runs inside a sandbox."""

    level: str

    def wrap(self, argv: list[str], env: dict[str, str], *, cwd: Path, writable: list[Path],
             readonly: list[Path]) -> tuple[list[str], dict[str, str]]:
        """The command line and environment that run `argv` confined."""
        ...


class NoConfinement:
    """Processes run as the user, with the user's view of the machine (`--sandbox none`)."""

    level = "none"

    def wrap(self, argv: list[str], env: dict[str, str], *, cwd: Path, writable: list[Path],
             readonly: list[Path]) -> tuple[list[str], dict[str, str]]:
        return argv, env
