"""The API's health over a run: stop after consecutive API failures; no verdict without real model usage.

Authentication, quota and overload errors are the infrastructure's fault, never the task's: a trial
ending on one is recorded `error`, the cause in its `status_reason` (execution/measure.py). When several
trials in a row end that way, every further trial would too: the scheduler stops the run and says why.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from popkit_bench.agent.api_errors import ApiError, from_result
from popkit_bench.errors import BenchError
from popkit_shared.recording.jsonl import number

DEFAULT_LIMIT = 3
IGNORED_STATUSES = ("interrupted",)


class ApiStopped(BenchError):
    """The run stopped because trial after trial ended on API errors (exit 2: fix the cause, then resume)."""


def record_api_error(record: Any) -> ApiError | None:
    """The infrastructure API error a trial record shows (from the result fields it keeps:
    `result_is_error`, `terminal_reason`, `api_error_status`, `final_answer`), or None.

    A record is a TrialRecord or a results.jsonl line (a mapping with the same fields).
    """
    return from_result(is_error=_field(record, "result_is_error"), terminal_reason=_field(record, "terminal_reason"),
                       status=_field(record, "api_error_status"), text=_field(record, "final_answer"))


def real_usage(record: Any) -> bool:
    """True when Claude Code's own accounting shows the trial used the model (tokens_total > 0)."""
    tokens = number((_field(record, "metrics") or {}).get("tokens_total"))
    return tokens is not None and tokens > 0


def _field(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)


def no_usage_reason(records: Iterable[Any]) -> str | None:
    """Why a run has no evidence (no record with real model usage), or None when some record has it."""
    records = [r for r in records if _field(r, "status") not in IGNORED_STATUSES]
    if any(real_usage(r) for r in records):
        return None
    if not records:
        return "no trial finished: there is nothing to compare"
    errors = [e for e in (record_api_error(r) for r in records) if e is not None]
    cause = f"; the last API error: {errors[-1].describe()}. Fix: {errors[-1].fix()}" if errors else ""
    return (f"none of the {len(records)} trial(s) used the model (0 tokens in Claude Code's own accounting), "
            f"so they say nothing about the plugin{cause}")


class ApiHealth:
    """Fed every finished trial attempt, in the order they end; says when the run must stop.

    `observe(record)` returns the stop reason once `limit` attempts in a row ended on an infrastructure API
    error (and every time after that), else None. An attempt that used the model resets the count; one
    that never reached it for another reason (harness error, interrupt) neither counts nor resets.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = max(1, limit)
        self.consecutive: list[ApiError] = []
        self.stop_reason: str | None = None
        self._lock = threading.Lock()

    def observe(self, record: Any, error: ApiError | None = None) -> str | None:
        """Count one finished attempt (its `api_error`, or `error` when given); the stop reason or None."""
        error = error or record_api_error(record)
        with self._lock:
            if self.stop_reason is not None:
                return self.stop_reason
            if _field(record, "status") in IGNORED_STATUSES:
                return None
            if error is not None:
                self.consecutive.append(error)
            elif real_usage(record):
                self.consecutive.clear()
            if len(self.consecutive) >= self.limit:
                self.stop_reason = self._reason()
            return self.stop_reason

    def _reason(self) -> str:
        last = self.consecutive[-1]
        kinds = sorted({e.kind for e in self.consecutive})
        return (f"{len(self.consecutive)} trials in a row ended on API errors ({', '.join(kinds)}), not on the "
                f"task: {last.describe()}. Fix: {last.fix()}")
