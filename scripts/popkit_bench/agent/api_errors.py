"""What an API error that ended a Claude Code session was, read from its stream-json events.

Claude Code 2.1.330 ends a session the API refused with a `result` event (`is_error: true`,
`terminal_reason: "api_error"`, `api_error_status`: the HTTP status or null when no answer came) after a
synthetic assistant message whose `error` field names the cause (`authentication_failed`, `rate_limit`,
`billing_error`, `model_not_found`, `server_error`, ...). Verified against the real CLI and a scripted
Messages API answering each status (see tests/unit/test_api_errors.py for the shapes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# kind -> (what it is, what fixes it)
KINDS: dict[str, tuple[str, str]] = {
    "not_logged_in": ("not logged in: Claude Code found no API key and no login",
                      "set ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN from `claude setup-token`), or log in "
                      "with `claude` and /login (the login is copied into each trial's config folder); "
                      "or use --rehearsal for a dry run with the scripted model"),
    "auth": ("authentication failed: the API refused the credentials",
             "check ANTHROPIC_API_KEY / CLAUDE_CODE_OAUTH_TOKEN or log in again (`claude`, then /login)"),
    "billing": ("billing: the account cannot pay for requests (credit balance too low)",
                "add credits or use another account's key"),
    "quota": ("rate limit or quota reached",
              "wait and resume the run (`run --resume RUN_DIR`), lower --parallel, or raise the account's limits"),
    "overload": ("the API is overloaded or failing",
                 "wait and resume the run (`run --resume RUN_DIR`); https://status.anthropic.com shows outages"),
    "connection": ("the API could not be reached (no HTTP answer)",
                   "check the network, a proxy, or ANTHROPIC_BASE_URL"),
    "model": ("unknown model or no access to it",
              "pass a model the account can use with --model (e.g. claude-sonnet-4-5), or leave --model out"),
}
INFRASTRUCTURE = frozenset(KINDS)  # every kind above is the infrastructure's fault, never the task's
RETRYABLE = frozenset({"quota", "overload", "connection"})  # trying again can help; auth, billing, model: no
ERROR_FIELD_KINDS = {"authentication_failed": "auth", "rate_limit": "quota", "billing_error": "billing",
                     "model_not_found": "model"}
CONNECTION_WORDS = ("connection", "econn", "enotfound", "etimedout", "socket", "network", "fetch failed",
                    "timed out", "timeout")


@dataclass(frozen=True)
class ApiError:
    """An API error that ended a session: its kind (a key of KINDS), HTTP status (None: no answer), text."""

    kind: str
    status: int | None
    text: str

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    def describe(self) -> str:
        """One line naming the cause: `authentication failed: ... (HTTP 401: Invalid API key)`."""
        what = KINDS[self.kind][0]
        said = [f"HTTP {self.status}"] if self.status is not None else []
        said += [self.text] if self.text else []
        return f"{what} ({': '.join(said)})" if said else what

    def fix(self) -> str:
        return KINDS[self.kind][1]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "status": self.status, "text": self.text, "retryable": self.retryable}


def api_error(events: Iterable[dict[str, Any]]) -> ApiError | None:
    """The API error that ended the session, or None (no result event, or it did not end on an API error).

    Only errors that are nobody's task: 400 bad requests (e.g. a prompt too long) and unknown causes
    stay task outcomes (None).
    """
    events = list(events)
    results = [e for e in events if e.get("type") == "result"]
    if not results:
        return None
    result = results[-1]
    flagged = [e for e in events if e.get("type") == "assistant" and e.get("is_api_error_message")]
    return from_result(is_error=result.get("is_error"),
                       terminal_reason="api_error" if flagged else result.get("terminal_reason"),
                       status=result.get("api_error_status"),
                       text=result.get("result") or (_text(flagged[-1]) if flagged else None),
                       error_field=str(flagged[-1].get("error") or "") if flagged else "")


def from_result(*, is_error: Any, terminal_reason: Any, status: Any, text: Any, error_field: str = "") -> ApiError | None:
    """The same from a result's fields (as a trial record keeps them): `is_error`, `terminal_reason`,
    `api_error_status`, the result text; `error_field` is the API error message's `error`, when known."""
    if not is_error or terminal_reason != "api_error":
        return None
    status = status if isinstance(status, int) and not isinstance(status, bool) else None
    text = str(text or "").strip()
    kind = classify(status, error_field, text)
    return ApiError(kind, status, text[:300]) if kind else None


def classify(status: int | None, error_field: str, text: str) -> str | None:
    """The kind of an API error from its HTTP status, the assistant message's `error` field and its text."""
    lowered = text.lower()
    if "not logged in" in lowered:
        return "not_logged_in"
    if error_field in ERROR_FIELD_KINDS:
        return ERROR_FIELD_KINDS[error_field]
    if status in (401, 403):
        return "auth"
    if status == 402 or "credit balance" in lowered:
        return "billing"
    if status == 429:
        return "quota"
    if status == 404 and "model" in lowered:
        return "model"
    if status is not None and (status >= 500 or status == 529):
        return "overload"
    if status is None and (error_field == "server_error" or any(w in lowered for w in CONNECTION_WORDS)):
        return "connection"
    return None


def _text(event: dict[str, Any]) -> str:
    content = (event.get("message") or {}).get("content") or []
    return "".join(b.get("text", "") for b in content if isinstance(b, dict))
