"""Read the usage of a Messages API response as it streams through, and compare totals with Claude Code's."""

from __future__ import annotations

import json
from typing import Any

USAGE_KEYS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
CLI_KEYS = {"input_tokens": "inputTokens", "output_tokens": "outputTokens",
            "cache_read_input_tokens": "cacheReadInputTokens",
            "cache_creation_input_tokens": "cacheCreationInputTokens"}


class UsageReader:
    """Fed the response body in pieces (SSE or JSON); `usage` and `model` once it is done.

    SSE: `message_start` gives the model and the first usage; each `message_delta` usage overrides the
    numbers it carries (Claude Code's own rule).
    """

    def __init__(self, content_type: str) -> None:
        self.sse = "event-stream" in (content_type or "")
        self._buffer = b""
        self._body: list[bytes] = []
        self.usage: dict[str, int] = {}
        self.model: str | None = None

    def feed(self, data: bytes) -> None:
        if not self.sse:
            self._body.append(data)
            return
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"data:"):
                self._event(line[5:].strip())

    def finish(self) -> None:
        if self.sse:
            if self._buffer.startswith(b"data:"):
                self._event(self._buffer[5:].strip())
            return
        try:
            message = json.loads(b"".join(self._body) or b"{}")
        except ValueError:
            return
        if isinstance(message, dict):
            self._take(message.get("model"), message.get("usage"))

    def _event(self, raw: bytes) -> None:
        try:
            event = json.loads(raw)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        if event.get("type") == "message_start" and isinstance(event.get("message"), dict):
            self._take(event["message"].get("model"), event["message"].get("usage"))
        elif event.get("type") == "message_delta":
            self._take(None, event.get("usage"))

    def _take(self, model: Any, usage: Any) -> None:
        if isinstance(model, str):
            self.model = model
        if isinstance(usage, dict):
            for key in USAGE_KEYS:
                if isinstance(usage.get(key), int):
                    self.usage[key] = usage[key]


def add_usage(total: dict[str, int], usage: dict[str, int]) -> None:
    for key in USAGE_KEYS:
        total[key] = total.get(key, 0) + int(usage.get(key, 0))


def cli_totals(result_event: dict[str, Any]) -> dict[str, int] | None:
    """Token totals Claude Code reports in its `result` event (modelUsage summed over models), or None."""
    model_usage = result_event.get("modelUsage") if isinstance(result_event, dict) else None
    if not isinstance(model_usage, dict) or not model_usage:
        return None
    return {ours: sum(int(m.get(theirs, 0) or 0) for m in model_usage.values() if isinstance(m, dict))
            for ours, theirs in CLI_KEYS.items()}


def cross_check(gateway: dict[str, int], cli: dict[str, int] | None) -> str | None:
    """A note when the gateway's token totals differ from Claude Code's own, else None.

    The gateway counts every request made with the trial's token (hooks and nested `claude` processes
    included), so it may count more than the session's own report; fewer means a report is missing.
    """
    if cli is None:
        return "Claude Code reported no token totals (no result event); only the gateway's count is available"
    diffs = {k: gateway.get(k, 0) - cli.get(k, 0) for k in USAGE_KEYS if gateway.get(k, 0) != cli.get(k, 0)}
    if not diffs:
        return None
    parts = ", ".join(f"{k} {gateway.get(k, 0)} vs {cli.get(k, 0)}" for k in diffs)
    if all(d > 0 for d in diffs.values()):
        why = "requests made outside the session's own report (hooks, nested claude processes) used the token"
    else:
        why = "Claude Code reported usage the gateway never forwarded"
    return f"gateway and Claude Code token totals differ ({parts}): {why}"
