"""The executor a node runs a trial with: the same as a local run's, confined the same way.

`--sandbox bwrap` (or auto resolved to bwrap on the driver) travels in the spec's settings; the node then
confines the trial with its own bubblewrap and its own model gateway (SandboxRuntime, started for the
trial): the gateway forwards to the spec's model URL (the scripted model) or, for a real run, to the API
with the node's credential. A node where bubblewrap cannot start fails the trial as an infrastructure
error (`node: ...`), never silently unconfined.
"""

from __future__ import annotations

import threading
from pathlib import Path

from popkit_bench.errors import InputError
from popkit_bench.execution.local import LocalExecutor
from popkit_bench.execution.retry import NODE_FAILURE_PREFIX
from popkit_bench.execution.spec import TrialSpec
from popkit_bench.record.trial_record import TrialRecord
from popkit_bench.sandbox.executor import ConfinedExecutor
from popkit_bench.sandbox.probe import LEVEL_BWRAP, resolve_sandbox
from popkit_bench.sandbox.runtime import SandboxRuntime


class NodeSandboxError(RuntimeError):
    """The run asked for a sandbox this node cannot give."""


def run_here(spec: TrialSpec, scratch: Path, trial_dir: Path, stop: threading.Event) -> TrialRecord:
    """Run the (localized) spec on this node: unconfined, or in bubblewrap behind a node-local gateway."""
    worktrees = scratch / "worktrees"
    if spec.settings.sandbox != LEVEL_BWRAP:
        return LocalExecutor(worktrees).run(spec, trial_dir, stop)
    try:
        choice = resolve_sandbox(LEVEL_BWRAP)
    except InputError as exc:
        raise NodeSandboxError(f"{NODE_FAILURE_PREFIX} the run is sandboxed but this node cannot: {exc}") from None
    runtime = SandboxRuntime(choice, run_dir=scratch, claude_binary=spec.claude_bin,
                             scripted=spec.model_base_url is not None, run_budget_usd=None)
    runtime.start()
    try:
        executor = ConfinedExecutor(runtime, lambda confinement: LocalExecutor(worktrees, confinement=confinement))
        return executor.run(spec, trial_dir, stop)
    finally:
        runtime.stop()
