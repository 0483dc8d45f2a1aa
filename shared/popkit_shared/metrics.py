"""Per-trial metrics from a parsed Session (see popkit_shared.recording), as results.jsonl records them.

Rules (docs/formats.md, CLAUDE_CODE.md):
- Tokens as Claude Code bills them. From stream-json: the last result's `modelUsage` summed over models
  (subagents included); per-event usage is never summed (its output_tokens is a placeholder). From a
  transcript: assistant lines deduplicated by (message.id, requestId), largest total kept, `<synthetic>`
  skipped, `progress` lines ignored, subagent files included. tokens_total = input + output + cache read
  + cache creation.
- context_peak_tokens: the largest input + cache read + cache creation of one main-loop request (a
  subagent has its own context; stream-json does not show subagent requests, so this keeps both sources
  comparable); subagent requests are used only when no main-loop request was recorded.
- context_footprint_tokens: input + cache read + cache creation of the first main-loop request (the first
  assistant message): what the system prompt, tools, skills and plugin listings cost before the agent
  does anything. Subagent requests never count.
- errors: tool results with is_error, plus permission denials and recorded errors that are not already
  an errored tool result (matched by tool_use_id). error_rate = errors / tool_calls.
- backtracking: files written or edited (Write, Edit, MultiEdit, NotebookEdit; failed calls excluded)
  more than once.
- A metric that cannot be computed is None with a reason in `null_reasons`, never 0.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from popkit_shared.recording.model import (
    AGENT_TOOLS,
    Session,
    ToolCall,
    Usage,
    plugin_names,
    sum_model_usage,
)

METRIC_KEYS = (
    "tokens_total", "tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_creation",
    "context_peak_tokens", "context_footprint_tokens", "cost_usd", "turns", "tool_calls", "errors", "error_rate", "backtracking",
    "duration_s", "duration_api_s", "verification_pass_rate", "success", "questions_asked",
)
TOKEN_KEYS = METRIC_KEYS[:5]
EDIT_TOOLS = {"Write": ("file_path",), "Edit": ("file_path",), "MultiEdit": ("file_path",),
              "NotebookEdit": ("notebook_path", "file_path")}
QUESTION_TOOL = "AskUserQuestion"

__all__ = ["METRIC_KEYS", "MetricsResult", "compute_metrics", "loaded_commands", "loaded_skills", "plugin_names",
           "token_usage"]


@dataclass
class MetricsResult:
    """The metrics of one trial: values (or None), why a value is None, per-tool counts, where from."""

    metrics: dict[str, Any]
    null_reasons: dict[str, str]
    tools: dict[str, int]
    source: str
    sources: dict[str, str] = field(default_factory=dict)  # metric -> the record it came from
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"metrics": dict(self.metrics), "metrics_null_reasons": dict(self.null_reasons),
                "tools": dict(self.tools), "metrics_source": self.source, "metric_sources": dict(self.sources),
                "metric_notes": list(self.notes)}


class _Out:
    """Collects values, null reasons and sources while the metrics are computed."""

    def __init__(self) -> None:
        self.metrics: dict[str, Any] = dict.fromkeys(METRIC_KEYS)
        self.null_reasons: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.notes: list[str] = []

    def set(self, key: str, value: Any, source: str | None = None, reason: str | None = None) -> None:
        self.metrics[key] = value
        if value is None:
            self.null_reasons[key] = reason or "not recorded"
            self.sources.pop(key, None)
        else:
            self.null_reasons.pop(key, None)
            if source:
                self.sources[key] = source


def compute_metrics(
    session: Session,
    verification: list[dict[str, Any]] | None = None,
    transcript: Session | None = None,
) -> MetricsResult:
    """Metrics of one session; `verification` is the list of check results (each with `passed`).

    With `transcript` (the same session's on-disk transcript, subagents included), tool-level metrics
    (tool_calls, tools, errors, backtracking, questions_asked, context_peak_tokens) come from it, since
    stream-json does not show what subagents did; the final result still gives tokens, cost, turns and
    durations.
    """
    out = _Out()
    tool_session = transcript if transcript is not None and transcript.diagnostics.lines else session
    label = session.source if tool_session is session else f"{session.source}+{tool_session.source}"
    _verification(out, session, verification)
    empty = not session.diagnostics.lines and (transcript is None or not transcript.diagnostics.lines)
    if empty:
        reason = f"the {session.source} recording has no events"
        for key in METRIC_KEYS:
            if key not in ("verification_pass_rate", "success"):
                out.set(key, None, reason=reason)
        return MetricsResult(out.metrics, out.null_reasons, {}, label, out.sources, out.notes)
    _tokens(out, session, transcript)
    _context_peak(out, tool_session)
    _context_footprint(out, tool_session)
    _cost(out, session, transcript)
    _turns(out, session)
    tools = _tools(out, session, tool_session)
    _durations(out, session, transcript)
    return MetricsResult(out.metrics, out.null_reasons, tools, label, out.sources, out.notes)


def token_usage(session: Session) -> tuple[Usage | None, str]:
    """Billed token usage of a session and where it came from (or, when None, why not)."""
    result = session.result
    if result is not None and result.model_usage is not None:
        return sum_model_usage(result.model_usage), "result.modelUsage"
    if session.source == "transcript":
        calls = [c.usage for c in session.api_calls if c.usage is not None and not c.output_is_placeholder]
        if not calls:
            return None, "the transcript has no assistant lines with usage"
        total = Usage()
        for usage in calls:
            total = total + usage
        return total, "transcript assistant lines (deduplicated by message.id + requestId)"
    if result is not None and result.usage is not None and not _has_subagents(session):
        return result.usage, "result.usage (no modelUsage; no subagents seen)"
    if result is not None:
        return None, "the result event has no modelUsage (and its usage leaves out subagents)"
    if session.source == "stream-json":
        return None, "no result event; per-event stream-json usage is a placeholder and is never summed"
    return None, f"{session.source} carries no token usage"


def loaded_skills(session: Session) -> list[str]:
    """Skills listed as loaded by the session's init event(s)."""
    return session.skills()


def loaded_commands(session: Session) -> list[str]:
    """Slash commands listed as loaded by the session's init event(s)."""
    return session.slash_commands()


def _tokens(out: _Out, session: Session, transcript: Session | None) -> None:
    usage, where = token_usage(session)
    if usage is None and transcript is not None:
        usage, where = token_usage(transcript)
    elif usage is not None and transcript is not None and transcript.api_calls:
        check, _ = token_usage(transcript)
        if check is not None and check != usage:
            out.notes.append(f"transcript tokens {check.total} differ from {where} {usage.total}")
    if usage is None:
        for key in TOKEN_KEYS:
            out.set(key, None, reason=where)
        return
    out.set("tokens_total", usage.total, where)
    out.set("tokens_input", usage.input_tokens, where)
    out.set("tokens_output", usage.output_tokens, where)
    out.set("tokens_cache_read", usage.cache_read_input_tokens, where)
    out.set("tokens_cache_creation", usage.cache_creation_input_tokens, where)


def _context_peak(out: _Out, session: Session) -> None:
    calls = [c for c in session.api_calls if c.usage is not None]
    main = [c for c in calls if not c.is_sidechain]
    if not calls:
        out.set("context_peak_tokens", None, reason=f"no API call with usage in the {session.source}")
        return
    where = f"{session.source} API calls ({'main loop' if main else 'subagents only'})"
    out.set("context_peak_tokens", max(c.usage.context for c in (main or calls) if c.usage), where)


def _context_footprint(out: _Out, session: Session) -> None:
    first = next((c for c in session.api_calls if not c.is_sidechain), None)
    if first is None:
        out.set("context_footprint_tokens", None, reason=f"no main-loop API call in the {session.source}")
    elif first.usage is None:
        out.set("context_footprint_tokens", None, reason=f"the first main-loop API call in the {session.source} "
                "has no usage")
    else:
        out.set("context_footprint_tokens", first.usage.context, f"{session.source} first main-loop API call")


def _cost(out: _Out, session: Session, transcript: Session | None) -> None:
    result = session.result
    if result is not None and result.total_cost_usd is not None:
        out.set("cost_usd", result.total_cost_usd, "result.total_cost_usd")
        return
    if result is not None and result.model_usage:
        costs = [e.get("costUSD") for e in result.model_usage.values() if isinstance(e, dict)]
        if costs and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in costs):
            out.set("cost_usd", float(sum(costs)), "result.modelUsage costUSD")
            return
    for candidate in (session, transcript):
        if candidate is not None and candidate.cost_state and candidate.cost_state.total_cost_usd is not None:
            out.set("cost_usd", candidate.cost_state.total_cost_usd, "transcript cost-state.totalCostUSD")
            return
    reason = ("the result event has no total_cost_usd or modelUsage costUSD" if result is not None
              else f"no result event or cost-state in the {session.source}")
    out.set("cost_usd", None, reason=reason)


