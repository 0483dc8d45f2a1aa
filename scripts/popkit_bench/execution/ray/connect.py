"""Connect the driver to a Ray cluster (or start a local one), on loopback when the address is local."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError

SLOT_RESOURCE = "popkit_trial_slot"  # custom resource: how many trials a node runs at once
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
LOOPBACK = "127.0.0.1"
INSTALL_HINT = "pip install 'popkit-ops[ray]' (Ray 2.x on the driver and on every node)"


def import_ray() -> Any:
    """The `ray` module, or an InputError saying how to install the extra."""
    try:
        import ray
    except ImportError:
        raise InputError("--executor ray needs the Ray package", expected=INSTALL_HINT) from None
    return ray


def is_local(address: str | None) -> bool:
    """True for no address (a local Ray instance) or an address on this machine's loopback."""
    if not address or address == "local":
        return True
    host = address.split("://")[-1].rsplit(":", 1)[0]
    return host in (LOOPBACK, "localhost")


def loopback_env() -> None:
    """Keep Ray on 127.0.0.1 (it otherwise turns loopback into the machine's address; see EXECUTION.md)."""
    for name, value in LOOPBACK_ENV.items():
        os.environ.setdefault(name, value)


def package_dirs() -> list[str]:
    """The folders of the popkit_bench and popkit_shared packages this driver runs (shipped to the nodes)."""
    import popkit_bench
    import popkit_shared

    return [str(Path(popkit_bench.__file__).parent), str(Path(popkit_shared.__file__).parent)]


def default_runtime_env(ship_code: bool = True) -> dict[str, Any]:
    """The runtime_env of the driver's job: the driver's own popkit code on every node (`py_modules`, through
    Ray's object store) and the loopback setting. The claude CLI must already be on the node (image)."""
    env: dict[str, Any] = {"env_vars": dict(LOOPBACK_ENV)}
    if ship_code:
        env["py_modules"] = package_dirs()
    return env


@dataclass
class Connection:
    """The driver's session with Ray: whether it started Ray itself (then it also shuts it down)."""

    address: str | None
    started_here: bool

    def close(self) -> None:
        ray = import_ray()
        if ray.is_initialized():
            ray.shutdown()


def connect(address: str | None, *, runtime_env: dict[str, Any] | None = None,
            local_slots: int | None = None) -> Connection:
    """ray.init on an existing cluster (`address`) or, without one, a local single-node Ray with
    `local_slots` trial slots. Already connected (tests, notebooks): reuse the connection."""
    ray = import_ray()
    if ray.is_initialized():
        return Connection(address, started_here=False)
    kwargs: dict[str, Any] = {"runtime_env": runtime_env or default_runtime_env(),
                              "log_to_driver": False, "logging_level": "WARNING"}
    if is_local(address):
        loopback_env()
        kwargs["_node_ip_address"] = LOOPBACK
    if address and address != "local":
        kwargs["address"] = address
    else:
        kwargs["resources"] = {SLOT_RESOURCE: float(local_slots or 1)}
        kwargs["include_dashboard"] = False
    try:
        ray.init(**kwargs)
    except ConnectionError as exc:
        raise InputError(f"cannot connect to the Ray cluster at {address}: {exc}",
                         expected="the address of a running Ray head (`ray start --head`), e.g. 10.0.0.5:6379") \
            from None
    return Connection(address, started_here=True)


def live_nodes() -> list[dict[str, Any]]:
    """The cluster's live nodes: id, address and trial slots."""
    ray = import_ray()
    out = []
    for node in ray.nodes():
        if node.get("Alive"):
            resources = node.get("Resources") or {}
            out.append({"node_id": node["NodeID"], "address": node.get("NodeManagerAddress"),
                        "slots": int(resources.get(SLOT_RESOURCE, 0)), "cpus": resources.get("CPU")})
    return out


def total_slots() -> int:
    """Trial slots of the whole cluster (the sum of the nodes' `popkit_trial_slot`)."""
    return sum(node["slots"] for node in live_nodes())


def node_label(address: str | None, node_id: str) -> str:
    """How records and progress name a node: its address and the first 8 characters of its Ray id."""
    return f"{address or '?'}/{node_id[:8]}"
