"""Which failed trials are the infrastructure's fault (retried by `--retries`), never the task's."""

from __future__ import annotations

from popkit_bench.execution.api_health import record_api_error
from popkit_bench.record.trial_record import ERROR, FAILED, TrialRecord

NODE_FAILURE_PREFIX = "node:"  # status_reason of a trial a cluster node could not run (lost, no CLI, ...)


def infra_failure(record: TrialRecord) -> str | None:
    """A reason when the trial failed for an infrastructure reason a retry can help, else None.

    - an API error a retry can help (agent/api_errors.py): overload (529, 5xx), rate limit (429), no
      connection. Authentication, billing and unknown-model errors are infrastructure errors too (status
      `error`, execution/measure.py), but trying again cannot help: ApiHealth stops the run instead;
    - the CLI crashing before the first turn: no result event and no model turn at all;
    - a cluster node that could not run the trial (it died, lacks the pinned CLI): `node: ...` (--executor ray).
    A trial that failed the task (max turns, budget, verification, timeout) is not an infrastructure failure.
    """
    if record.status not in (FAILED, ERROR):
        return None
    error = record_api_error(record)
    if error is not None:
        return f"API error: {error.describe()}" if error.retryable else None
    reason = record.status_reason or ""
    if record.status == ERROR and reason.startswith(NODE_FAILURE_PREFIX):
        return reason
    if record.status == ERROR and reason.startswith("claude exited") and not record.metrics.get("turns"):
        return "Claude Code exited before its first turn"
    return None
