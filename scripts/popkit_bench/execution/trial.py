"""One trial: worktree -> claude -> recordings -> metrics -> verification -> record. Never raises."""

from __future__ import annotations

import json
import shutil
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from popkit_bench.agent.claude import AgentRequest, run_claude
from popkit_bench.agent.host import write_interactions
from popkit_bench.agent.isolation import make_config_dir, remove_config_dir, secret_values
from popkit_bench.execution.verification import run_verification
from popkit_bench.planning.plan import Arm, TrialKey
from popkit_bench.record.rundir import RunDir, utc_now
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.tasks.validate import load_responses
from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.worktree import WorkspaceError, create_worktree, remove_worktree
from popkit_shared.metrics import compute_metrics
from popkit_shared.recording import find_transcript, load_stream_json, load_transcript

RECORD_SCHEMA = 1


class ModelEndpoint(Protocol):
    """Where a trial's model requests go: the scripted model gives each trial its own URL."""

    def base_url_for(self, key: str, task: TaskSpec, arm: Arm) -> str | None: ...


@dataclass
class TrialOptions:
    """Per-run settings shared by every trial (identical across arms)."""

    binary: Path
    run_id: str
    timeout_s: float | None = None
    max_turns: int | None = None
    max_budget_usd: float | None = None
    model: str | None = None
    keep_worktrees: bool = False
    settings: dict | None = None
    tested_plugins: tuple[str, ...] = ()
    endpoint: ModelEndpoint | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    stop: threading.Event | None = None  # set by the orchestrator on Ctrl-C / SIGTERM
    agent_runner: Callable[..., Any] | None = None  # run_claude's stand-in (watch mode); same signature
    config_key: str | None = None  # names the run's config folders (unique per run folder); default run_id


@dataclass
class TrialContext:
    """What one trial needs."""

    key: TrialKey
    task: TaskSpec
    arm: Arm
    codebase: Codebase
    run: RunDir
    options: TrialOptions


def run_trial(ctx: TrialContext) -> dict[str, Any]:
    """Run one trial end to end and return its results.jsonl record (status error on harness failure)."""
    started, t0 = utc_now(), time.monotonic()
    trial_dir = ctx.run.trial_dir(ctx.key)
    if trial_dir.exists():
        shutil.rmtree(trial_dir)
    trial_dir.mkdir(parents=True)
    worktree = ctx.run.worktree_dir(ctx.key)
    session_id = str(uuid.uuid4())
    config_dir = None
    record = base_record(ctx, session_id, started)
    try:
        try:
            create_worktree(ctx.codebase, worktree)
        except WorkspaceError as exc:
            return finish(record, t0, status="error", reason=f"worktree: {exc}")
        config_dir = make_config_dir(ctx.options.config_key or ctx.options.run_id, ctx.key.slug)
        request = build_request(ctx, worktree, session_id, config_dir, trial_dir)
        outcome = (ctx.options.agent_runner or run_claude)(ctx.options.binary, request)
        record["agent_wall_s"] = round(outcome.wall_s, 3)
        record["exit_code"] = outcome.exit_code
        record["interactions"] = write_interactions(trial_dir / "interactions.jsonl", outcome.interactions)
        copy_transcript(config_dir, session_id, trial_dir)
        write_served(ctx, trial_dir)
        if ctx.options.stop is not None and ctx.options.stop.is_set():
            return finish(record, t0, status="interrupted", reason="run interrupted; resume runs this trial again")
        record = measure(ctx, record, t0, outcome.timed_out, outcome.exit_code, worktree, trial_dir, request)
        record["metrics"]["questions_asked"] = record["interactions"]["questions"]  # counted by the host
        record["metrics_null_reasons"].pop("questions_asked", None)
        return record
    except Exception as exc:  # the harness must record, never crash the run
        (trial_dir / "harness-error.txt").write_text(scrub(traceback.format_exc()), encoding="utf-8")
        return finish(record, t0, status="error", reason=f"harness: {exc.__class__.__name__}: {scrub(str(exc))}")
    finally:
        if config_dir is not None:
            remove_config_dir(config_dir)
        if not ctx.options.keep_worktrees:
            remove_worktree(ctx.codebase, worktree)


def base_record(ctx: TrialContext, session_id: str, started: str) -> dict[str, Any]:
    """The record's identifying fields, before anything ran."""
    return {
        "schema": RECORD_SCHEMA,
        "run_id": ctx.options.run_id,
        **ctx.key.to_json(),
        "status": "error",
        "status_reason": None,
        "attempts": 1,
        "session_id": session_id,
        "started_at": started,
        "metrics": {},
        "metrics_null_reasons": {},
        "tools": {},
        "verification": [],
        "claude_code_version": None,
        "model": None,
        "plugins_loaded": [],
        "purity": None,
        "codebase_commit": ctx.codebase.commit,
        "trial_dir": str(ctx.run.trial_dir(ctx.key).relative_to(ctx.run.path)),
    }


