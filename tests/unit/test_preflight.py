"""The preflight's diagnosis of one minimal session (real CLI event shapes, 2.1.330)."""

from __future__ import annotations

import json
from pathlib import Path

from popkit_bench.agent.preflight import diagnose

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330"
SESSIONS = json.loads((FIXTURES / "api-errors" / "sessions.json").read_text())


def events_of(case: str) -> list[dict]:
    return SESSIONS[case]["events"]


def test_each_failure_names_its_cause_and_its_fix() -> None:
    expected = {"nologin": ("not_logged_in", "not logged in"), "s401": ("auth", "authentication failed"),
                "s404": ("model", "unknown model"), "closed": ("connection", "could not be reached"),
                "s400b": ("billing", "credit"), "s529": ("overload", "overloaded")}
    for case, (cause, words) in expected.items():
        result = diagnose(events_of(case), exit_code=1, timed_out=False)
        assert not result.ok and result.cause == cause, case
        assert words in result.message.lower() and "Fix:" in result.message, case


def test_a_session_that_used_the_model_passes() -> None:
    events = [json.loads(line) for line in (FIXTURES / "basic" / "stream.jsonl").read_text().splitlines() if line]
    result = diagnose(events, exit_code=0, timed_out=False)
    assert result.ok and result.tokens and result.tokens > 0 and result.cause is None


def test_no_result_timeout_and_zero_usage_are_failures() -> None:
    crashed = diagnose([], exit_code=1, timed_out=False, stderr="Error: boom\n")
    assert not crashed.ok and crashed.cause == "no_result" and "boom" in crashed.message
    slow = diagnose([], exit_code=None, timed_out=True, timeout_s=5)
    assert not slow.ok and slow.cause == "timeout" and "5 s" in slow.message
    empty = [{"type": "result", "subtype": "success", "is_error": False, "result": "ok", "modelUsage": {}}]
    nothing = diagnose(empty, exit_code=0, timed_out=False)
    assert not nothing.ok and nothing.cause == "no_usage" and nothing.tokens == 0
