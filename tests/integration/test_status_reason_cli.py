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
    assert reason.startswith("agent's result is an error (is_error true): Failed to authenticate")
    assert "401" in reason and not contradicts("failed", reason)