def _turns(out: _Out, session: Session) -> None:
    if session.result is not None and session.result.num_turns is not None:
        out.set("turns", session.result.num_turns, "result.num_turns")
        return
    main = [c for c in session.api_calls if not c.is_sidechain]
    if main:
        out.set("turns", len(main), f"{session.source} main-loop API calls")
    else:
        out.set("turns", None, reason=f"no result num_turns and no API calls in the {session.source}")


def _tools(out: _Out, session: Session, tool_session: Session) -> dict[str, int]:
    calls = tool_session.tool_calls
    counts = Counter(c.name for c in calls)
    where = {"transcript": "transcript tool_use blocks (subagents included)",
             "popkit-recording": "popkit-recording tool call events"}.get(tool_session.source,
                                                                         f"{tool_session.source} tool_use blocks")
    hidden = _hidden_subagent_tool_uses(tool_session)
    if hidden:
        out.notes.append(f"{hidden} tool call(s) inside subagents are known only by count (stream-json does "
                         "not show them); load the transcript for their names and errors")
    total = len(calls) + hidden
    out.set("tool_calls", total, where)
    errors = _error_count(calls, [session, tool_session])
    out.set("errors", errors, f"{tool_session.source} tool results with is_error + denials/errors")
    if total:
        out.set("error_rate", errors / total, "errors / tool_calls")
    else:
        out.set("error_rate", None, reason="no tool calls: error rate is undefined")
    out.set("backtracking", _backtracking(calls), f"{tool_session.source} Write/Edit/MultiEdit/NotebookEdit inputs")
    out.set("questions_asked", counts.get(QUESTION_TOOL, 0), f"{tool_session.source} {QUESTION_TOOL} tool calls")
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _hidden_subagent_tool_uses(session: Session) -> int:
    """Tool uses that task notifications report for subagents whose own tool calls the stream did not show."""
    if session.source != "stream-json":
        return 0
    shown = {c.agent_id for c in session.tool_calls if c.is_sidechain}
    return sum(t.tool_uses or 0 for t in session.subagent_tasks if t.tool_use_id not in shown)


