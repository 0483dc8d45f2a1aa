"""The local executor: one trial as a process tree on this machine.

worktree -> isolated claude -> recordings -> metrics -> verification -> record. Every process the trial
starts (the agent and the verification commands) goes through one Confinement, so a sandbox wraps them all.
"""

from __future__ import annotations

import shutil
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.agent.arm_launch import apply_arm
from popkit_bench.agent.claude import AgentOutcome, AgentRequest, run_claude
from popkit_bench.agent.host import write_interactions
from popkit_bench.agent.isolation import make_config_dir, remove_config_dir
from popkit_bench.execution.executor import Confinement, NoConfinement
from popkit_bench.execution.measure import measure_trial
from popkit_bench.execution.spec import TrialSpec
from popkit_bench.record.redact import redact_credentials
from popkit_bench.record.rundir import utc_now
from popkit_bench.record.trial_record import ERROR, INTERRUPTED, Interactions, TrialRecord
from popkit_bench.tasks.validate import load_responses
from popkit_bench.workspace.worktree import WorkspaceError, create_worktree, remove_worktree
from popkit_shared.recording import find_transcript

AgentRunner = Callable[..., AgentOutcome]


@dataclass
class TrialPaths:
    """Where one trial's files live while it runs."""

    trial_dir: Path
    worktree: Path
    config_dir: Path | None = None


class LocalExecutor:
    """Runs trials here: worktrees under `worktree_root`, config folders in the temp folder."""

    name = "local"

    def __init__(self, worktree_root: Path, *, agent_runner: AgentRunner | None = None,
                 confinement: Confinement | None = None) -> None:
        self.worktree_root = Path(worktree_root)
        self.agent_runner = agent_runner
        self.confinement = confinement or NoConfinement()

    def run(self, spec: TrialSpec, trial_dir: Path, cancel: threading.Event) -> TrialRecord:
        """Run one trial end to end; never raises (a harness failure is status `error`)."""
        t0 = time.monotonic()
        paths = TrialPaths(trial_dir, self.worktree_root / spec.key.slug)
        record = base_record(spec, str(uuid.uuid4()), self.name)
        trial_dir.mkdir(parents=True, exist_ok=True)
        try:
            return self._run(spec, paths, record, t0, cancel)
        except Exception as exc:  # the harness must record, never crash the run
            (trial_dir / "harness-error.txt").write_text(redact_credentials(traceback.format_exc()), encoding="utf-8")
            reason = f"harness: {exc.__class__.__name__}: {redact_credentials(str(exc))}"
            return finish(record, t0, status=ERROR, reason=reason)
        finally:
            if paths.config_dir is not None:
                remove_config_dir(paths.config_dir)
            if not spec.settings.keep_worktree:
                remove_worktree(spec.codebase, paths.worktree)

    def _run(self, spec: TrialSpec, paths: TrialPaths, record: TrialRecord, t0: float,
             cancel: threading.Event) -> TrialRecord:
        try:
            create_worktree(spec.codebase, paths.worktree)
        except WorkspaceError as exc:
            return finish(record, t0, status=ERROR, reason=f"worktree: {exc}")
        # A model URL (the scripted model, or the gateway that holds the login itself): no login inside.
        paths.config_dir = make_config_dir(spec.config_key or spec.run_id, spec.key.slug,
                                           copy_login=spec.model_base_url is None)
        request = agent_request(spec, paths, record.session_id or str(uuid.uuid4()))
        outcome = self._start_agent(spec, request)
        record.agent_wall_s = round(outcome.wall_s, 3)
        record.exit_code = outcome.exit_code
        record.interactions = Interactions(**write_interactions(paths.trial_dir / "interactions.jsonl",
                                                                outcome.interactions))
        copy_transcript(paths.config_dir, request.session_id, paths.trial_dir)
        if cancel.is_set():
            return finish(record, t0, status=INTERRUPTED, reason="run interrupted; resume runs this trial again")
        measured = measure_trial(spec, record, request, outcome.timed_out, paths.worktree, paths.trial_dir,
                                 self.confinement)
        return finish(record, t0, status=measured.status, reason=measured.reason)

    def _start_agent(self, spec: TrialSpec, request: AgentRequest) -> AgentOutcome:
        if self.agent_runner is not None:
            return self.agent_runner(spec.claude_bin, request)
        return run_claude(spec.claude_bin, request, confinement=self.confinement)


def base_record(spec: TrialSpec, session_id: str, executor: str) -> TrialRecord:
    """The record's identifying fields, before anything ran."""
    return TrialRecord(task_id=spec.key.task_id, arm=spec.key.arm, trial=spec.key.trial, status=ERROR,
                       run_id=spec.run_id, session_id=session_id, started_at=utc_now(),
                       codebase_commit=spec.codebase.commit, executor=executor)


def agent_request(spec: TrialSpec, paths: TrialPaths, session_id: str) -> AgentRequest:
    """The claude invocation: the run's settings, then the arm's (agent/arm_launch.py: plugins, skills,
    CLAUDE.md in the worktree, MCP config, model, permission mode, settings, appended prompt, env)."""
    settings = spec.settings
    request = AgentRequest(
        prompt=spec.task.user_prompt,
        cwd=paths.worktree,
        session_id=session_id,
        config_dir=paths.config_dir or paths.trial_dir,
        stream_path=paths.trial_dir / "stream.jsonl",
        stderr_path=paths.trial_dir / "stderr.txt",
        timeout_s=spec.timeout_s,
        plugin_dirs=list(spec.arm.plugin_dirs),
        model=settings.model,
        permission_mode=settings.permission_mode,
        max_turns=settings.max_turns,
        max_budget_usd=settings.max_budget_usd,
        settings=settings.settings,
        setting_sources=settings.setting_sources,
        base_url=spec.model_base_url,
        responses=load_responses(spec.task.responses_path) if spec.task.responses_path else None,
    )
    return apply_arm(request, spec.arm, paths.worktree, paths.config_dir or paths.trial_dir)


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


def finish(record: TrialRecord, t0: float, *, status: Any, reason: str | None) -> TrialRecord:
    """Settle the status and the timing."""
    record.status = status
    record.status_reason = reason
    record.ended_at = utc_now()
    record.wall_s = round(time.monotonic() - t0, 3)
    return record
