"""API health over a run: consecutive infrastructure API errors stop it; no usage means no verdict."""

from __future__ import annotations

import json
from pathlib import Path

from popkit_bench.agent.api_errors import ApiError
from popkit_bench.execution.api_health import ApiHealth, no_usage_reason, real_usage
from popkit_bench.execution.retry import infra_failure, settle_api_error

SESSIONS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330" / "api-errors"
                       / "sessions.json").read_text())
AUTH = {"kind": "auth", "status": 401, "text": "Invalid API key · Fix external API key", "retryable": False}


def used(tokens: int = 1200) -> dict:
    return {"status": "completed", "metrics": {"tokens_total": tokens}}


def refused(error: dict = AUTH) -> dict:
    return {"status": "error", "metrics": {"tokens_total": 0}, "api_error": error}


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
    assert health.observe({"status": "interrupted", "api_error": AUTH}) is None
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


def write_stream(folder: Path, case: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(e) for e in SESSIONS[case]["events"]]
    (folder / "stream.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_an_api_error_is_never_a_task_failure(tmp_path: Path) -> None:
    trial = write_stream(tmp_path / "t401", "s401")
    record = {"status": "failed", "status_reason": "agent ended with success"}
    error = settle_api_error(record, trial)
    assert error is not None and error.kind == "auth"
    assert record["status"] == "error" and "authentication failed" in record["status_reason"]
    assert record["api_error"]["status"] == 401
    assert infra_failure(record, trial) is None  # a retry cannot fix a refused key


def test_overload_quota_and_connection_are_retried(tmp_path: Path) -> None:
    for case in ("s529", "s500", "s429", "closed"):
        trial = write_stream(tmp_path / case, case)
        record = {"status": "failed"}
        assert settle_api_error(record, trial) is not None
        assert infra_failure(record, trial), case


def test_completed_trials_are_left_alone(tmp_path: Path) -> None:
    trial = write_stream(tmp_path / "ok", "s401")
    record = {"status": "completed"}
    assert settle_api_error(record, trial) is None and record == {"status": "completed"}


def test_the_result_fields_of_a_typed_record_are_enough() -> None:
    from types import SimpleNamespace

    result = next(e for e in SESSIONS["nologin"]["events"] if e["type"] == "result")
    record = SimpleNamespace(status="failed", metrics={"tokens_total": 0}, api_error=None,
                             result_is_error=True, terminal_reason="api_error",
                             api_error_status=result["api_error_status"], final_answer=result["result"])
    health = ApiHealth(limit=1)
    reason = health.observe(record)
    assert reason is not None and "not logged in" in reason
    assert "not logged in" in (no_usage_reason([record]) or "")
