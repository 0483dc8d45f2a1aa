"""RayExecutor: the driver's Executor that runs each trial as a Ray task on some node of the cluster.

The spec travels as plain JSON, the codebase as a git bundle and the plugin folders as tar.gz through the
object store (one `ray.put` each per run), the artifacts come back as a tar.gz unpacked into the run's
trial folder. The driver's run folder stays the single source of truth: the Scheduler journals the record,
retries a trial whose node failed (`node: ...` reasons are infrastructure failures) and cancels on Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from popkit_bench.execution.local import base_record, finish
from popkit_bench.execution.ray.archive import ArchiveError, unpack
from popkit_bench.execution.ray.bundle import BundleStore
from popkit_bench.execution.ray.connect import SLOT_RESOURCE, import_ray, live_nodes, node_label
from popkit_bench.execution.ray.inputs import InputStore
from popkit_bench.execution.ray.worker import run_on_node
from popkit_bench.execution.ray.worktree_return import restore_worktree
from popkit_bench.execution.retry import NODE_FAILURE_PREFIX
from popkit_bench.execution.spec import TrialSpec
from popkit_bench.record.trial_record import ERROR, INTERRUPTED, TrialRecord
from popkit_bench.workspace.worktree import WorkspaceError

CANCEL_GRACE_S = 30.0
LOST = ("NodeDiedError", "WorkerCrashedError", "ObjectLostError", "OwnerDiedError", "RaySystemError",
        "LocalRayletDiedError", "ObjectFetchTimedOutError")


class RayExecutor:
    """Executor protocol (`name`, `run(spec, trial_dir, cancel)`) on top of Ray tasks."""

    name = "ray"

    def __init__(self, *, worktree_root: Path | None = None, gate: Any = None, num_cpus: float = 1.0,
                 sandbox: str = "none") -> None:
        self.worktree_root = worktree_root  # where a kept worktree is re-created on the driver
        self.gate = gate
        self.sandbox = sandbox  # the run's level: the node confines the trial (node_sandbox.py)
        self.num_cpus = num_cpus
        self.bundles = BundleStore()
        self.inputs = InputStore()
        self.nodes_seen: dict[str, str] = {}  # node id -> label, nodes that ran a trial
        self.trials_per_node: dict[str, int] = {}
        self.bad_nodes: set[str] = set()  # nodes that could not run a trial (no CLI, other version)
        self._lock = threading.Lock()
        self._turn = 0
        self._task: Any = None  # the Ray remote function, made once

    def run(self, spec: TrialSpec, trial_dir: Path, cancel: threading.Event) -> TrialRecord:
        """Run the trial on the cluster; never raises (infrastructure problems are `error` records)."""
        t0 = time.monotonic()
        try:
            out = self.submit_and_wait(spec, cancel)
        except Exception as exc:  # noqa: BLE001 - the executor records, never raises
            return self.failed(spec, ERROR, f"{NODE_FAILURE_PREFIX} {describe_ray_error(exc)}", None, t0)
        if out is None:
            return self.failed(spec, INTERRUPTED, "run interrupted; resume runs this trial again", None, t0)
        node = out.get("node") or {}
        if "infra_error" in out:
            with self._lock:
                self.bad_nodes.add(node.get("node_id", ""))
            return self.failed(spec, ERROR, out["infra_error"], self.label(node), t0)
        try:
            unpack(out["archive"], trial_dir)
            if out.get("worktree") is not None and self.worktree_root is not None:
                restore_worktree(out["worktree"], spec.codebase, self.worktree_root / spec.key.slug)
        except (ArchiveError, WorkspaceError) as exc:
            return self.failed(spec, ERROR, f"{NODE_FAILURE_PREFIX} artifacts refused: {exc}", self.label(node), t0)
        record = TrialRecord.from_json(out["record"])
        record.node = self.remember(node)
        record.executor = self.name
        return record

    def submit_and_wait(self, spec: TrialSpec, cancel: threading.Event) -> dict[str, Any] | None:
        """The task's result, or None when `cancel` was set (the task is cancelled, its lease given back)."""
        ray = import_ray()
        lease = f"{spec.key.slug}-{uuid.uuid4().hex[:8]}"
        with self._lock:
            if self._task is None:  # no automatic retry: a lost node goes back to the scheduler as `node: ...`
                self._task = ray.remote(max_retries=0)(run_on_node)
        task = self._task.options(num_cpus=self.num_cpus, resources={SLOT_RESOURCE: 1},
                                  scheduling_strategy=self.strategy())
        confined = dataclasses.replace(spec, settings=dataclasses.replace(spec.settings, sandbox=self.sandbox))
        ref = task.remote(confined.to_json(), self.bundles.ref_for(spec.codebase), self.inputs.inputs_for(spec),
                          self.gate, lease)
        try:
            while not ray.wait([ref], timeout=0.5)[0]:
                if cancel.is_set():
                    ray.cancel(ref)
                    ray.wait([ref], timeout=CANCEL_GRACE_S)
                    return None
            return ray.get(ref)
        finally:
            if self.gate is not None:
                self.gate.release.remote(lease)  # idempotent; a dead node's lease must not leak

    def strategy(self) -> Any:
        """Ray's default placement, or, once a node failed a trial, a soft preference for another node."""
        with self._lock:
            bad = set(self.bad_nodes)
        if not bad:
            return "DEFAULT"
        good = [n["node_id"] for n in live_nodes() if n["slots"] > 0 and n["node_id"] not in bad]
        if not good:
            return "DEFAULT"
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        with self._lock:
            self._turn += 1
            return NodeAffinitySchedulingStrategy(good[self._turn % len(good)], soft=True)

    def label(self, node: dict[str, Any]) -> str | None:
        return node_label(node.get("address"), node["node_id"]) if node.get("node_id") else None

    def remember(self, node: dict[str, Any]) -> str | None:
        label = self.label(node)
        if label is not None:
            with self._lock:
                self.nodes_seen[node["node_id"]] = label
                self.trials_per_node[label] = self.trials_per_node.get(label, 0) + 1
        return label

    def failed(self, spec: TrialSpec, status: Any, reason: str, node: str | None, t0: float) -> TrialRecord:
        """The record of a trial that produced none (node lost, CLI missing, cancelled)."""
        record = base_record(spec, str(uuid.uuid4()), self.name)
        record.node = node
        return finish(record, t0, status=status, reason=reason)

    def describe(self) -> dict[str, Any]:
        """For run.json: the nodes that ran trials (and how many) and the nodes that could not."""
        with self._lock:
            return {"name": self.name, "trials_per_node": dict(sorted(self.trials_per_node.items())),
                    "failed_nodes": sorted(self.bad_nodes)}


def describe_ray_error(exc: BaseException) -> str:
    """One line for a task that did not come back: a lost node or worker, or another Ray error."""
    name = exc.__class__.__name__
    text = str(exc).strip()
    if name in LOST or "node" in text.lower() and "died" in text.lower():
        return f"the node running this trial was lost ({name}); the trial runs again elsewhere"
    return f"{name}: {text.splitlines()[0][:300] if text else 'no detail'}"
