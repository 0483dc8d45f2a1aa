"""`--executor ray`: connect to the cluster, check it has trial slots, start the run's API gate, and give the
scheduler a RayExecutor; describe the cluster for run.json; disconnect at the end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.execution.ray.connect import SLOT_RESOURCE, connect, live_nodes, node_label
from popkit_bench.execution.ray.executor import RayExecutor
from popkit_bench.execution.ray.gate import start_gate


@dataclass(frozen=True)
class RayOptions:
    """How the run uses the cluster."""

    address: str | None = None  # None: a local single-node Ray started for this run
    api_concurrency: int | None = None  # Claude Code sessions at once, whole cluster (None: = trial slots)
    api_rate_per_min: float | None = None  # session starts per minute, whole cluster (None: no limit)
    local_slots: int | None = None  # trial slots of a local Ray (no address)
    sandbox: str = "none"  # the run's sandbox level; each node confines its trials at this level


class RaySession:
    """The driver's side of a run on Ray."""

    def __init__(self, options: RayOptions, run_id: str, worktree_root: Path) -> None:
        self.options = options
        self.connection = connect(options.address, local_slots=options.local_slots)
        self.nodes = live_nodes()
        self.slots = sum(n["slots"] for n in self.nodes)
        if self.slots < 1:
            self.close()
            raise InputError(f"the Ray cluster at {options.address or 'this machine'} has no node with the "
                             f"{SLOT_RESOURCE!r} resource", field="--ray-address",
                             expected=f"worker nodes started with --resources='{{\"{SLOT_RESOURCE}\": N}}' "
                                      "(see deploy/ray/README.md)")
        concurrency = options.api_concurrency or self.slots
        self.gate = start_gate(run_id, concurrency, options.api_rate_per_min)
        self.executor = RayExecutor(worktree_root=worktree_root, gate=self.gate, sandbox=options.sandbox)

    def summary(self) -> str:
        """One progress line: where the trials run and under which API limits."""
        slots = ", ".join(f"{node_label(n['address'], n['node_id'])} x{n['slots']}" for n in self.nodes if n["slots"])
        rate = f", at most {self.options.api_rate_per_min:g} session starts/min" if self.options.api_rate_per_min \
            else ""
        return (f"ray: {self.options.address or 'local Ray'}: {len(self.nodes)} node(s), {self.slots} trial slot(s) "
                f"({slots}); API gate: at most {self.options.api_concurrency or self.slots} sessions at once{rate}")

    def describe(self) -> dict[str, Any]:
        """run.json's `executor`: the cluster at the start, the nodes that ran trials, the API gate."""
        data: dict[str, Any] = {
            "address": self.options.address,
            "cluster_nodes": [{"node": node_label(n["address"], n["node_id"]), "trial_slots": n["slots"],
                               "cpus": n["cpus"]} for n in self.nodes],
            "api_concurrency": self.options.api_concurrency or self.slots,
            "api_rate_per_min": self.options.api_rate_per_min,
            "api_gate": self.gate_stats(),
            "sandbox": self.options.sandbox,
        }
        return {**self.executor.describe(), **data}

    def gate_stats(self) -> dict[str, Any] | None:
        """Leases granted so far and the most held at once (None when the gate cannot be reached)."""
        import ray

        try:
            return ray.get(self.gate.stats.remote(), timeout=10)
        except Exception:  # noqa: BLE001 - run.json is written even when the cluster is going away
            return None

    def close(self) -> None:
        """Stop the run's API gate; disconnect (and stop a local Ray this run started)."""
        import ray

        if getattr(self, "gate", None) is not None and ray.is_initialized():
            ray.kill(self.gate)
        if self.connection.started_here:
            self.connection.close()
