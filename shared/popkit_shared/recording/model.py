"""The event model every recording source is parsed into (stream-json, transcript, PopKit recording).

A `Session` holds what the sources have in common: the init information (plugins, skills, tools, model,
version), the API calls (one per request after deduplication), the tool calls with their results, error
events (permission denials, hook-reported errors), the final `Result` (stream-json only), the transcript's
`CostState`, and parse `Diagnostics`. Times are Unix seconds (float) or None.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SYNTHETIC_MODEL = "<synthetic>"
AGENT_TOOLS = ("Agent", "Task")  # `Agent` in 2.1.330, `Task` in older versions


@dataclass(frozen=True)
class Usage:
    """Token usage of one request (or a sum): the four billed counters."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens

    @property
    def context(self) -> int:
        """Tokens the request sent to the model: input + cache read + cache creation."""
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
        )

    @classmethod
    def from_api(cls, data: Any) -> Usage | None:
        """From an API `usage` object (snake_case keys); None when absent or not a dict."""
        if not isinstance(data, dict):
            return None
        return cls(
            _int(data.get("input_tokens")),
            _int(data.get("output_tokens")),
            _int(data.get("cache_read_input_tokens")),
            _int(data.get("cache_creation_input_tokens")),
        )

    @classmethod
    def from_model_usage(cls, data: Any) -> Usage | None:
        """From one `modelUsage` entry (camelCase keys)."""
        if not isinstance(data, dict):
            return None
        return cls(
            _int(data.get("inputTokens")),
            _int(data.get("outputTokens")),
            _int(data.get("cacheReadInputTokens")),
            _int(data.get("cacheCreationInputTokens")),
        )


def sum_model_usage(model_usage: dict[str, Any]) -> Usage:
    """Sum of the token counters over every model of a `modelUsage` mapping."""
    total = Usage()
    for entry in model_usage.values():
        total = total + (Usage.from_model_usage(entry) or Usage())
    return total


@dataclass
class ApiCall:
    """One model request (deduplicated): its message and request ids, model and usage."""

    message_id: str | None
    request_id: str | None
    model: str | None
    usage: Usage | None
    is_sidechain: bool = False
    agent_id: str | None = None
    timestamp: float | None = None
    output_is_placeholder: bool = False  # stream-json: usage.output_tokens is not the real count


@dataclass
class ToolCall:
    """One `tool_use` block and, when seen, its result."""

    id: str
    name: str
    input: dict[str, Any] = field(default_factory=dict)
    is_sidechain: bool = False
    agent_id: str | None = None  # subagent id, or the parent Agent/Task tool_use id in stream-json
    started_at: float | None = None
    ended_at: float | None = None
    duration_ms: float | None = None
    is_error: bool | None = None  # None: no result seen
    result_excerpt: str | None = None

    @property
    def has_result(self) -> bool:
        return self.is_error is not None


@dataclass
class ErrorEvent:
    """An error that is not (only) a tool result: a permission denial or a recorded `error` event."""

    kind: str  # "permission_denied" | "error"
    tool_use_id: str | None = None
    tool_name: str | None = None
    message: str | None = None
    timestamp: float | None = None


@dataclass
class SubagentTask:
    """A subagent run as the stream reports it (`system/task_*`); `tool_uses` from its notification."""

    task_id: str
    tool_use_id: str | None = None
    description: str | None = None
    status: str | None = None
    tool_uses: int | None = None
    total_tokens: int | None = None


@dataclass
class Result:
    """The final `result` event of a stream-json run."""

    subtype: str | None
    is_error: bool
    duration_ms: float | None = None
    duration_api_ms: float | None = None
    num_turns: int | None = None
    total_cost_usd: float | None = None
    usage: Usage | None = None  # main loop only
    model_usage: dict[str, Any] | None = None  # per model, subagents included; None when absent
    permission_denials: list[dict[str, Any]] = field(default_factory=list)
    terminal_reason: str | None = None
    text: str | None = None
    session_id: str | None = None
    api_error_status: int | None = None  # HTTP status of a failed API call (result of an api_error)
    api_error_type: str | None = None


