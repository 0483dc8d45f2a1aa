"""API errors that end a session, classified from the events the real CLI (2.1.330) writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.agent.api_errors import ApiError, api_error, classify, from_result

SESSIONS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330" / "api-errors"
                       / "sessions.json").read_text())
BASIC = Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330" / "basic" / "stream.jsonl"


@pytest.mark.parametrize("case, kind, status, retryable", [
    ("nologin", "not_logged_in", None, False),
    ("s401", "auth", 401, False),
    ("s403", "auth", 403, False),
    ("s400b", "billing", 400, False),
    ("s429", "quota", 429, True),
    ("s529", "overload", 529, True),
    ("s500", "overload", 500, True),
    ("closed", "connection", None, True),
    ("s404", "model", 404, False),
])
def test_each_recorded_api_error_gets_its_kind(case: str, kind: str, status: int | None, retryable: bool) -> None:
    found = api_error(SESSIONS[case]["events"])
    assert found is not None, case
    assert (found.kind, found.status, found.retryable) == (kind, status, retryable)
    assert found.text  # the CLI's own words travel with it
    assert found.fix()


def test_not_logged_in_names_the_login_and_the_fix() -> None:
    found = api_error(SESSIONS["nologin"]["events"])
    assert found is not None
    assert "Not logged in" in found.describe()
    assert "ANTHROPIC_API_KEY" in found.fix() and "/login" in found.fix()


def test_a_session_that_worked_or_failed_its_task_is_not_an_api_error() -> None:
    events = [json.loads(line) for line in BASIC.read_text().splitlines() if line.strip()]
    assert api_error(events) is None
    max_turns = {"type": "result", "subtype": "error_max_turns", "is_error": True, "terminal_reason": "max_turns"}
    assert api_error([max_turns]) is None
    assert api_error([]) is None  # no result: a crash, not an API answer


def test_a_bad_request_stays_a_task_outcome() -> None:
    too_long = {"type": "result", "subtype": "success", "is_error": True, "terminal_reason": "api_error",
                "api_error_status": 400, "result": "API Error: 400 prompt is too long"}
    assert api_error([too_long]) is None


def test_classify_by_status_when_the_error_field_is_unknown() -> None:
    assert classify(401, "", "") == "auth"
    assert classify(429, "", "") == "quota"
    assert classify(503, "", "") == "overload"
    assert classify(None, "", "fetch failed: ECONNRESET") == "connection"
    assert classify(None, "", "something else") is None


def test_to_json_is_what_a_record_carries() -> None:
    assert ApiError("auth", 401, "Invalid API key").to_json() == {
        "kind": "auth", "status": 401, "text": "Invalid API key", "retryable": False}


@pytest.mark.parametrize("case", ["nologin", "s401", "s403", "s400b", "s429", "s529", "s500", "closed", "s404"])
def test_the_result_fields_a_record_keeps_are_enough(case: str) -> None:
    result = next(e for e in SESSIONS[case]["events"] if e["type"] == "result")
    from_record = from_result(is_error=result["is_error"], terminal_reason=result["terminal_reason"],
                              status=result["api_error_status"], text=result["result"])
    assert from_record == api_error(SESSIONS[case]["events"])
