"""What a worker node runs for one trial: check the CLI, unbundle the codebase into a scratch folder, run the
trial with the same LocalExecutor as a local run, and return the record plus a tar.gz of the artifacts."""

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

# runner(spec_json, bundle, scratch, trial_dir, stop) -> the record as JSON
Runner = Callable[[dict[str, Any], bytes, Path, Path, threading.Event], dict[str, Any]]
INFRA_PREFIX = "node:"  # status_reason prefix of a trial a node could not run (an infrastructure failure)


def cli_problem(expected: str | None, binary: str | None = None) -> str | None:
    """Why this node cannot run the run's Claude Code (missing, or another version than pinned), else None."""
    found = find_claude(binary)
    if found is None or not found.exists():
        return (f"no Claude Code CLI on this node (install @anthropic-ai/claude-code@{expected or 'the pinned version'} "
                "or set POPKIT_CLAUDE_BIN; see deploy/ray/)")
    version = cli_version(found)
    if expected and version != expected:
        return f"this node's Claude Code CLI {found} is version {version or 'unknown'}, the run pinned {expected}"
    return None


def this_node() -> dict[str, str]:
    """The Ray node this code runs on: its id and address."""
    import ray

    context = ray.get_runtime_context()
    return {"node_id": context.get_node_id(), "address": ray.util.get_node_ip_address()}


def local_runner(spec_json: dict[str, Any], bundle: bytes, scratch: Path, trial_dir: Path,
                 stop: threading.Event) -> dict[str, Any]:
    """The local run's code on this node: the spec with its codebase unbundled here, then LocalExecutor."""
    from popkit_bench.execution.local import LocalExecutor
    from popkit_bench.execution.spec import TrialSpec

    spec = TrialSpec.from_json(spec_json)
    spec = dataclasses.replace(spec, codebase=unbundle(bundle, scratch / "repo", spec.codebase))
    return LocalExecutor(scratch / "worktrees").run(spec, trial_dir, stop).to_json()


def execute_here(spec_json: dict[str, Any], bundle: bytes, stop: threading.Event,
                 runner: Runner = local_runner) -> dict[str, Any]:
    """Run one trial in a fresh scratch folder (removed afterwards): {"record", "archive"}.

    The trial runs in a thread so that a Ray cancel (KeyboardInterrupt in this thread) sets `stop`, lets
    the executor kill its process tree, and only then ends the task."""
    scratch = Path(tempfile.mkdtemp(prefix="popkit-ray-trial-"))
    trial_dir = scratch / "trial"
    trial_dir.mkdir()
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["record"] = runner(spec_json, bundle, scratch, trial_dir, stop)
        except BaseException as exc:  # noqa: BLE001 - reported to the driver as an infrastructure failure
            result["error"] = f"{exc.__class__.__name__}: {exc}"

    thread = threading.Thread(target=work, name="popkit-trial", daemon=True)
    try:
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.2)
        except KeyboardInterrupt:  # ray.cancel
            stop.set()
            thread.join(60)
            raise
        if "record" not in result:
            return {"infra_error": f"{INFRA_PREFIX} the trial's harness failed: {result.get('error')}"}
        return {"record": result["record"], "archive": pack(trial_dir)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_on_node(spec_json: dict[str, Any], bundle: bytes, expected_cli: str | None, gate: Any = None,
                lease_id: str | None = None, runner: Runner = local_runner) -> dict[str, Any]:
    """The body of the Ray task: {"node", "record", "archive", "gate_wait_s"} or {"node", "infra_error"}."""
    from popkit_bench.execution.ray.gate import acquire

    node = this_node()
    problem = cli_problem(expected_cli)
    if problem is not None:
        return {"node": node, "infra_error": f"{INFRA_PREFIX} {problem}"}
    waited = 0.0
    if gate is not None and lease_id is not None:
        waited = acquire(gate, lease_id, node["node_id"]) or 0.0
    try:
        out = execute_here(spec_json, bundle, threading.Event(), runner)
    finally:
        if gate is not None and lease_id is not None:
            gate.release.remote(lease_id)
    return {"node": node, "gate_wait_s": waited, **out}
