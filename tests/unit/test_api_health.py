"""API health over a run: consecutive infrastructure API errors stop it; no usage means no verdict."""

from __future__ import annotations

import json
from pathlib import Path

from popkit_bench.agent.api_errors import ApiError
from popkit_bench.execution.api_health import ApiHealth, no_usage_reason, real_usage
from popkit_bench.execution.measure import Measured, settle, take_session_facts
from popkit_bench.execution.retry import infra_failure
from popkit_bench.record.trial_record import TrialRecord
from popkit_shared.recording import load_stream_json

SESSIONS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330" / "api-errors"
                       / "sessions.json").read_text())
AUTH = {"result_is_error": True, "terminal_reason": "api_error", "api_error_status": 401,
        "final_answer": "Invalid API key · Fix external API key"}


def used(tokens: int = 1200) -> dict:
    return {"status": "completed", "metrics": {"tokens_total": tokens}}


def refused(error: dict = AUTH) -> dict:
    return {"status": "error", "metrics": {"tokens_total": 0}, **error}


def test_three_consecutive_api_errors_stop_the_run_and_say_why() -> None:
    health = ApiHealth(limit=3)
    assert health.observe(used()) is None
    assert health.observe(refused()) is None
    assert health.observe(refused()) is None
    reason = health.observe(refused())
    assert reason is not None and "3 trials in a row" in reason and "authentication" in reason
    assert "HTTP 401" in reason and "Fix:" in reason
    assert health.observe(used()) == reason  # once stopped, it stays stopped


def test_a_trial_that_used_the_model_resets_the_count() -> None:
    health = ApiHealth(limit=2)
    for record in (refused(), used(), refused(), used(), refused()):
        assert health.observe(record) is None


def test_interrupts_and_harness_errors_neither_count_nor_reset() -> None:
    health = ApiHealth(limit=2)
    assert health.observe(refused()) is None
    assert health.observe({"status": "interrupted", **AUTH}) is None
    assert health.observe({"status": "error", "status_reason": "worktree: boom", "metrics": {}}) is None
    assert health.observe(refused()) is not None


def test_an_error_can_be_given_instead_of_read_from_the_record() -> None:
    health = ApiHealth(limit=1)
    reason = health.observe({"status": "error"}, ApiError("overload", 529, "Overloaded"))
    assert reason is not None and "overload" in reason


def test_no_usage_in_any_record_means_no_verdict() -> None:
    assert no_usage_reason([used(), refused()]) is None
    reason = no_usage_reason([{"status": "failed", "metrics": {"tokens_total": 0}}, refused()])
    assert reason is not None and "none of the 2 trial(s) used the model" in reason
    assert "authentication failed" in reason
    assert no_usage_reason([{"status": "failed", "metrics": {"tokens_total": None}}]) is not None
    assert no_usage_reason([]) is not None
    assert not real_usage({"metrics": {}}) and real_usage(used(1))


def measured(tmp_path: Path, case: str) -> tuple[TrialRecord, Measured]:
    """A trial record settled from a recorded stream, as the local executor settles it."""
    stream = tmp_path / f"{case}.jsonl"
    stream.write_text("\n".join(json.dumps(e) for e in SESSIONS[case]["events"]) + "\n")
    record = TrialRecord("t", "baseline", 1, status="error")
    session = load_stream_json(stream)
    take_session_facts(record, session)
    result = settle(record, session, False, 60)
    record.status, record.status_reason = result.status, result.reason
    return record, result


def test_an_api_error_is_never_a_task_failure(tmp_path: Path) -> None:
    record, result = measured(tmp_path, "s401")
    assert result.status == "error" and "authentication failed" in (result.reason or "")
    assert "HTTP 401" in (result.reason or "")
    assert infra_failure(record) is None  # a retry cannot fix a refused key
    record, result = measured(tmp_path, "nologin")
    assert result.status == "error" and "not logged in" in (result.reason or "")


def test_overload_quota_and_connection_are_retried(tmp_path: Path) -> None:
    for case in ("s529", "s500", "s429", "closed"):
        record, result = measured(tmp_path, case)
        assert result.status == "error", case
        assert infra_failure(record), case
