"""What a Messages API request from Claude Code says about itself (see tests/fixtures/cli-2.1.330/NOTES.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

MAIN = "main"
SUBAGENT = "subagent"
SIDE = "side"

AGENT_ID_HEADER = "x-claude-code-agent-id"
SESSION_HEADER = "x-claude-code-session-id"
_CWD_RE = re.compile(r"Primary working directory: ([^\n]+)")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def classify(headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
    """MAIN (the session's own loop), SUBAGENT (an `Agent` tool run) or SIDE (anything else).

    Subagent requests carry `x-claude-code-agent-id`; side requests (titles, checks) offer no tools.
    """
    if not body.get("tools"):
        return SIDE
    if header(headers, AGENT_ID_HEADER):
        return SUBAGENT
    return MAIN


def assistant_turns(body: Mapping[str, Any]) -> int:
    """How many assistant messages the request already holds: the index of the turn to play."""
    return sum(1 for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "assistant")


def first_turn_view(body: Mapping[str, Any]) -> dict[str, Any]:
    """The request as it was on the session's first turn: messages cut before the first assistant one."""
    messages: list[Any] = []
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "assistant":
            break
        messages.append(message)
    return {**body, "messages": messages}


def _texts(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _texts(item, out)
    elif isinstance(value, list):
        for item in value:
            _texts(item, out)


def context_text(body: Mapping[str, Any]) -> str:
    """All text the model sees: system, messages and tools, joined by newlines (JSON-unescaped)."""
    out: list[str] = []
    for key in ("system", "messages", "tools"):
        _texts(body.get(key), out)
    return "\n".join(out)


def find_cwd(body: Mapping[str, Any]) -> str | None:
    """The session's working directory, from `Primary working directory: <cwd>` in the context."""
    match = _CWD_RE.search(context_text(body))
    return match.group(1).strip() if match else None


def estimate_tokens(body: Mapping[str, Any]) -> int:
    """A deterministic token estimate of a request: its compact JSON size / 4."""
    size = len(json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False))
    return max(1, size // 4)


_REMINDER = "<system-reminder>"
_LISTING_RE = re.compile(r"(?m)^- ([A-Za-z0-9][\w.-]*(?::[\w.-]+)?): (.*)$")


def _first_user_texts(body: Mapping[str, Any]) -> list[str]:
    """Text blocks of the first user message (a plain string counts as one block)."""
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return [content]
            return [b.get("text") for b in content or [] if isinstance(b, dict) and isinstance(b.get("text"), str)]
    return []


def query_text(body: Mapping[str, Any]) -> str:
    """The user's prompt: the first user message's text blocks that are not `<system-reminder>` blocks."""
    return "\n".join(t for t in _first_user_texts(body) if not t.lstrip().startswith(_REMINDER))


def _without_query(body: Mapping[str, Any]) -> dict[str, Any]:
    """The request with the first user message's prompt blocks removed (its system reminders kept)."""
    messages = list(body.get("messages") or [])
    for index, message in enumerate(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            kept = [b for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)
                    and b["text"].lstrip().startswith(_REMINDER)] if isinstance(content, list) else []
            messages[index] = {**message, "content": kept}
            break
    return {**body, "messages": messages}


def skill_listing(body: Mapping[str, Any]) -> dict[str, str]:
    """Skills (and commands) listed to the model, `{name: description}`, from lines `- [plugin:]name: text`.

    The user's prompt is left out, so a query cannot list a skill by itself. The first listing of a name wins.
    """
    out: dict[str, str] = {}
    for name, description in _LISTING_RE.findall(context_text(_without_query(body))):
        out.setdefault(name, description.strip())
    return out
