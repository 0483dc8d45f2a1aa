"""The orchestrator's side of watch mode: open a window per trial and wait for its exit-code file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from popkit_bench.agent.claude import AgentOutcome, AgentRequest, build_argv
from popkit_bench.agent.isolation import trial_env
from popkit_bench.process.tree import kill_processes, kill_tree
from popkit_bench.watch.session import EXIT_FILE, PID_FILE
from popkit_bench.watch.terminals import WINDOWS, WindowSupport, detect, window_command

SPEC_FILE = "watch-session.json"
START_GRACE_S = 60.0  # a window may take a while to appear
PACKAGE_ROOTS = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parents[3] / "shared")]


def window_support() -> WindowSupport:
    """Which terminal watch mode can use here (or why none)."""
    return detect()


def hold_seconds() -> float:
    """How long a finished window stays open (POPKIT_WATCH_HOLD_S, default 10)."""
    try:
        return float(os.environ.get("POPKIT_WATCH_HOLD_S", "10"))
    except ValueError:
        return 10.0


class WindowRunner:
    """A stand-in for run_claude (TrialOptions.agent_runner): the session runs in a terminal window."""

    def __init__(self, terminal: str, stop: threading.Event | None = None, python: str | None = None) -> None:
        self.terminal = terminal
        self.stop = stop or threading.Event()
        self.python = python or sys.executable

    def spec(self, binary: Path, request: AgentRequest) -> dict[str, Any]:
        """What the window's program needs; holds the prompt and the environment (with any credential),
        so it is written into the trial's private config folder, never into the run folder."""
        trial_dir = request.stream_path.parent
        responses = request.responses.path if request.responses is not None else None
        return {
            "title": f"popkit-bench {trial_dir.parent.parent.name} {trial_dir.parent.name} #{trial_dir.name}",
            "argv": build_argv(binary, request),
            "env": trial_env(request.config_dir, base_url=request.base_url, extra=request.extra_env),
            "cwd": str(request.cwd),
            "prompt": request.prompt,
            "session_id": request.session_id,
            "responses_path": str(responses) if responses else None,
            "timeout_s": request.timeout_s,
            "stream_path": str(request.stream_path),
            "stderr_path": str(request.stderr_path),
            "exit_path": str(trial_dir / EXIT_FILE),
            "hold_s": hold_seconds(),
        }

    def window_argv(self, spec_path: Path) -> list[str]:
        return [self.python, "-m", "popkit_bench.watch.session", str(spec_path)]

    def __call__(self, binary: Path, request: AgentRequest) -> AgentOutcome:
        trial_dir = request.stream_path.parent
        spec = self.spec(binary, request)
        spec_path = request.config_dir / SPEC_FILE
        fd = os.open(spec_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        exit_path = Path(spec["exit_path"])
        exit_path.unlink(missing_ok=True)
        pythonpath = os.pathsep.join(PACKAGE_ROOTS + [p for p in [os.environ.get("PYTHONPATH")] if p])
        command = window_command(self.terminal, self.window_argv(spec_path), spec["title"], cwd=str(trial_dir),
                                 env={"PYTHONPATH": pythonpath})
        env = {**os.environ, "PYTHONPATH": pythonpath}
        start = time.monotonic()
        with open(trial_dir / "window.log", "wb") as log:
            window = subprocess.Popen(command, cwd=trial_dir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=log, start_new_session=self.terminal != WINDOWS)
            timed_out = self._wait(window, exit_path, trial_dir, start + request.timeout_s + START_GRACE_S)
        wall = time.monotonic() - start
        done = _read_exit(exit_path)
        if done is None:
            self._kill(window, trial_dir)
            return AgentOutcome(exit_code=None, timed_out=timed_out, wall_s=wall, argv=spec["argv"])
        return AgentOutcome(exit_code=done.get("exit_code"), timed_out=bool(done.get("timed_out")),
                            wall_s=float(done.get("wall_s") or wall), argv=spec["argv"],
                            interactions=list(done.get("interactions") or []))

    def _wait(self, window: subprocess.Popen, exit_path: Path, trial_dir: Path, deadline: float) -> bool:
        """Until the exit-code file appears (True: the deadline passed first). A window that closed without
        writing it (and whose session is gone) ends the wait too."""
        gone_since: float | None = None
        while not exit_path.exists():
            if self.stop.is_set():
                return False
            now = time.monotonic()
            if now > deadline:
                return True
            if window.poll() is not None and not _session_alive(trial_dir):
                gone_since = gone_since or now
                if now - gone_since > 5:  # e.g. gnome-terminal's client returned; give the session time
                    return False
            time.sleep(0.1)
        return False

    def _kill(self, window: subprocess.Popen, trial_dir: Path) -> None:
        pid = _session_pid(trial_dir)
        if pid is not None:
            try:
                kill_processes([psutil.Process(pid)])
            except psutil.NoSuchProcess:
                pass
        if window.poll() is None:
            kill_tree(window.pid)
        window.wait()


def _read_exit(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _session_pid(trial_dir: Path) -> int | None:
    try:
        return int((trial_dir / PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _session_alive(trial_dir: Path) -> bool:
    pid = _session_pid(trial_dir)
    return pid is not None and psutil.pid_exists(pid)
