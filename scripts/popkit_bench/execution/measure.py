"""After the agent: parse the recordings, restore the task's protected paths, run verification, check purity,
and settle the trial's status (a trial that changed protected paths is tampered, never a success)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from popkit_bench.agent.claude import AgentRequest
from popkit_bench.execution.api_health import record_api_error
from popkit_bench.execution.arm_purity import Forbidden, Loaded, arm_purity
from popkit_bench.execution.executor import Confinement
from popkit_bench.execution.protect import restore_protected, settle_tampered
from popkit_bench.execution.purity import check_purity, read_components
from popkit_bench.execution.spec import TrialSpec
from popkit_bench.execution.status_reason import failed_reason
from popkit_bench.execution.verification import run_verification
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
from popkit_shared.recording.jsonl import read_objects
from popkit_shared.recording.model import Diagnostics


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
    record.purity = spec_purity(spec, Loaded.from_session(session), stream_events(request.stream_path))
    checks = None
    record.tampered_paths = restore_protected(worktree, spec.codebase.repo, spec.codebase.commit,
                                              spec.task.protected_paths)
    if not timed_out:
        record.verification = run_verification(spec.task, worktree, confinement)
        checks = to_plain(record.verification)
        write_json(trial_dir / "verification.json", checks)
    fill_metrics(record, compute_metrics(session, checks, transcript=transcript))
    measured = settle(record, session, timed_out, request.timeout_s)
    return Measured(*settle_tampered(measured.status, measured.reason, record.tampered_paths))


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
    """timeout > no result (error) > an API error (error: the infrastructure's, never the task's) >
    contaminated > the agent's own error (failed) > completed."""
    if timed_out:
        return Measured(TIMEOUT, f"exceeded {timeout_s:.0f} s; process tree killed")
    if session.result is None:
        return Measured(ERROR, f"claude exited {record.exit_code} without a result event (see stderr.txt)")
    api_error = record_api_error(record)
    if api_error is not None:
        return Measured(ERROR, f"API error, not the task: {api_error.describe()}")
    if record.purity is not None and not record.purity.ok:
        return Measured(CONTAMINATED, record.purity.reason)
    if session.result.is_error:
        return Measured(FAILED, failed_reason(session.result))
    return Measured(COMPLETED, None)


def spec_purity(spec: TrialSpec, loaded: Loaded, events: list[dict[str, Any]]) -> Purity:
    """Both purity checks, merged: the arm's (execution/arm_purity.py: its own plugins, skills and MCP servers
    and none of the other arms', the model asked for and the arm's CLI version) and the components of its
    plugin under test (execution/purity.py: commands, skills, agents, a startup hook, MCP servers connected)."""
    forbidden = Forbidden(tuple(spec.tested_plugins), tuple(spec.forbidden_skills), tuple(spec.forbidden_mcp_servers))
    per_arm = arm_purity(spec.arm, loaded, forbidden, model=spec.arm.model or spec.settings.model,
                         cli_version=spec.claude_version)
    return merge_purity(per_arm, component_purity(spec.arm, events, spec.tested_plugins))


def merge_purity(first: Purity, second: Purity) -> Purity:
    """One verdict from two checks: ok only when both are; every missing and unexpected item named."""
    reasons = [p.reason for p in (first, second) if not p.ok and p.reason]
    return replace(first, ok=first.ok and second.ok, reason="; ".join(dict.fromkeys(reasons)) or None,
                   missing=sorted(set(first.missing) | set(second.missing)),
                   unexpected=sorted(set(first.unexpected) | set(second.unexpected)))


def component_purity(arm: Any, events: list[dict[str, Any]], tested_plugins: tuple[str, ...]) -> Purity:
    """The arm loaded every component of its plugin under test (commands, skills, agents, a startup hook,
    MCP servers connected) and nothing of another arm's plugin (execution/purity.py)."""
    expected = read_components(arm.plugin_dirs[0], arm.plugin_name) if arm.plugin_name and arm.plugin_dirs else None
    found = check_purity(events, expected, tested_plugins)
    return Purity(ok=found.ok, reason=found.reason, expected_plugin=found.expected_plugin, loaded=list(found.loaded),
                  missing=list(found.missing), unexpected=list(found.unexpected))


def stream_events(path: Path) -> list[dict[str, Any]]:
    """The stream-json events of a trial (none when it wrote no stream)."""
    return list(read_objects(path, Diagnostics())) if path.is_file() else []


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
