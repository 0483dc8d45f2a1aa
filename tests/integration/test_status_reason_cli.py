"""The real CLI ends an authentication failure with subtype "success" and is_error true: the failed trial's
reason must name the failure, not success (the scripted model plays a 401)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_rehearsal_cli import last_result, run_claude  # tests/integration is on sys.path (rootdir-less)

from popkit_bench.execution.status_reason import contradicts, failed_reason
from popkit_bench.rehearsal import RehearsalServer, parse_play
from popkit_shared.recording.stream_json import parse_result

pytestmark = pytest.mark.real_cli


def test_an_auth_failure_gets_a_reason_that_names_it(claude_bin: Path, tmp_path: Path) -> None:
    play = parse_play({"turns": [{"text": "hi"}], "fail_first": {"requests": 50, "status": 401}})
    server = RehearsalServer(play)
    url = server.start()
    try:
        events, _, _ = run_claude(claude_bin, url, tmp_path, tmp_path / "home", "hello")
    finally:
        server.stop()
    event = last_result(events)
    assert event["subtype"] == "success" and event["is_error"] is True  # what 2.1.330 does
    reason = failed_reason(parse_result(event))
    assert reason.startswith("agent's result is an error (is_error true): ")
    assert "401" in reason and "API key" in reason and not contradicts("failed", reason)


def test_a_run_whose_api_refuses_the_login_records_a_reason_that_says_so(claude_bin: Path, tmp_path: Path) -> None:
    from test_orchestration_options import copy_task

    from popkit_bench.cli import main
    from popkit_bench.record.journal import read_journal

    task = copy_task(tmp_path, fail_first={"requests": 100, "status": 401})
    run_dir = tmp_path / "run"
    main(["run", str(task), "--rehearsal", "--trials", "1", "--parallel", "2", "--retries", "0",
          "--run-dir", str(run_dir), "--no-report"])
    records = read_journal(run_dir / "results.jsonl")
    assert len(records) == 2
    for record in records:
        assert record.status != "completed" and not contradicts(str(record.status), record.status_reason)
        assert "authentication" in (record.status_reason or ""), record.status_reason