@dataclass
class CostState:
    """The transcript's running totals (`cost-state` line; the last one wins)."""

    total_cost_usd: float | None = None
    total_duration_ms: float | None = None
    total_api_duration_ms: float | None = None
    model_usage: dict[str, Any] | None = None


@dataclass
class InitInfo:
    """What a `system/init` event says was loaded (or what a transcript's listings show)."""

    plugins: list[dict[str, Any]] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    slash_commands: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    model: str | None = None
    claude_code_version: str | None = None
    cwd: str | None = None
    permission_mode: str | None = None
    session_id: str | None = None
    mcp_servers: list[dict[str, Any]] = field(default_factory=list)  # {name, status, source}


@dataclass
class Diagnostics:
    """What the parser met: never fatal, always counted."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    malformed_lines: int = 0
    truncated_last_line: int = 0
    type_counts: Counter = field(default_factory=Counter)
    unknown_types: Counter = field(default_factory=Counter)
    duplicate_assistant_lines: int = 0
    synthetic_messages: int = 0
    results_seen: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files), "lines": self.lines, "malformed_lines": self.malformed_lines,
            "truncated_last_line": self.truncated_last_line, "type_counts": dict(self.type_counts),
            "unknown_types": dict(self.unknown_types),
            "duplicate_assistant_lines": self.duplicate_assistant_lines,
            "synthetic_messages": self.synthetic_messages, "results_seen": self.results_seen,
            "notes": list(self.notes),
        }


@dataclass
class Session:
    """One Claude Code session as one source recorded it."""

    source: str  # "stream-json" | "transcript" | "popkit-recording"
    session_id: str | None = None
    inits: list[InitInfo] = field(default_factory=list)
    api_calls: list[ApiCall] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    error_events: list[ErrorEvent] = field(default_factory=list)
    subagent_tasks: list[SubagentTask] = field(default_factory=list)
    result: Result | None = None
    cost_state: CostState | None = None
    first_timestamp: float | None = None
    last_timestamp: float | None = None
    api_retries: int = 0
    compactions: int = 0
    commands_invoked: list[str] = field(default_factory=list)  # slash commands the user line ran
    command: str | None = None  # PopKit recordings: the POPKIT_COMMAND name
    ended: bool | None = None  # PopKit recordings: a session_end event was seen
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    @property
    def init(self) -> InitInfo:
        """The first init (an empty one when none was seen)."""
        return self.inits[0] if self.inits else InitInfo()

    @property
    def claude_code_version(self) -> str | None:
        return _first(i.claude_code_version for i in self.inits)

    @property
    def model(self) -> str | None:
        found = _first(i.model for i in self.inits)
        if found:
            return found
        return _first(c.model for c in self.api_calls if not c.is_sidechain)

    @property
    def cwd(self) -> str | None:
        return _first(i.cwd for i in self.inits)

    def plugin_names(self) -> list[str]:
        """Names of the loaded plugins over every init, first-seen order."""
        return _union(str(p.get("name")) for i in self.inits for p in i.plugins
                      if isinstance(p, dict) and p.get("name"))

    def skills(self) -> list[str]:
        return _union(s for i in self.inits for s in i.skills)

    def slash_commands(self) -> list[str]:
        return _union(s for i in self.inits for s in i.slash_commands)

    def agents(self) -> list[str]:
        return _union(s for i in self.inits for s in i.agents)

    def see_time(self, ts: float | None) -> None:
        """Widen the session's first/last timestamp with one seen time."""
        if ts is None:
            return
        if self.first_timestamp is None or ts < self.first_timestamp:
            self.first_timestamp = ts
        if self.last_timestamp is None or ts > self.last_timestamp:
            self.last_timestamp = ts


def plugin_names(session: Session) -> list[str]:
    """Names of the plugins the session loaded (from its init events)."""
    return session.plugin_names()


def _first(values: Any) -> Any:
    for value in values:
        if value:
            return value
    return None


def _union(values: Any) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(str(value), None)
    return list(seen)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    return 0
