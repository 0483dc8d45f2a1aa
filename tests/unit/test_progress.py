"""Progress output: plain lines without a terminal, JSON events with --json, a live bar on a terminal."""

from __future__ import annotations

import io
import json

from popkit_bench.execution.progress import LineProgress, RichProgress, make_progress
from popkit_bench.planning.plan import TrialKey
from popkit_bench.record.trial_record import TrialRecord

KEY = TrialKey("t", "baseline", 1)


def rec(key: TrialKey, **fields) -> TrialRecord:
    return TrialRecord(task_id=key.task_id, arm=key.arm, trial=key.trial, **fields)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_one_per_start_and_end() -> None:
    out = io.StringIO()
    progress = make_progress(2, stream=out)
    assert type(progress) is LineProgress
    progress.trial_started(KEY)
    progress.trial_finished(KEY, rec(KEY, status="failed", status_reason="max turns", wall_s=1.5))
    lines = out.getvalue().splitlines()
    assert lines[0] == "[0/2] start t baseline #1"
    assert lines[1].startswith("[1/2] done  t baseline #1 failed (max turns) 1.5s | elapsed")


def test_json_events() -> None:
    out = io.StringIO()
    progress = make_progress(1, as_json=True, stream=out)
    progress.message("hello")
    progress.trial_started(KEY)
    progress.trial_finished(KEY, rec(KEY, status="completed", wall_s=2.0))
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["message", "trial_start", "trial_end"]
    assert events[2]["status"] == "completed" and events[2]["done"] == 1 and events[2]["total"] == 1


def test_terminal_gets_a_live_bar_with_arm_counts_and_failures() -> None:
    out = Tty()
    progress = make_progress(3, stream=out, label="run-x")
    assert isinstance(progress, RichProgress)
    progress.trial_started(KEY)
    progress.trial_finished(KEY, rec(KEY, status="completed", wall_s=1.0))
    other = TrialKey("t", "plugin", 1)
    progress.trial_started(other)
    progress.trial_finished(other, rec(other, status="timeout", status_reason="exceeded 5 s", wall_s=5.0))
    progress.close()
    text = out.getvalue()
    assert "run-x" in text and "2/3" in text
    assert "baseline 1" in text and "plugin 1" in text and "not completed 1" in text
    assert "t plugin #1: timeout (exceeded 5 s)" in text
