"""The iteration folder: `iteration-<N>/eval-<id>/<config>/run-<k>/` with outputs/, timing.json, grading.json."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.record.trial_record import FAILED, NOT_COMPLETED_STATUSES
from popkit_bench.skill.creator_grading import creator_grading
from popkit_bench.skill.jsonio import write_json
from popkit_bench.workspace.git import git

WITH_SKILL = "with_skill"
NO_SKILL = "without_skill"
OLD_SKILL = "old_skill"
WITH_CONFIGS = (WITH_SKILL, "new_skill")
BASELINE_CONFIGS = (NO_SKILL, OLD_SKILL, "baseline")
# Trials whose outcome says nothing about the skill (never graded); failed trials are graded.
EXCLUDED_STATUSES = tuple(s for s in NOT_COMPLETED_STATUSES if s != FAILED)
ITERATION_RE = re.compile(r"^iteration-(\d+)$")
RUN_FOLDER = "_run"          # the engine's run folder (results.jsonl, raw recordings)
SNAPSHOT = "skill-snapshot"  # the skill as benchmarked in this iteration


def iteration_dir(workspace: Path, number: int) -> Path:
    return workspace / f"iteration-{number}"


def iteration_number(path: Path) -> int | None:
    match = ITERATION_RE.match(path.name)
    return int(match.group(1)) if match else None


def next_iteration(workspace: Path) -> int:
    """1 + the highest existing iteration-<N> (1 when none)."""
    numbers = [n for p in workspace.glob("iteration-*") if (n := iteration_number(p)) is not None]
    return max(numbers, default=0) + 1


def latest_unfinished(workspace: Path) -> int:
    """The newest iteration whose run folder has planned trials without a final record (for --resume)."""
    from popkit_bench.planning.plan import plan_from_json
    from popkit_bench.record.rundir import RunDir

    numbers = sorted((n for p in workspace.glob("iteration-*") if (n := iteration_number(p)) is not None), reverse=True)
    for number in numbers:
        run = RunDir(iteration_dir(workspace, number) / RUN_FOLDER)
        stored = (run.read_run_json() or {}).get("plan")
        if isinstance(stored, list) and set(plan_from_json(stored).keys) - run.finished_keys():
            return number
    raise InputError("no unfinished iteration to resume", file=workspace,
                     expected="a workspace with an iteration that was killed or interrupted, or --iteration N")


def run_dir(iteration: Path, eval_folder: str, config: str, trial: int) -> Path:
    return iteration / eval_folder / config / f"run-{trial}"


def write_run(folder: Path, *, record: dict[str, Any], grading: dict[str, Any] | None, answer: str | None,
              worktree: Path | None, run_root: Path) -> None:
    """Write one run folder from the engine's trial record (the numbers are the record's, never estimated)."""
    if folder.exists():
        shutil.rmtree(folder)
    outputs = folder / "outputs"
    outputs.mkdir(parents=True)
    if answer is not None:
        (outputs / "final_answer.md").write_text(answer, encoding="utf-8")
    if worktree is not None and worktree.is_dir():
        copy_produced_files(worktree, outputs / "files")
    write_json(folder / "timing.json", timing(record))
    write_json(folder / "trial.json", {
        "status": record.get("status"), "status_reason": record.get("status_reason"),
        "arm": record.get("arm"), "trial": record.get("trial"), "session_id": record.get("session_id"),
        "claude_code_version": record.get("claude_code_version"), "model": record.get("model"),
        "plugins_loaded": record.get("plugins_loaded"),
        "recordings": f"{run_root.name}/{record['trial_dir']}" if record.get("trial_dir") else None,
    })
    if grading is not None:
        write_json(folder / "grading.json", creator_grading(grading, record))


def timing(record: dict[str, Any]) -> dict[str, Any]:
    """timing.json from the trial record: tokens as Claude Code bills them, duration from its result event."""
    metrics = record.get("metrics") or {}
    seconds = metrics.get("duration_s")
    tokens = metrics.get("tokens_total")
    reasons = record.get("metrics_null_reasons") or {}
    out: dict[str, Any] = {
        "total_tokens": tokens,
        "duration_ms": round(seconds * 1000) if isinstance(seconds, (int, float)) else None,
        "total_duration_seconds": round(seconds, 3) if isinstance(seconds, (int, float)) else None,
        "agent_wall_seconds": record.get("agent_wall_s"),
        "source": "results.jsonl trial record (metrics.tokens_total, metrics.duration_s)",
    }
    missing = {k: reasons.get(k, "not measured") for k in ("tokens_total", "duration_s") if metrics.get(k) is None}
    if missing:
        out["null_reasons"] = missing
    return out


def copy_produced_files(worktree: Path, target: Path) -> list[str]:
    """Copy files the agent created or changed (per git, against the eval's initial commit)."""
    listing = git("status", "--porcelain", "-z", "--untracked-files=all", cwd=worktree, check=False)
    copied = []
    entries = [e for e in listing.split("\0") if e]
    for entry in entries:
        state, rel = entry[:2], entry[3:]
        source = worktree / rel
        if "D" in state or not source.is_file():
            continue
        destination = target / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
        copied.append(rel)
    return copied
