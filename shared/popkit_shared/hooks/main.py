"""Hook entry point: `python3 -m popkit_shared.hooks.main` reads the hook's JSON on stdin.

- POPKIT_BENCHMARK_MODE=true + POPKIT_BENCHMARK_RESPONSES=<file>: PreToolUse on AskUserQuestion answers
  from the file (permissionDecision allow + updatedInput with `answers`).
- POPKIT_RECORD=true: every event is written to the session recording (see recorder.py), named by
  POPKIT_COMMAND.
Hooks must never break the session: any failure is reported on stderr and the hook exits 0.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from popkit_shared.hooks.recorder import append_event


def is_recording() -> bool:
    return os.environ.get("POPKIT_RECORD", "").strip().lower() in ("1", "true", "yes", "on")


def record(payload: dict[str, Any]) -> None:
    """Translate a hook payload into a recording event."""
    event_name = payload.get("hook_event_name")
    session_id = str(payload.get("session_id") or "unknown-session")
    command = os.environ.get("POPKIT_COMMAND")
    base = {"tool_name": payload.get("tool_name"), "tool_use_id": payload.get("tool_use_id")}
    if event_name == "SessionStart":
        event = {"type": "session_start", "cwd": payload.get("cwd"), "source": payload.get("source"),
                 "transcript_path": payload.get("transcript_path")}
    elif event_name == "PreToolUse":
        event = {"type": "tool_call_start", **base, "tool_input": payload.get("tool_input")}
    elif event_name == "PostToolUse":
        response = payload.get("tool_response")
        is_error = isinstance(response, dict) and bool(response.get("is_error") or response.get("error"))
        event = {"type": "tool_call_complete", **base, "is_error": is_error}
    elif event_name == "PostToolUseFailure":
        append_event(session_id, {"type": "tool_call_complete", **base, "is_error": True}, command)
        event = {"type": "error", **base, "error": str(payload.get("error") or "tool failed")[:2000]}
    elif event_name in ("SessionEnd", "Stop"):
        event = {"type": "session_end", "reason": payload.get("reason") or event_name}
    else:
        event = {"type": event_name or "unknown"}
    append_event(session_id, event, command)


def answer(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The PreToolUse output that answers AskUserQuestion from the responses file, or None."""
    if payload.get("hook_event_name") != "PreToolUse" or payload.get("tool_name") != "AskUserQuestion":
        return None
    # imported here: every other tool call (recording only) skips their start-up cost
    from popkit_shared.answering import answer_questions, answers_map
    from popkit_shared.benchmark_responses import is_benchmark_mode, load_responses_file

    if not is_benchmark_mode():
        return None
    tool_input = payload.get("tool_input") or {}
    questions = tool_input.get("questions") or []
    answered = answer_questions(questions, load_responses_file())
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "allow",
            "permissionDecisionReason": "answered by popkit-ops benchmark responses",
            "updatedInput": {**tool_input, "questions": questions, "answers": answers_map(answered)},
        }
    }


def main() -> int:
    try:
        payload = json.loads(sys.stdin.read() or "{}")
        output = answer(payload)
        if is_recording():
            record(payload)
        if output is not None:
            print(json.dumps(output))
    except Exception as exc:  # a hook must never break the user's session
        print(f"popkit-ops hook: {exc.__class__.__name__}: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
