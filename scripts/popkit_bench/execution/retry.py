"""Which failed trials are the infrastructure's fault (retried by `--retries`), never the task's."""

from __future__ import annotations

from popkit_bench.record.trial_record import ERROR, FAILED, TrialRecord

NODE_FAILURE_PREFIX = "node:"  # status_reason of a trial a cluster node could not run (lost, no CLI, ...)


def infra_failure(record: TrialRecord) -> str | None:
    """A reason when the trial failed for an infrastructure reason, else None.

    - an API error 5xx / 529 (overloaded): the result is an error with `terminal_reason: "api_error"`;
    - the CLI crashing before the first turn: no result event and no model turn at all;
    - a cluster node that could not run the trial (it died, lacks the pinned CLI): `node: ...` (--executor ray).
    A trial that failed the task (max turns, budget, verification, timeout) is not an infrastructure failure.
    """
    if record.status not in (FAILED, ERROR):
        return None
    status = record.api_error_status
    if record.result_is_error and record.terminal_reason == "api_error" and status is not None \
            and (status >= 500 or status == 529):
        return f"API error {status}"
    reason = record.status_reason or ""
    if record.status == ERROR and reason.startswith(NODE_FAILURE_PREFIX):
        return reason
    if record.status == ERROR and reason.startswith("claude exited") and not record.metrics.get("turns"):
        return "Claude Code exited before its first turn"
    return None
