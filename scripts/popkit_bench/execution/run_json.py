"""run.json: what was asked (enough to re-create the request on resume), the environment, and how it went."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field
from typing import Any

from popkit_bench import __version__
from popkit_bench.execution.scheduler import ScheduleState
from popkit_bench.execution.sequential_looks import SequentialOptions
from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.planning.plan import BASELINE_ARM, trials_per_arm
from popkit_bench.record.rundir import utc_now
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.codebase import Codebase


@dataclass
class RunDescription:
    """The fixed facts of a run: its request, arms, CLI and codebases."""

    run_id: str
    request: Any  # execution.benchmark_run.RunRequest
    arms: list[ArmDefinition]
    baseline: str = BASELINE_ARM
    claude: dict[str, Any] = field(default_factory=dict)
    codebases: dict[str, Codebase] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # arms setup: fingerprints, reuse, arm_cli, arms_file
    executor: dict[str, Any] = field(default_factory=lambda: {"name": "local"})  # with ray: the cluster's nodes


def run_json(desc: RunDescription, state: ScheduleState, sequential: SequentialOptions | None,
             existing: dict[str, Any]) -> dict[str, Any]:
    """The whole run.json document."""
    req = desc.request
    per_arm = trials_per_arm(state.plan) or req.trials
    data = {
        "schema": 1,
        "run_id": desc.run_id,
        "created_at": existing.get("created_at") or utc_now(),
        "updated_at": utc_now(),
        "popkit_bench_version": __version__,
        "argv": req.argv,
        "rehearsal": req.rehearsal,
        "seed": state.plan.seed,
        "trials_per_arm": per_arm,
        "trials_requested": {t.id: {arm.name: per_arm for arm in desc.arms} for t in req.tasks},
        "arms": [a.to_json() for a in desc.arms],
        "baseline_arm": desc.baseline,
        "plugins": [p.to_json() for p in req.plugins],
        "tasks": [task_json(t, desc.codebases.get(t.id)) for t in req.tasks],
        "plan": state.plan.to_json(),
        "claude_code": desc.claude,
        "model": req.model,
        "options": options_json(req),
        "environment": {"python": sys.version.split()[0], "platform": platform.platform(),
                        "machine": platform.machine()},
        **desc.extra,
        "executor": desc.executor,
    }
    if sequential is not None and (req.sequential or sequential.looks):
        data["sequential"] = sequential.to_json()
    if state.stop_reason or state.budget_note or state.notes:
        data["stopped_early"] = {"reason": state.stop_reason, "budget": state.budget_note, "notes": state.notes}
    return data


def options_json(req: Any) -> dict[str, Any]:
    """The run's options (what `run --resume` takes back unless given again)."""
    return {
        "timeout_s": req.timeout_s, "max_turns": req.max_turns, "max_budget_usd": req.max_budget_usd,
        "budget_usd": req.budget_usd, "parallel": req.parallel, "retries": req.retries, "watch": req.watch,
        "keep_worktrees": req.keep_worktrees, "permission_mode": "acceptEdits", "sequential": req.sequential,
        "max_trials": req.max_trials, "decision_metric": req.decision_metric,
        "sandbox": getattr(getattr(req, "sandbox", None), "level", None),
        "executor": req.executor, "ray_address": req.ray_address, "api_concurrency": req.api_concurrency,
        "api_rate_per_min": req.api_rate_per_min,
    }


def task_json(task: TaskSpec, codebase: Codebase | None) -> dict[str, Any]:
    """A task as run.json lists it."""
    return {
        "id": task.id,
        "category": task.category,
        "path": str(task.path),
        "description": task.description,
        "user_prompt": task.user_prompt,
        "verification": [v.command for v in task.verification],
        "timeout_seconds": task.timeout_seconds,
        "codebase": {"source": codebase.source, "ref": codebase.ref, "commit": codebase.commit,
                     "digest": codebase.digest} if codebase else None,
        "responses_file": str(task.responses_path) if task.responses_path else None,
    }
