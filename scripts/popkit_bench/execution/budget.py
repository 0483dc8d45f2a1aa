"""The whole-run budget (`--budget-usd`): no trial starts once spent + running + its expected cost exceed it."""

from __future__ import annotations

import threading
from statistics import mean

from popkit_bench.record.trial_record import INTERRUPTED, TrialRecord


class Budget:
    """Spent and expected cost per trial, from the records (and, before any, from earlier runs)."""

    def __init__(self, limit_usd: float | None, finished: list[TrialRecord], history_cost_usd: float | None = None):
        self.limit_usd = limit_usd
        self.history_cost_usd = history_cost_usd
        self.note: str | None = None
        self._lock = threading.Lock()
        self._costs = [c for c in (r.metric("cost_usd") for r in finished) if c is not None]
        self.spent = sum(self._costs)
        self.running = 0

    def expected(self) -> float | None:
        """The mean cost of the trials so far, else the estimate from history."""
        return mean(self._costs) if self._costs else self.history_cost_usd

    def allows(self, left: int) -> bool:
        """False (and `note` says why, once) when the next trial would exceed the limit."""
        if self.limit_usd is None or self.note is not None:
            return self.note is None
        with self._lock:
            expected = self.expected()
            if expected is None:
                return True
            committed = self.spent + self.running * expected
        if committed + expected <= self.limit_usd:
            return True
        self.note = (f"spent ${self.spent:.4f} of --budget-usd ${self.limit_usd:.2f}; the next trial is expected to "
                     f"cost ${expected:.4f}: not starting the remaining {left} trial(s)")
        return False

    def started(self) -> None:
        with self._lock:
            self.running += 1

    def finished(self, record: TrialRecord) -> None:
        """Count a finished trial's cost (an interrupted trial's numbers do not count)."""
        cost = record.metric("cost_usd")
        with self._lock:
            self.running = max(0, self.running - 1)
            if record.status != INTERRUPTED and cost is not None:
                self.spent += cost
                self._costs.append(cost)
