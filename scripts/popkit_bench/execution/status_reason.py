"""The reason recorded beside a `failed` status: what Claude Code's result says went wrong, never "success".

Claude Code 2.1.330 ends some errors (no login, a bad key, a refused request) with a result event whose
`subtype` is "success" but whose `is_error` is true; "agent ended with success" on a failed trial
contradicts its status, so the reason comes from the result's text instead.
"""

from __future__ import annotations

from typing import Any

KNOWN_SUBTYPES = {
    "error_max_turns": "hit the turn limit (--max-turns)",
    "error_max_budget_usd": "hit the per-trial budget (--max-budget-usd)",
    "error_during_execution": "an error during execution",
}
TEXT_LIMIT = 200


def failed_reason(result: Any) -> str:
    """Why an agent whose result event has `is_error` true failed, from its subtype and text.

    `result` is a popkit_shared Result (subtype, is_error, text, terminal_reason, api_error_status). The
    reason never says the agent ended with success.
    """
    subtype = getattr(result, "subtype", None)
    text = _first_line(getattr(result, "text", None))
    terminal = getattr(result, "terminal_reason", None)
    status = getattr(result, "api_error_status", None)
    if status is not None and text and str(status) not in text:
        text = f"{text} (API status {status})"
    if subtype and subtype != "success":
        reason = f"agent ended with {subtype}"
        if subtype in KNOWN_SUBTYPES:
            reason += f" ({KNOWN_SUBTYPES[subtype]})"
        return reason + (f": {text}" if text else "")
    detail = text or (f"terminal reason {terminal}" if terminal else "no error text")
    return f"agent's result is an error (is_error true): {detail}"


def contradicts(status: str, reason: str | None) -> bool:
    """True when a reason speaks against its status (a failed/error trial said to end with success)."""
    if not reason:
        return False
    lowered = reason.lower()
    return status in ("failed", "error", "timeout") and "ended with success" in lowered


def _first_line(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    line = text.strip().splitlines()[0].strip()
    return line if len(line) <= TEXT_LIMIT else line[: TEXT_LIMIT - 1] + "…"
