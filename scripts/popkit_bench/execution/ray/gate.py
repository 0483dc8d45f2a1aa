"""One API concurrency limit and one rate limit for the whole run, across every node.

`ApiGate` runs as a single Ray actor created by the driver; a worker acquires a lease before it starts a
trial's Claude Code session and releases it after; the driver releases the lease of a trial whose node
died (leases are idempotent by id). The rate limit is a token bucket of session starts per minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

POLL_S = 0.5


class ApiGate:
    """Leases: at most `max_concurrent` at once; new ones at most `rate_per_min` per minute (bucket of `burst`)."""

    def __init__(self, max_concurrent: int | None = None, rate_per_min: float | None = None, burst: int = 1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_concurrent = max_concurrent
        self.rate_per_s = rate_per_min / 60.0 if rate_per_min else None
        self.burst = max(1, burst)
        self.clock = clock
        self.tokens = float(self.burst)
        self.stamp = clock()
        self.leases: dict[str, str] = {}  # lease id -> holder (node)
        self.granted = 0
        self.peak = 0

    def _refill(self) -> None:
        now = self.clock()
        if self.rate_per_s is not None:
            self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate_per_s)
        self.stamp = now

    def try_acquire(self, lease_id: str, holder: str = "") -> float:
        """0.0 when the lease is granted (or already held), else the seconds to wait before asking again."""
        if lease_id in self.leases:
            return 0.0
        if self.max_concurrent is not None and len(self.leases) >= self.max_concurrent:
            return POLL_S
        self._refill()
        if self.rate_per_s is not None:
            if self.tokens < 1.0:
                return max((1.0 - self.tokens) / self.rate_per_s, 0.01)
            self.tokens -= 1.0
        self.leases[lease_id] = holder
        self.granted += 1
        self.peak = max(self.peak, len(self.leases))
        return 0.0

    def release(self, lease_id: str) -> bool:
        """Give a lease back; False when it was not held (already released)."""
        return self.leases.pop(lease_id, None) is not None

    def stats(self) -> dict[str, Any]:
        """Leases held now, granted so far, the highest number held at once, and the limits."""
        return {"held": len(self.leases), "granted": self.granted, "peak": self.peak,
                "max_concurrent": self.max_concurrent,
                "rate_per_min": self.rate_per_s * 60 if self.rate_per_s else None}


def start_gate(run_id: str, max_concurrent: int | None, rate_per_min: float | None) -> Any:
    """The run's gate actor: 0 CPUs, on the driver's node (a worker node may die), restarted by Ray if its
    node is lost anyway (its leases then start from none); it lives as long as the driver's job."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=True)
    actor = ray.remote(num_cpus=0, max_concurrency=1, max_restarts=-1, max_task_retries=-1)(ApiGate)
    return actor.options(name=f"popkit-gate-{run_id}-{int(time.time() * 1000)}", scheduling_strategy=here).remote(
        max_concurrent, rate_per_min)


def acquire(gate: Any, lease_id: str, holder: str, stop: threading.Event | None = None) -> float | None:
    """Wait for a lease of the gate actor; return the seconds waited (None when `stop` was set first)."""
    import ray

    t0 = time.monotonic()
    while True:
        wait = ray.get(gate.try_acquire.remote(lease_id, holder))
        if wait <= 0:
            return round(time.monotonic() - t0, 3)
        if stop is not None and stop.wait(min(wait, POLL_S * 4)):
            return None
        if stop is None:
            time.sleep(min(wait, POLL_S * 4))
