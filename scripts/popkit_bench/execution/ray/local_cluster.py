"""A multi-node Ray cluster on this machine, all on 127.0.0.1 (tests and benchmarks/bench_ray.py).

Every node is its own raylet (ray.cluster_utils.Cluster), so killing one is a real node loss."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import Any

from popkit_bench.execution.ray.connect import LOOPBACK, SLOT_RESOURCE, default_runtime_env, loopback_env

REGISTER_WAIT_S = 240.0


def patient(get_node: Callable[..., Any]) -> Callable[..., Any]:
    """Ray's node start asks the GCS for the new node and gives up after 30 s, which a loaded machine
    misses (GCS "Deadline Exceeded"); this version of `get_node` keeps asking for REGISTER_WAIT_S."""
    if getattr(get_node, "popkit_patient", False):
        return get_node

    def wait_for_node(*args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + REGISTER_WAIT_S
        while True:
            try:
                return get_node(*args, **kwargs)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    wait_for_node.popkit_patient = True  # type: ignore[attr-defined]
    return wait_for_node


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def node_args(slots: int, cpus: int | None = None) -> dict[str, Any]:
    """Arguments of one node: `slots` trial slots (and as many CPUs unless given). The agents' ports are
    chosen here: with port 0 the raylet waits for the agent to write its port to a file and dies after
    ~15 s, which a loaded machine misses."""
    return {"num_cpus": slots if cpus is None else cpus, "node_ip_address": LOOPBACK,
            "resources": {SLOT_RESOURCE: slots}, "include_dashboard": False,
            "metrics_agent_port": free_port(), "runtime_env_agent_port": free_port(),
            "dashboard_agent_listen_port": free_port()}


class LocalCluster:
    """A head node (`head_slots` trial slots; 0 = it only hosts the driver's actors) plus worker nodes."""

    def __init__(self, worker_slots: list[int], head_slots: int = 0, connect: bool = True) -> None:
        loopback_env()
        # a busy machine starts a raylet's agents slowly (Ray's default: the raylet gives up after ~15 s)
        os.environ.setdefault("RAY_agent_register_timeout_ms", "180000")
        import ray._private.services as services
        from ray.cluster_utils import Cluster

        services.get_node = patient(services.get_node)

        self.cluster = Cluster(initialize_head=False)
        self.add_node(node_args(head_slots, cpus=max(1, head_slots)))
        self.workers = [self.add_node(node_args(slots)) for slots in worker_slots]
        self.cluster.wait_for_nodes()
        if connect:
            self.connect()

    @property
    def address(self) -> str:
        return self.cluster.address

    def connect(self) -> None:
        """Make this process the cluster's driver (the popkit code shipped to the nodes)."""
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, _node_ip_address=LOOPBACK, runtime_env=default_runtime_env(),
                     log_to_driver=False, logging_level="WARNING")

    def add_node(self, args: dict[str, Any], attempts: int = 3) -> Any:
        """Start one node; Ray gives a raylet 30 s to register, which a loaded machine can miss: then the
        half-started node's processes (children of this process) are killed and it is started again."""
        import psutil

        me = psutil.Process()
        for attempt in range(1, attempts + 1):
            before = {child.pid for child in me.children(recursive=True)}
            try:
                return self.cluster.add_node(**args)
            except Exception as exc:  # noqa: BLE001 - Ray raises a bare Exception for this
                if "timed out during startup" not in str(exc) or attempt == attempts:
                    raise
                for child in me.children(recursive=True):
                    if child.pid not in before:
                        child.kill()
        raise AssertionError("unreachable")

    def add_worker(self, slots: int = 1) -> Any:
        node = self.add_node(node_args(slots))
        self.cluster.wait_for_nodes()
        return node

    def kill(self, node: Any) -> None:
        """Kill a worker node at once (its raylet and its workers), as if the machine died."""
        self.cluster.remove_node(node, allow_graceful=False)

    def shutdown(self) -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        self.cluster.shutdown()
