"""The reason beside a `failed` status never says the agent ended with success."""

from __future__ import annotations

from popkit_bench.execution.status_reason import contradicts, failed_reason
from popkit_shared.recording.stream_json import parse_result


def result(**event) -> object:
    return parse_result({"type": "result", **event})


def test_an_error_result_with_subtype_success_gives_its_text_not_success() -> None:
    no_login = result(subtype="success", is_error=True, result="Invalid API key · Please run /login")
    reason = failed_reason(no_login)
    assert reason == "agent's result is an error (is_error true): Invalid API key · Please run /login"
    assert not contradicts("failed", reason)


def test_known_error_subtypes_are_explained() -> None:
    assert failed_reason(result(subtype="error_max_turns", is_error=True)) == (
        "agent ended with error_max_turns (hit the turn limit (--max-turns))")
    reason = failed_reason(result(subtype="error_during_execution", is_error=True, result="boom\nmore"))
    assert reason == "agent ended with error_during_execution (an error during execution): boom"


def test_no_text_and_long_text() -> None:
    assert failed_reason(result(subtype="success", is_error=True)).endswith("no error text")
    assert failed_reason(result(is_error=True, terminal_reason="api_error")).endswith("terminal reason api_error")
    long = failed_reason(result(subtype="success", is_error=True, result="x" * 500))
    assert len(long) < 260 and long.endswith("…")


def test_contradiction_check() -> None:
    assert contradicts("failed", "agent ended with success")
    assert not contradicts("completed", None) and not contradicts("failed", "agent ended with error_max_turns")


def test_the_api_status_is_named_when_the_text_lacks_it() -> None:
    reason = failed_reason(result(subtype="success", is_error=True, api_error_status=403, result="Forbidden"))
    assert reason == "agent's result is an error (is_error true): Forbidden (API status 403)"


def test_settle_uses_it_for_a_failed_trial() -> None:
    from types import SimpleNamespace

    from popkit_bench.execution.measure import settle
    from popkit_bench.record.trial_record import FAILED, TrialRecord

    session = SimpleNamespace(result=result(subtype="success", is_error=True, result="Invalid API key"))
    measured = settle(TrialRecord(task_id="t", arm="a"), session, False, 60)
    assert measured.status == FAILED and not contradicts(measured.status, measured.reason)
    assert measured.reason.endswith("Invalid API key")
