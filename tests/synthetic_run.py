"""Synthetic run folders (run.json, results.jsonl, trial folders with a small stream.jsonl).

For the report's tests and benchmarks: a run shaped exactly like one `run` writes, with chosen
statuses and seeded random metrics, made in milliseconds without Claude Code.
"""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from records import build_record

BASELINE = "baseline"
TREATMENT = "popkit-ops"


@dataclass
class TrialSpec:
    """One trial to write: where it sits, its status and (optionally) fixed metric values."""

    task_id: str
    arm: str
    trial: int
    status: str = "completed"
    reason: str | None = None
    metrics: dict[str, Any] | None = None
    prompt_text: str | None = None      # text put into the stream's assistant message / tool output
    file_name: str | None = None        # file name used in the tool calls
    stream: bool = True


@dataclass
class RunSpec:
    """A whole run: tasks, arms, trials and the treatment's effect (multiplier on tokens and time)."""

    run_id: str = "20261123-133000-demo-fizzbuzz"
    tasks: list[str] = field(default_factory=lambda: ["demo-fizzbuzz"])
    arms: list[str] = field(default_factory=lambda: [BASELINE, TREATMENT])
    trials_requested: int = 5
    trials: list[TrialSpec] = field(default_factory=list)
    effect: float = 0.75
    seed: int = 1
    prompt: str = "Make fizzbuzz handle multiples of 15 and keep the tests passing."
    created_at: str = "2026-11-23T13:30:00Z"
    rehearsal: bool = True                                     # run.json `rehearsal`
    verification: str = "python -m unittest -q"                # the tasks' verification command
    generic_play_tasks: list[str] = field(default_factory=list)  # tasks whose trials ran the generic play


def default_trials(spec: RunSpec, per_arm: int | None = None) -> list[TrialSpec]:
    """Every (task, arm, trial) of the spec, all completed."""
    count = per_arm if per_arm is not None else spec.trials_requested
    return [TrialSpec(t, a, n) for t in spec.tasks for a in spec.arms for n in range(1, count + 1)]


def make_metrics(rng: random.Random, arm: str, effect: float, task_index: int) -> dict[str, Any]:
    """Plausible metric values; the treatment arm's tokens and time are scaled by `effect`."""
    scale = effect if arm != BASELINE else 1.0
    base = 1.0 + 0.3 * task_index
    tokens_in = int(rng.lognormvariate(0, 0.12) * 2000 * base * scale)
    tokens_out = int(rng.lognormvariate(0, 0.15) * 900 * base * scale)
    cache_read = int(rng.lognormvariate(0, 0.1) * 30000 * base * scale)
    cache_creation = int(rng.lognormvariate(0, 0.1) * 4000 * base)
    tools = max(1, int(rng.gauss(7 * scale * base, 1.2)))
    errors = max(0, int(rng.gauss(1.2 * scale, 0.8)))
    passed = 1.0 if rng.random() < (0.9 if arm != BASELINE else 0.7) else 0.5
    duration = rng.lognormvariate(0, 0.15) * 40 * base * scale
    return {
        "tokens_total": tokens_in + tokens_out + cache_read + cache_creation,
        "tokens_input": tokens_in, "tokens_output": tokens_out,
        "tokens_cache_read": cache_read, "tokens_cache_creation": cache_creation,
        "context_peak_tokens": int(cache_read / 3),
        "context_footprint_tokens": int(cache_creation * (1.0 if arm == BASELINE else 1.15)),
        "cost_usd": round((tokens_in * 3 + tokens_out * 15) / 1e6, 5),
        "turns": tools + 1, "tool_calls": tools, "errors": errors, "error_rate": round(errors / tools, 4),
        "backtracking": max(0, int(rng.gauss(1.0 * scale, 0.7))),
        "duration_s": round(duration, 2), "duration_api_s": round(duration * 0.6, 2),
        "verification_pass_rate": passed, "success": 1 if passed == 1.0 else 0, "questions_asked": 0,
    }


def stream_lines(session_id: str, text: str, file_name: str, final: str | None, is_error: bool) -> list[dict]:
    """A short stream-json session: init, a Read call and its result, a Bash call, the final result."""
    lines: list[dict[str, Any]] = [
        {"type": "system", "subtype": "init", "session_id": session_id, "model": "claude-sonnet-4-5",
         "claude_code_version": "2.1.330", "tools": ["Read", "Edit", "Bash"], "plugins": []},
        {"type": "assistant", "session_id": session_id, "parent_tool_use_id": None,
         "message": {"id": "m1", "role": "assistant", "content": [{"type": "text", "text": f"Looking at {text}"}]}},
        {"type": "assistant", "session_id": session_id, "parent_tool_use_id": None,
         "message": {"id": "m1", "role": "assistant",
                     "content": [{"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": file_name}}]}},
        {"type": "user", "session_id": session_id, "parent_tool_use_id": None,
         "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                                   "content": f"1\t{text}\n2\tdef fizzbuzz(n): ..."}]}},
        {"type": "assistant", "session_id": session_id, "parent_tool_use_id": None,
         "message": {"id": "m2", "role": "assistant",
                     "content": [{"type": "tool_use", "id": "t2", "name": "Bash",
                                  "input": {"command": "python -m unittest -q", "description": "Run tests"}}]}},
        {"type": "user", "session_id": session_id, "parent_tool_use_id": None,
         "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t2", "is_error": is_error,
                                                   "content": "FAILED (failures=1)" if is_error else "OK"}]}},
    ]
    if final is not None:
        lines.append({"type": "result", "subtype": "error_max_turns" if is_error else "success",
                      "is_error": is_error, "result": final, "session_id": session_id, "num_turns": 3})
    return lines


