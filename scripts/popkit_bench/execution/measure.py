"""After the agent: parse the recordings, run verification, check purity, and settle the trial's status."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.agent.claude import AgentRequest
from popkit_bench.execution.executor import Confinement
from popkit_bench.execution.spec import TrialSpec
from popkit_bench.execution.verification import run_verification
from popkit_bench.planning.plan import Arm
from popkit_bench.record.plain import to_plain
from popkit_bench.record.trial_record import (
    COMPLETED,
    CONTAMINATED,
    ERROR,
    FAILED,
    TIMEOUT,
    Purity,
    Status,
    TrialRecord,
)
from popkit_shared.metrics import compute_metrics
from popkit_shared.recording import find_transcript, load_stream_json, load_transcript


@dataclass
class Measured:
    """The trial's status and its reason (None when completed)."""

    status: Status
    reason: str | None


def measure_trial(spec: TrialSpec, record: TrialRecord, request: AgentRequest, timed_out: bool, worktree: Path,
                  trial_dir: Path, confinement: Confinement) -> Measured:
    """Fill the record's metrics, verification and purity from the trial's files; return its status."""
    session = load_stream_json(request.stream_path)
    transcript = trial_transcript(trial_dir, session.session_id or request.session_id)
    take_session_facts(record, session)
    record.purity = arm_purity(spec.arm, record.plugins_loaded, spec.tested_plugins)
    checks = None
    if not timed_out:
        record.verification = run_verification(spec.task, worktree, confinement)
        checks = to_plain(record.verification)
        write_json(trial_dir / "verification.json", checks)
    fill_metrics(record, compute_metrics(session, checks, transcript=transcript))
    return settle(record, session, timed_out, request.timeout_s)


def take_session_facts(record: TrialRecord, session: Any) -> None:
    """What later stages need from the stream, so none of them re-parses it."""
    record.claude_code_version = session.claude_code_version
    record.model = session.model
    record.plugins_loaded = sorted(session.plugin_names())
    result = session.result
    if result is not None:
        record.terminal_reason = result.terminal_reason
        record.api_error_status = result.api_error_status
        record.final_answer = result.text
        record.result_subtype = result.subtype
        record.result_is_error = result.is_error


def settle(record: TrialRecord, session: Any, timed_out: bool, timeout_s: float) -> Measured:
    """timeout > no result (error) > contaminated > the agent's own error (failed) > completed."""
    if timed_out:
        return Measured(TIMEOUT, f"exceeded {timeout_s:.0f} s; process tree killed")
    if session.result is None:
        return Measured(ERROR, f"claude exited {record.exit_code} without a result event (see stderr.txt)")
    if record.purity is not None and not record.purity.ok:
        return Measured(CONTAMINATED, record.purity.reason)
    if session.result.is_error:
        return Measured(FAILED, f"agent ended with {session.result.subtype}")
    return Measured(COMPLETED, None)


def arm_purity(arm: Arm, loaded: list[str], tested_plugins: tuple[str, ...]) -> Purity:
    """An arm loads its own plugin under test and no other arm's: a baseline listing one is contaminated."""
    expected = arm.plugin_name
    intruders = sorted(p for p in tested_plugins if p in loaded and p != expected)
    missing = [expected] if expected is not None and expected not in loaded else []
    reason = None
    if intruders:
        reason = f"arm {arm.name!r} loaded plugin(s) under test it must not: {', '.join(intruders)}"
    elif missing:
        reason = f"arm {arm.name!r} did not load its plugin {expected!r}"
    return Purity(ok=reason is None, reason=reason, expected_plugin=expected, loaded=list(loaded),
                  missing=missing, unexpected=intruders)


def fill_metrics(record: TrialRecord, metrics: Any) -> None:
    """Copy computed metrics (with their null reasons) into the record; questions come from the host."""
    record.metrics = dict(metrics.metrics)
    record.metrics_null_reasons = dict(metrics.null_reasons)
    record.tools = dict(metrics.tools)
    record.metrics_source = metrics.source
    record.metrics["questions_asked"] = record.interactions.questions
    record.metrics_null_reasons.pop("questions_asked", None)


def trial_transcript(trial_dir: Path, session_id: str) -> Any:
    """The transcript copied into the trial folder (subagents included), or None."""
    found = find_transcript(trial_dir / "transcript", session_id)
    return load_transcript(found) if found else None


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
