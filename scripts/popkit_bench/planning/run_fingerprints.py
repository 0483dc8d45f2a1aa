"""The fingerprints of a run's (task, arm) pairs, from its typed inputs (stored in run.json `fingerprints`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.planning.fingerprint import file_digest, fingerprint


def _read(path: Path | None) -> bytes | None:
    try:
        return path.read_bytes() if path else None
    except OSError:
        return None


def task_entry(task: Any, codebase: Any) -> dict[str, Any]:
    """The plain data fingerprint() reads from a TaskSpec and its prepared Codebase."""
    return {
        "id": task.id, "category": task.category, "user_prompt": task.user_prompt,
        "verification": [v.command for v in task.verification], "timeout_seconds": task.timeout_seconds,
        "codebase": {"commit": codebase.commit, "digest": codebase.digest},
        "responses_digest": file_digest(_read(task.responses_path)),
    }


def model_endpoint(task: Any, rehearsal: bool) -> str:
    """'api' for the real model; 'scripted:<play digest>' (or 'scripted:generic') for the scripted model."""
    if not rehearsal:
        return "api"
    play = _read(getattr(task, "play_path", None))
    return f"scripted:{file_digest(play)}" if play is not None else "scripted:generic"


def run_fingerprints(tasks: Sequence[Any], codebases: Mapping[str, Any], arms: Sequence[ArmDefinition], *,
                     cli_versions: Mapping[str, str | None], run_model: str | None, sandbox: str | None,
                     limits: Mapping[str, Any], rehearsal: bool) -> dict[str, dict[str, dict[str, str]]]:
    """{task id: {arm name: fingerprint}}. cli_versions: {arm: version its binary reports}; limits: the
    per-trial options every arm shares (timeout, max turns, budget, run settings, permission mode)."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for task in tasks:
        entry = task_entry(task, codebases[task.id])
        endpoint = model_endpoint(task, rehearsal)
        out[task.id] = {
            arm.name: fingerprint(entry, arm.to_json(), cli_versions.get(arm.name), arm.model or run_model, sandbox,
                                  limits=dict(limits), model_endpoint=endpoint)
            for arm in arms
        }
    return out