def _error_count(calls: list[ToolCall], sessions: list[Session]) -> int:
    """Errored tool results plus error events that describe some other failure.

    An event with a tool_use_id is the same failure as that call's error result; one without an id but
    with a tool name is taken as the same failure as a not yet matched errored call of that tool.
    """
    errored = {c.id: c.name for c in calls if c.is_error}
    unmatched = Counter(errored.values())
    counted: set[str] = set()
    extra = 0
    for session in {id(s): s for s in sessions}.values():
        for event in session.error_events:
            if event.tool_use_id is not None:
                if event.tool_use_id in counted:
                    continue
                counted.add(event.tool_use_id)
                if event.tool_use_id in errored:
                    unmatched[errored[event.tool_use_id]] -= 1
                else:
                    extra += 1
            elif event.tool_name and unmatched[event.tool_name] > 0:
                unmatched[event.tool_name] -= 1
            else:
                extra += 1
    return len(errored) + extra


def _backtracking(calls: list[ToolCall]) -> int:
    writes: Counter = Counter()
    for call in calls:
        keys = EDIT_TOOLS.get(call.name)
        if not keys or call.is_error:
            continue
        path = next((call.input.get(k) for k in keys if isinstance(call.input.get(k), str)), None)
        if path:
            writes[os.path.normpath(path)] += 1
    return sum(1 for count in writes.values() if count > 1)


def _durations(out: _Out, session: Session, transcript: Session | None) -> None:
    result = session.result
    states = [s.cost_state for s in (session, transcript) if s is not None and s.cost_state is not None]
    if result is not None and result.duration_ms is not None:
        out.set("duration_s", round(result.duration_ms / 1000.0, 3), "result.duration_ms")
    elif states and states[0].total_duration_ms is not None:
        out.set("duration_s", round(states[0].total_duration_ms / 1000.0, 3), "transcript cost-state.totalDuration")
    elif session.first_timestamp is not None and session.last_timestamp is not None \
            and session.last_timestamp > session.first_timestamp:
        out.set("duration_s", round(session.last_timestamp - session.first_timestamp, 3),
                f"{session.source} first-to-last timestamp")
    else:
        out.set("duration_s", None, reason=f"no result duration_ms and fewer than two timestamps in the {session.source}")
    if result is not None and result.duration_api_ms is not None:
        out.set("duration_api_s", round(result.duration_api_ms / 1000.0, 3), "result.duration_api_ms")
    elif states and states[0].total_api_duration_ms is not None:
        out.set("duration_api_s", round(states[0].total_api_duration_ms / 1000.0, 3),
                "transcript cost-state.totalAPIDuration")
    else:
        out.set("duration_api_s", None, reason=f"no result duration_api_ms or cost-state in the {session.source}")


def _verification(out: _Out, session: Session, verification: list[dict[str, Any]] | None) -> None:
    if verification is None:
        for key in ("verification_pass_rate", "success"):
            out.set(key, None, reason="verification was not run")
        return
    if not verification:
        for key in ("verification_pass_rate", "success"):
            out.set(key, None, reason="the task has no verification commands")
        return
    passed = sum(1 for item in verification if isinstance(item, dict) and item.get("passed") is True)
    all_passed = passed == len(verification)
    out.set("verification_pass_rate", passed / len(verification), "verification")
    finished, why = _finished_ok(session)
    if finished is None:
        out.set("success", None, reason=why)
    else:
        out.set("success", int(finished and all_passed), f"verification + {why}")


def _finished_ok(session: Session) -> tuple[bool | None, str]:
    """Whether the agent finished without error, and the evidence (or why it cannot be told)."""
    if session.result is not None:
        return not session.result.is_error, "result.is_error"
    if session.source == "stream-json":
        return False, "no result event (the agent did not finish)"
    if session.source == "popkit-recording":
        return bool(session.ended), "session_end event"
    return None, f"the {session.source} has no final result: cannot tell whether the agent finished cleanly"


def _has_subagents(session: Session) -> bool:
    return bool(session.subagent_tasks) or any(c.is_sidechain or c.name in AGENT_TOOLS for c in session.tool_calls) \
        or any(c.is_sidechain for c in session.api_calls)
