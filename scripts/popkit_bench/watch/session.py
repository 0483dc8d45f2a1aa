"""The program a watch window runs: `python -m popkit_bench.watch.session SPEC.json`.

It hosts one Claude Code session exactly as a headless trial does (same argv, environment, host and
recordings), shows a readable view of it, then writes the exit-code file the orchestrator waits for.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from popkit_bench.agent.host import SessionHost, run_hosted
from popkit_bench.record.rundir import write_json_atomic
from popkit_bench.watch.view import Tail
from popkit_shared.benchmark_responses import ResponsesFile

PID_FILE = "window-session.pid"
VIEW_FILE = "window-view.txt"  # a copy of what the window showed
EXIT_FILE = "window-exit.json"


def load_responses_from(path: str | None) -> ResponsesFile:
    if not path:
        return ResponsesFile(path=None)
    from popkit_bench.tasks.validate import load_responses

    return load_responses(Path(path))


def run_session(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the session described by the spec; return the exit record (also written to spec['exit_path'])."""
    trial_dir = Path(spec["exit_path"]).parent
    (trial_dir / PID_FILE).write_text(str(os.getpid()), encoding="utf-8")
    print(f"popkit-bench watch: {spec.get('title', '')}", flush=True)
    print(f"prompt: {spec['prompt']}\n", flush=True)
    host = SessionHost(prompt=spec["prompt"], session_id=spec["session_id"],
                       responses=load_responses_from(spec.get("responses_path")))
    tail = Tail(Path(spec["stream_path"]), sys.stdout, copy=trial_dir / VIEW_FILE).start()
    error = None
    try:
        done = run_hosted(spec["argv"], host, cwd=Path(spec["cwd"]), env=spec["env"],
                          timeout_s=float(spec["timeout_s"]), stream_path=Path(spec["stream_path"]),
                          stderr_path=Path(spec["stderr_path"]))
        outcome = {"exit_code": done.exit_code, "timed_out": done.timed_out, "wall_s": done.wall_s}
    except Exception as exc:  # reported to the orchestrator through the exit file
        error = f"{exc.__class__.__name__}: {exc}"
        outcome = {"exit_code": None, "timed_out": False, "wall_s": 0.0}
    finally:
        tail.stop()
    exit_record = {**outcome, "error": error, "interactions": host.interactions}
    write_json_atomic(Path(spec["exit_path"]), exit_record)
    return exit_record


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    spec_path = Path(args[0])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    result = run_session(spec)
    state = "timed out" if result["timed_out"] else f"exit code {result['exit_code']}"
    hold = float(spec.get("hold_s", 0))
    print(f"\nsession ended ({state})" + (f"; this window closes in {hold:.0f} s" if hold > 0 else ""), flush=True)
    if hold > 0:
        time.sleep(hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
