"""Which failed trials are the infrastructure's fault, never the task's; which of them a retry can help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from popkit_bench.agent.api_errors import ApiError, api_error
from popkit_shared.recording.jsonl import read_objects
from popkit_shared.recording.model import Diagnostics


def stream_events(trial_dir: Path) -> list[dict[str, Any]]:
    """The trial's stream-json events (none when it wrote no stream)."""
    stream = trial_dir / "stream.jsonl"
    return list(read_objects(stream, Diagnostics())) if stream.is_file() else []


def trial_api_error(trial_dir: Path) -> ApiError | None:
    """The infrastructure API error (auth, quota, overload, connection, model) that ended the trial, or None."""
    return api_error(stream_events(trial_dir))


def settle_api_error(record: dict[str, Any], trial_dir: Path) -> ApiError | None:
    """A trial that ended on an infrastructure API error is an `error`, never a task failure.

    Sets `status: "error"`, a `status_reason` naming the cause and `api_error: {kind, status, text,
    retryable}` on the record (for a `failed` or `error` trial); returns the error, or None (record unchanged).
    """
    if record.get("status") not in ("failed", "error"):
        return None
    error = trial_api_error(trial_dir)
    if error is None:
        return None
    record["status"] = "error"
    record["status_reason"] = f"API error, not the task: {error.describe()}"
    record["api_error"] = error.to_json()
    return error


def infra_failure(record: dict[str, Any], trial_dir: Path) -> str | None:
    """A reason when the trial failed for an infrastructure reason a retry can help, else None.

    - an API error a retry can help: overload (529, 5xx), rate limit (429), no connection. Authentication,
      billing and unknown-model errors are infrastructure errors too, but retrying them cannot help;
    - the CLI crashing before the first turn: no result and no assistant message at all.
    A trial that failed the task (max turns, budget, verification, timeout) is not an infrastructure failure.
    """
    if record.get("status") not in ("failed", "error"):
        return None
    events = stream_events(trial_dir)
    error = api_error(events)
    if error is not None:
        return f"API error: {error.describe()}" if error.retryable else None
    if any(e.get("type") == "result" for e in events):
        return None
    reason = str(record.get("status_reason") or "")
    if record.get("status") == "error" and reason.startswith("claude exited") and \
            not any(e.get("type") == "assistant" for e in events):
        return "Claude Code exited before its first turn"
    return None
