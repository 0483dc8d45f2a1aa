"""What a worker node runs for one trial: check the CLI, unbundle the codebase and the inputs into a scratch
folder, run the trial with the same LocalExecutor as a local run, and return the record plus a tar.gz of
the artifacts. The scratch folder is removed afterwards."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from popkit_bench.agent.cli_locator import cli_version, find_claude
from popkit_bench.execution.ray.archive import pack
from popkit_bench.execution.ray.bundle import unbundle
from popkit_bench.execution.ray.inputs import localize_inputs
from popkit_bench.execution.ray.worktree_return import pack_worktree
from popkit_bench.execution.retry import NODE_FAILURE_PREFIX
from popkit_bench.execution.spec import TrialSpec
from popkit_bench.process.tree import kill_descendants

# work(scratch, trial_dir, stop) -> {"record": the record as JSON, "worktree": tar.gz of a kept worktree | None}
Work = Callable[[Path, Path, threading.Event], dict[str, Any]]


def node_cli(expected: str | None, driver_binary: Path | None = None) -> tuple[Path | None, str | None]:
    """(the claude to run on this node, None) or (None, why this node cannot run the run's pinned version).

    Candidates: the driver's path (when the node has a file there, e.g. the same image) and this node's own
    CLI (POPKIT_CLAUDE_BIN, the pinned install, PATH); the first with the pinned version wins."""
    candidates = [Path(driver_binary)] if driver_binary is not None else []
    own = find_claude(None)
    if own is not None and own not in candidates:
        candidates.append(own)
    seen = []
    for binary in (c for c in candidates if c.exists()):
        version = cli_version(binary)
        if not expected or version == expected:
            return binary, None
        seen.append(f"{binary} is version {version or 'unknown'}")
    if not seen:
        return None, (f"no Claude Code CLI on this node (install @anthropic-ai/claude-code@"
                      f"{expected or '<the pinned version>'} or set POPKIT_CLAUDE_BIN; see deploy/ray/README.md)")
    return None, f"this node's Claude Code CLI {'; '.join(seen)}, the run pinned {expected}"


def this_node() -> dict[str, str]:
    """The Ray node this code runs on: its id and address."""
    import ray

    context = ray.get_runtime_context()
    return {"node_id": context.get_node_id(), "address": ray.util.get_node_ip_address()}


def localize(spec: TrialSpec, bundle: bytes, inputs: dict[str, Any], scratch: Path, binary: Path,
             fetch: Callable[[Any], bytes]) -> TrialSpec:
    """The spec as this node runs it: codebase, plugins and responses under `scratch`, the node's CLI."""
    spec = spec.with_codebase(unbundle(bundle, scratch / "repo", spec.codebase))
    spec = localize_inputs(spec, inputs, scratch, fetch)
    return dataclasses.replace(spec, claude_bin=binary)


def execute_here(work: Work, stop: threading.Event) -> dict[str, Any]:
    """Run `work` in a fresh scratch folder (removed afterwards): {"record", "archive"} or {"infra_error"}.

    The trial runs in a thread so that a Ray cancel (KeyboardInterrupt in this thread) sets `stop`, kills
    the trial's processes, and only then ends the task."""
    scratch = Path(tempfile.mkdtemp(prefix="popkit-ray-trial-"))
    trial_dir = scratch / "trial"
    trial_dir.mkdir()
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result.update(work(scratch, trial_dir, stop))
        except BaseException as exc:  # noqa: BLE001 - reported to the driver as an infrastructure failure
            result["error"] = f"{exc.__class__.__name__}: {exc}"

    thread = threading.Thread(target=target, name="popkit-trial", daemon=True)
    try:
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.2)
        except KeyboardInterrupt:  # ray.cancel: end this trial's processes (a Ray worker runs one task at once)
            stop.set()
            kill_descendants(grace_s=2)
            thread.join(60)
            raise
        if "record" not in result:
            error = str(result.get("error") or "")
            if error.startswith(f"NodeSandboxError: {NODE_FAILURE_PREFIX}"):
                return {"infra_error": error.split(": ", 1)[1]}
            return {"infra_error": f"{NODE_FAILURE_PREFIX} the trial's harness failed: {error}"}
        return {"record": result["record"], "archive": pack(trial_dir), "worktree": result.get("worktree")}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_on_node(spec_json: dict[str, Any], bundle: bytes, inputs: dict[str, Any], gate: Any = None,
                lease_id: str | None = None) -> dict[str, Any]:
    """The body of the Ray task: {"node", "record", "archive", "gate_wait_s"} or {"node", "infra_error"}."""
    import ray

    from popkit_bench.execution.ray.gate import acquire
    from popkit_bench.execution.ray.node_sandbox import run_here

    node = this_node()
    spec = TrialSpec.from_json(spec_json)
    binary, problem = node_cli(spec.claude_version, spec.claude_bin)
    if binary is None:
        return {"node": node, "infra_error": f"{NODE_FAILURE_PREFIX} {problem}"}

    def work(scratch: Path, trial_dir: Path, stop: threading.Event) -> dict[str, Any]:
        local = localize(spec, bundle, inputs, scratch, binary, ray.get)
        record = run_here(local, scratch, trial_dir, stop).to_json()
        kept = scratch / "worktrees" / spec.key.slug
        worktree = pack_worktree(kept) if spec.settings.keep_worktree and kept.is_dir() else None
        return {"record": record, "worktree": worktree}

    waited = 0.0
    if gate is not None and lease_id is not None:
        waited = acquire(gate, lease_id, node["node_id"]) or 0.0
    try:
        out = execute_here(work, threading.Event())
    finally:
        if gate is not None and lease_id is not None:
            gate.release.remote(lease_id)
    return {"node": node, "gate_wait_s": waited, **out}