def write_run(run_dir: Path, spec: RunSpec, *, streams_limit: int | None = None) -> Path:
    """Write the run folder for `spec` (trials default to every trial completed); return run_dir."""
    rng = random.Random(spec.seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    trials = spec.trials or default_trials(spec)
    run_json = {
        "schema": 1, "run_id": spec.run_id, "created_at": spec.created_at, "updated_at": spec.created_at,
        "popkit_bench_version": "0.1.0", "argv": ["run", spec.tasks[0], "--trials", str(spec.trials_requested)],
        "rehearsal": spec.rehearsal, "seed": 0, "trials_per_arm": spec.trials_requested,
        "trials_requested": {t: {a: spec.trials_requested for a in spec.arms} for t in spec.tasks},
        "arms": [{"name": a, "plugin_dirs": [] if a == BASELINE else ["/work/main"],
                  "plugin_name": None if a == BASELINE else a} for a in spec.arms],
        "baseline_arm": BASELINE,
        "plugins": [{"path": "/work/main", "name": a, "version": "0.1.0", "digest": "0123456789abcdef"}
                    for a in spec.arms if a != BASELINE],
        "tasks": [{"id": t, "category": "demo", "path": f"tasks/demo/{t}.yml", "description": f"Task {t}",
                   "user_prompt": spec.prompt, "verification": [spec.verification], "timeout_seconds": 300,
                   "codebase": {"source": "tasks/demo/codebase", "ref": "HEAD", "commit": "a1b2c3d4e5f6",
                                "digest": "feedface"}} for t in spec.tasks],
        "claude_code": {"binary": "/usr/bin/claude", "version": "2.1.330"},
        "model": "claude-sonnet-4-5",
        "options": {"timeout_s": None, "max_turns": None, "parallel": 1, "permission_mode": "acceptEdits"},
        "environment": {"python": "3.11.7", "platform": "Linux", "machine": "x86_64"},
    }
    (run_dir / "run.json").write_text(json.dumps(run_json, indent=2), encoding="utf-8")
    lines = []
    for index, trial in enumerate(trials):
        lines.append(json.dumps(_record(run_dir, spec, trial, rng, write_stream=streams_limit is None
                                        or index < streams_limit)))
    (run_dir / "results.jsonl").write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return run_dir


def _record(run_dir: Path, spec: RunSpec, trial: TrialSpec, rng: random.Random, *, write_stream: bool) -> dict:
    rel = f"trials/{trial.task_id}/{trial.arm}/{trial.trial}"
    folder = run_dir / rel
    key = f"{trial.task_id}/{trial.arm}/{trial.trial}".encode()
    session_id = f"00000000-0000-4000-8000-{zlib.crc32(key):012d}"
    metrics = trial.metrics if trial.metrics is not None else make_metrics(
        rng, trial.arm, spec.effect, spec.tasks.index(trial.task_id) if trial.task_id in spec.tasks else 0)
    failed_check = metrics.get("verification_pass_rate") not in (None, 1.0)
    verification = [{"command": spec.verification, "shell": False, "exit_code": 1 if failed_check else 0,
                     "passed": not failed_check, "timed_out": False, "duration_s": 0.4,
                     "output_tail": ("FAILED (failures=1)" if failed_check else "Ran 3 tests\n\nOK")
                     + (f"\n{trial.prompt_text}" if trial.prompt_text else "")}]
    if trial.status == "timeout":
        verification = []
    if write_stream and trial.stream:
        folder.mkdir(parents=True, exist_ok=True)
        final = None if trial.status in ("timeout", "error") else ("Done." if trial.status != "failed" else "Gave up.")
        events = stream_lines(session_id, trial.prompt_text or "fizzbuzz.py", trial.file_name or "fizzbuzz.py",
                              final, trial.status == "failed")
        (folder / "stream.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
        (folder / "stderr.txt").write_text("" if trial.status != "error" else "Error: spawn failed\n",
                                           encoding="utf-8")
        if spec.rehearsal:
            variant = "generic-play" if trial.task_id in spec.generic_play_tasks else "default"
            (folder / "rehearsal.json").write_text(json.dumps({"variants": [variant]}), encoding="utf-8")
        if verification:
            (folder / "verification.json").write_text(json.dumps(verification, indent=2), encoding="utf-8")
    contaminated = trial.status == "contaminated"
    return build_record(
        trial.task_id, trial.arm, trial.trial, run_id=spec.run_id, status=trial.status, status_reason=trial.reason, attempts=1,
        metrics=metrics, metrics_null_reasons={k: "not measured" for k, v in metrics.items() if v is None},
        tools={"Read": 2, "Bash": 2}, verification=verification, session_id=session_id,
        claude_code_version="2.1.330", model="claude-sonnet-4-5",
        plugins_loaded=[TREATMENT] if (trial.arm != BASELINE) != contaminated else [],
        purity={"expected_plugin": None if trial.arm == BASELINE else trial.arm, "ok": not contaminated,
                "reason": trial.reason if contaminated else None},
        started_at=spec.created_at, ended_at=spec.created_at,
        wall_s=metrics.get("duration_s") or 1.0, agent_wall_s=metrics.get("duration_s"), trial_dir=rel,
    )
