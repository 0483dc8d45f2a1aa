"""Which failed trials are the infrastructure's fault (retried by `run --retries`), never the task's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from popkit_shared.recording.jsonl import read_objects
from popkit_shared.recording.model import Diagnostics


def infra_failure(record: dict[str, Any], trial_dir: Path) -> str | None:
    """A reason when the trial failed for an infrastructure reason, else None.

    - an API error 5xx / 529 (overloaded): result `is_error` with `terminal_reason: "api_error"`;
    - the CLI crashing before the first turn: no result and no assistant message at all.
    A trial that failed the task (max turns, budget, verification, timeout) is not an infrastructure failure.
    """
    if record.get("status") not in ("failed", "error"):
        return None
    stream = trial_dir / "stream.jsonl"
    events = list(read_objects(stream, Diagnostics())) if stream.is_file() else []
    results = [e for e in events if e.get("type") == "result"]
    if results:
        last = results[-1]
        status = last.get("api_error_status")
        if last.get("is_error") and last.get("terminal_reason") == "api_error" and isinstance(status, int) \
                and (status >= 500 or status == 529):
            return f"API error {status} ({last.get('api_error_type') or 'server error'})"
        return None
    reason = str(record.get("status_reason") or "")
    if record.get("status") == "error" and reason.startswith("claude exited") and \
            not any(e.get("type") == "assistant" for e in events):
        return "Claude Code exited before its first turn"
    return None
