"""RayExecutor: the driver's Executor that runs each trial as a Ray task on some node of the cluster.

The spec travels as plain JSON, the codebase as a git bundle in the object store (one `ray.put` per
codebase), the artifacts come back as a tar.gz that is unpacked into the run's trial folder. The driver's
run folder stays the single source of truth (the Scheduler journals the returned record)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

from popkit_bench.execution.ray.archive import ArchiveError, unpack
from popkit_bench.execution.ray.bundle import BundleStore
from popkit_bench.execution.ray.connect import SLOT_RESOURCE, import_ray, node_label
from popkit_bench.execution.ray.worker import INFRA_PREFIX, run_on_node

CANCEL_GRACE_S = 30.0


class RayExecutor:
    """Executor protocol (`name`, `run(spec, trial_dir, cancel)`) on top of Ray tasks."""

    name = "ray"

    def __init__(self, *, expected_cli: str | None, gate: Any = None, num_cpus: float = 1.0,
                 bundles: BundleStore | None = None, runner: Any = None) -> None:
        self.expected_cli = expected_cli
        self.gate = gate
        self.num_cpus = num_cpus
        self.bundles = bundles or BundleStore()
        self.runner = runner  # a stand-in for the worker's LocalExecutor (tests), else the real one
        self.nodes_seen: dict[str, str] = {}  # node id -> label
        self._lock = threading.Lock()
        self._remote: Any = None

    def remote(self) -> Any:
        """The Ray remote function (no automatic retries: a lost node comes back to the Scheduler)."""
        if self._remote is None:
            ray = import_ray()
            self._remote = ray.remote(max_retries=0)(run_on_node).options(
                num_cpus=self.num_cpus, resources={SLOT_RESOURCE: 1})
        return self._remote

    def run(self, spec: Any, trial_dir: Path, cancel: threading.Event) -> Any:
        """Run the trial on the cluster; never raises (infrastructure problems are `error` records)."""
        t0 = time.monotonic()
        try:
            out = self.submit_and_wait(spec, cancel)
        except Exception as exc:  # noqa: BLE001 - the executor records, never raises
            return failed_record(spec, "error", f"{INFRA_PREFIX} {describe_ray_error(exc)}", None, t0)
        if out is None:
            return failed_record(spec, "interrupted", "run interrupted; resume runs this trial again", None, t0)
        node = self.remember(out.get("node") or {})
        if "infra_error" in out:
            return failed_record(spec, "error", out["infra_error"], node, t0)
        try:
            unpack(out["archive"], trial_dir)
        except ArchiveError as exc:
            return failed_record(spec, "error", f"{INFRA_PREFIX} artifacts refused: {exc}", node, t0)
        return finished_record(out["record"], spec, node, trial_dir)

    def submit_and_wait(self, spec: Any, cancel: threading.Event) -> dict[str, Any] | None:
        """The task's result, or None when `cancel` was set (the task is cancelled, its lease given back)."""
        ray = import_ray()
        lease = f"{spec.key.slug}-{uuid.uuid4().hex[:8]}"
        args = [spec.to_json(), self.bundles.ref_for(spec.codebase), self.expected_cli, self.gate, lease]
        if self.runner is not None:
            args.append(self.runner)
        ref = self.remote().remote(*args)
        try:
            while not ray.wait([ref], timeout=0.5)[0]:
                if cancel.is_set():
                    ray.cancel(ref)
                    ray.wait([ref], timeout=CANCEL_GRACE_S)
                    return None
            return ray.get(ref)
        finally:
            if self.gate is not None:
                self.gate.release.remote(lease)  # idempotent: a dead node's lease must not leak

    def remember(self, node: dict[str, Any]) -> str | None:
        if not node.get("node_id"):
            return None
        label = node_label(node.get("address"), node["node_id"])
        with self._lock:
            self.nodes_seen[node["node_id"]] = label
        return label

    def nodes(self) -> list[str]:
        """Labels of the nodes that ran at least one trial of this run."""
        with self._lock:
            return sorted(self.nodes_seen.values())


def describe_ray_error(exc: BaseException) -> str:
    """One line for a task that did not come back: a lost node or worker, or another Ray error."""
    name = exc.__class__.__name__
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if name in ("NodeDiedError", "WorkerCrashedError", "ActorDiedError", "ObjectLostError",
                "OwnerDiedError", "RaySystemError", "LocalRayletDiedError"):
        return f"the node running this trial was lost ({name}); retried elsewhere"
    return f"{name}: {first[:300]}"


def finished_record(record_json: dict[str, Any], spec: Any, node: str | None, trial_dir: Path) -> Any:
    """The worker's record, naming the node and the executor."""
    from popkit_bench.record.trial_record import TrialRecord

    record = TrialRecord.from_json(record_json)
    record.node = node
    record.executor = "ray"
    return record


def failed_record(spec: Any, status: str, reason: str, node: str | None, t0: float) -> Any:
    """A record for a trial that produced none (node lost, CLI missing, cancelled)."""
    from popkit_bench.execution.local import record_for_failure

    record = record_for_failure(spec, status, reason, wall_s=round(time.monotonic() - t0, 3))
    record.node = node
    record.executor = "ray"
    return record
