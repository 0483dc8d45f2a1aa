"""An in-memory executor for unit tests of the scheduler: scripted outcomes per trial, no process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from popkit_bench.execution.spec import TrialSpec
from popkit_bench.planning.plan import TrialKey
from popkit_bench.record.trial_record import COMPLETED, INTERRUPTED, TrialRecord


@dataclass
class FakeOutcome:
    """What one attempt of a trial returns."""

    status: str = COMPLETED
    reason: str | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    api_error_status: int | None = None
    terminal_reason: str | None = None
    delay_s: float = 0.0


Script = Callable[[TrialKey, int], FakeOutcome]


class FakeExecutor:
    """Returns scripted records: `script(key, attempt)` says what attempt n (1-based) of a trial gives."""

    name = "fake"

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or (lambda key, attempt: FakeOutcome())
        self.calls: list[TrialKey] = []
        self._lock = threading.Lock()

    def attempts(self, key: TrialKey) -> int:
        """How often a trial was run."""
        return sum(1 for k in self.calls if k == key)

    def run(self, spec: TrialSpec, trial_dir: Path, cancel: threading.Event) -> TrialRecord:
        with self._lock:
            self.calls.append(spec.key)
            attempt = self.attempts(spec.key)
        outcome = self.script(spec.key, attempt)
        if outcome.delay_s and cancel.wait(outcome.delay_s):
            return self._record(spec, FakeOutcome(INTERRUPTED, "run interrupted"))
        trial_dir.mkdir(parents=True, exist_ok=True)
        (trial_dir / "fake.txt").write_text(f"attempt {attempt}\n", encoding="utf-8")
        return self._record(spec, outcome)

    def _record(self, spec: TrialSpec, outcome: FakeOutcome) -> TrialRecord:
        return TrialRecord(task_id=spec.key.task_id, arm=spec.key.arm, trial=spec.key.trial, status=outcome.status,
                           status_reason=outcome.reason, run_id=spec.run_id, metrics=dict(outcome.metrics),
                           api_error_status=outcome.api_error_status, terminal_reason=outcome.terminal_reason,
                           result_is_error=outcome.api_error_status is not None or None,
                           executor=self.name, wall_s=round(outcome.delay_s, 3), ended_at=time.strftime("%H:%M:%S"))
