"""Parse the CLI's stdout from `--output-format stream-json --verbose` into a Session.

One JSON object a line: `system` (subtype `init`, possibly several; `api_retry`, `permission_denied`,
`compact_boundary`, `task_started` / `task_updated` / `task_notification`, hook events ...), `assistant`
(one event per content block, `parent_tool_use_id` set inside subagents, usage with a placeholder
`output_tokens`), `user` (tool results), `result` (the last one wins). Anything else is counted, not fatal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from popkit_shared.recording.jsonl import number, parse_time, read_objects
from popkit_shared.recording.messages import MessageAccumulator
from popkit_shared.recording.model import ErrorEvent, InitInfo, Result, Session, SubagentTask, Usage

KNOWN_TYPES = {"system", "assistant", "user", "result", "stream_event", "rate_limit_event",
               "control_request", "control_response", "control_cancel_request", "keep_alive", "tool_progress",
               "auth_status"}
KNOWN_SYSTEM = {"init", "api_retry", "permission_denied", "compact_boundary", "task_started", "task_updated",
                "task_notification", "task_progress", "hook_started", "hook_response", "hook_progress",
                "status", "files_persisted", "local_command_output", "informational"}


def load_stream_json(path: str | Path) -> Session:
    """Read a stream-json stdout file into a Session (source "stream-json")."""
    session = Session(source="stream-json")
    acc = MessageAccumulator(session)
    tasks: dict[str, SubagentTask] = {}
    for event in read_objects(Path(path), session.diagnostics):
        kind = event.get("type")
        label = f"system/{event.get('subtype')}" if kind == "system" else str(kind)
        session.diagnostics.type_counts[label] += 1
        if kind not in KNOWN_TYPES or (kind == "system" and event.get("subtype") not in KNOWN_SYSTEM):
            session.diagnostics.unknown_types[label] += 1
        session.session_id = session.session_id or _str(event.get("session_id"))
        ts = parse_time(event.get("timestamp"))
        session.see_time(ts)
        if kind == "assistant":
            parent = _str(event.get("parent_tool_use_id"))
            acc.add_assistant(event.get("message"), request_id=_str(event.get("request_id") or event.get("requestId")),
                              is_sidechain=parent is not None, agent_id=parent, timestamp=ts,
                              output_is_placeholder=True)
        elif kind == "user":
            acc.add_user(event.get("message"), timestamp=ts)
        elif kind == "result":
            session.diagnostics.results_seen += 1
            session.result = parse_result(event)
        elif kind == "system":
            _system(session, event, tasks, ts)
    acc.finish()
    session.subagent_tasks = list(tasks.values())
    _merge_result_denials(session)
    return session


def parse_result(event: dict[str, Any]) -> Result:
    """A `result` event as a Result."""
    model_usage = event.get("modelUsage")
    denials = event.get("permission_denials")
    num_turns = event.get("num_turns")
    return Result(
        subtype=_str(event.get("subtype")),
        is_error=bool(event.get("is_error")),
        duration_ms=number(event.get("duration_ms")),
        duration_api_ms=number(event.get("duration_api_ms")),
        num_turns=num_turns if isinstance(num_turns, int) and not isinstance(num_turns, bool) else None,
        total_cost_usd=number(event.get("total_cost_usd")),
        usage=Usage.from_api(event.get("usage")),
        model_usage=model_usage if isinstance(model_usage, dict) else None,
        permission_denials=[d for d in denials if isinstance(d, dict)] if isinstance(denials, list) else [],
        terminal_reason=_str(event.get("terminal_reason")),
        text=event.get("result") if isinstance(event.get("result"), str) else None,
        session_id=_str(event.get("session_id")),
        api_error_status=status if isinstance(status := event.get("api_error_status"), int)
        and not isinstance(status, bool) else None,
        api_error_type=_str(event.get("api_error_type")),
    )


def parse_init(event: dict[str, Any]) -> InitInfo:
    """A `system/init` event as InitInfo."""
    return InitInfo(
        plugins=[p for p in _list(event.get("plugins")) if isinstance(p, dict)],
        skills=[str(s) for s in _list(event.get("skills"))],
        slash_commands=[str(s) for s in _list(event.get("slash_commands"))],
        agents=[str(s) for s in _list(event.get("agents"))],
        tools=[str(s) for s in _list(event.get("tools"))],
        model=_str(event.get("model")),
        claude_code_version=_str(event.get("claude_code_version")),
        cwd=_str(event.get("cwd")),
        permission_mode=_str(event.get("permissionMode")),
        session_id=_str(event.get("session_id")),
        mcp_servers=[s for s in _list(event.get("mcp_servers")) if isinstance(s, dict)],
    )


def _system(session: Session, event: dict[str, Any], tasks: dict[str, SubagentTask], ts: float | None) -> None:
    subtype = event.get("subtype")
    if subtype == "init":
        session.inits.append(parse_init(event))
    elif subtype == "api_retry":
        session.api_retries += 1
    elif subtype == "compact_boundary":
        session.compactions += 1
    elif subtype == "permission_denied":
        message = event.get("message") or event.get("reason") or event.get("decision_reason")
        session.error_events.append(ErrorEvent("permission_denied", _str(event.get("tool_use_id")),
                                               _str(event.get("tool_name")), _str(message), ts))
    elif subtype in ("task_started", "task_updated", "task_notification") and _str(event.get("task_id")):
        task = tasks.setdefault(event["task_id"], SubagentTask(task_id=event["task_id"]))
        task.tool_use_id = task.tool_use_id or _str(event.get("tool_use_id"))
        task.description = task.description or _str(event.get("description"))
        patch = event.get("patch") if isinstance(event.get("patch"), dict) else {}
        task.status = _str(event.get("status")) or _str(patch.get("status")) or task.status
        usage = event.get("usage") if isinstance(event.get("usage"), dict) else {}
        if isinstance(usage.get("tool_uses"), int):
            task.tool_uses = usage["tool_uses"]
        if isinstance(usage.get("total_tokens"), int):
            task.total_tokens = usage["total_tokens"]


def _merge_result_denials(session: Session) -> None:
    """Add the result's permission_denials not already seen as `system/permission_denied` events."""
    if session.result is None:
        return
    seen_ids = {e.tool_use_id for e in session.error_events if e.kind == "permission_denied" and e.tool_use_id}
    anonymous_events = sum(1 for e in session.error_events if e.kind == "permission_denied" and not e.tool_use_id)
    for denial in session.result.permission_denials:
        tool_use_id = _str(denial.get("tool_use_id"))
        if tool_use_id in seen_ids:
            continue
        if tool_use_id is None and anonymous_events > 0:
            anonymous_events -= 1
            continue
        session.error_events.append(ErrorEvent("permission_denied", tool_use_id, _str(denial.get("tool_name"))))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