def build_request(ctx: TrialContext, worktree: Path, session_id: str, config_dir: Path, trial_dir: Path) -> AgentRequest:
    """The claude invocation; only `plugin_dirs` depends on the arm."""
    opts = ctx.options
    base_url = opts.endpoint.base_url_for(ctx.key.slug, ctx.task, ctx.arm) if opts.endpoint else None
    return AgentRequest(
        prompt=ctx.task.user_prompt,
        cwd=worktree,
        session_id=session_id,
        config_dir=config_dir,
        stream_path=trial_dir / "stream.jsonl",
        stderr_path=trial_dir / "stderr.txt",
        timeout_s=opts.timeout_s or ctx.task.timeout_seconds,
        plugin_dirs=list(ctx.arm.plugin_dirs),
        model=opts.model,
        max_turns=opts.max_turns,
        max_budget_usd=opts.max_budget_usd,
        settings=opts.settings,
        base_url=base_url,
        extra_env=dict(opts.extra_env),
        responses=load_responses(ctx.task.responses_path) if ctx.task.responses_path else None,
    )


def write_served(ctx: TrialContext, trial_dir: Path) -> None:
    """With the scripted model: what it sent this trial (variant, tool calls, usage) into rehearsal.json."""
    endpoint = ctx.options.endpoint
    if endpoint is None or not hasattr(endpoint, "served"):
        return
    served = endpoint.served(ctx.key.slug)
    _write_json(trial_dir / "rehearsal.json", {
        "variants": served.variants(),
        "tool_counts": served.tool_counts(),
        "tool_uses": [{"name": b["name"], "id": b.get("id")} for b in served.tool_uses()],
        "usage_totals": served.usage_totals(),
    })


def copy_transcript(config_dir: Path, session_id: str, trial_dir: Path) -> None:
    """Copy the session transcript (and its subagents folder) out of the temp config dir."""
    found = find_transcript(config_dir, session_id)
    if found is None:
        return
    target = trial_dir / "transcript"
    target.mkdir(exist_ok=True)
    shutil.copy2(found, target / found.name)
    sub = found.with_suffix("")  # <session-id>/ folder holding subagents/
    if sub.is_dir():
        shutil.copytree(sub, target / sub.name, dirs_exist_ok=True)
    for agent_file in found.parent.glob("agent-*.jsonl"):  # older layout
        shutil.copy2(agent_file, target / agent_file.name)


def trial_transcript(trial_dir: Path, session_id: str) -> Any:
    """The transcript copied into the trial folder (subagents included), or None."""
    found = find_transcript(trial_dir / "transcript", session_id)
    return load_transcript(found) if found else None


def measure(
    ctx: TrialContext,
    record: dict[str, Any],
    t0: float,
    timed_out: bool,
    exit_code: int | None,
    worktree: Path,
    trial_dir: Path,
    request: AgentRequest,
) -> dict[str, Any]:
    """Parse recordings, run verification, check purity, and settle the status."""
    session = load_stream_json(request.stream_path)
    transcript = trial_transcript(trial_dir, session.session_id or request.session_id)
    record["claude_code_version"] = session.claude_code_version
    record["model"] = session.model
    loaded = sorted(session.plugin_names())
    record["plugins_loaded"] = loaded
    record["purity"] = purity(ctx.arm, loaded, ctx.options.tested_plugins)
    if timed_out:
        metrics = compute_metrics(session, None, transcript=transcript)
        fill_metrics(record, metrics)
        return finish(record, t0, status="timeout",
                      reason=f"exceeded {request.timeout_s:.0f} s; process tree killed")
    verification = run_verification(ctx.task, worktree)
    record["verification"] = verification
    _write_json(trial_dir / "verification.json", verification)
    metrics = compute_metrics(session, verification, transcript=transcript)
    fill_metrics(record, metrics)
    if session.result is None:
        return finish(record, t0, status="error",
                      reason=f"claude exited {exit_code} without a result event (see stderr.txt)")
    if not record["purity"]["ok"]:
        return finish(record, t0, status="contaminated", reason=record["purity"]["reason"])
    if session.result.is_error:
        return finish(record, t0, status="failed", reason=f"agent ended with {session.result.subtype}")
    return finish(record, t0, status="completed", reason=None)


def purity(arm: Arm, loaded: list[str], tested_plugins: tuple[str, ...]) -> dict[str, Any]:
    """An arm loads its own plugin under test and no other arm's: a baseline listing one is contaminated."""
    expected = arm.plugin_name
    intruders = sorted(p for p in tested_plugins if p in loaded and p != expected)
    missing = expected is not None and expected not in loaded
    reason = None
    if intruders:
        reason = f"arm {arm.name!r} loaded plugin(s) under test it must not: {', '.join(intruders)}"
    elif missing:
        reason = f"arm {arm.name!r} did not load its plugin {expected!r}"
    return {"expected_plugin": expected, "loaded": loaded, "ok": reason is None, "reason": reason}


def fill_metrics(record: dict[str, Any], metrics: Any) -> None:
    record["metrics"] = dict(metrics.metrics)
    record["metrics_null_reasons"] = dict(metrics.null_reasons)
    record["tools"] = dict(metrics.tools)
    record["metrics_source"] = metrics.source


def finish(record: dict[str, Any], t0: float, *, status: str, reason: str | None) -> dict[str, Any]:
    record["status"] = status
    record["status_reason"] = reason
    record["ended_at"] = utc_now()
    record["wall_s"] = round(time.monotonic() - t0, 3)
    return record


def scrub(text: str) -> str:
    """Remove credential values from text that goes into the run folder."""
    for secret in secret_values():
        text = text.replace(secret, "[redacted]")
    return text


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
