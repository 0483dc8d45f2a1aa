"""Watch mode on Linux: under Xvfb, each trial's session runs in a real xterm window to completion, with
the same recordings as headless; without a window system the run says so and stays headless."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal_json

pytestmark = pytest.mark.real_cli


@pytest.fixture
def display():
    if not (shutil.which("Xvfb") and shutil.which("xterm")):
        pytest.skip("Xvfb and xterm are needed (apt-get install xvfb xterm)")
    number = next(n for n in range(91, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def test_a_trial_runs_to_completion_in_an_xterm_window(tmp_path: Path, display: str, monkeypatch, capsys,
                                                       claude_bin: Path) -> None:
    monkeypatch.setenv("DISPLAY", display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("POPKIT_WATCH_TERMINAL", "xterm")
    monkeypatch.setenv("POPKIT_WATCH_HOLD_S", "0")
    run_dir = tmp_path / "run"
    code = main(["demo", "--trials", "1", "--parallel", "2", "--watch", "--run-dir", str(run_dir), "--no-report"])
    assert code == 0
    assert "watch: each trial opens a xterm window" in capsys.readouterr().out
    records = read_journal_json(run_dir / "results.jsonl")
    assert len(records) == 2 and {r["status"] for r in records} == {"completed"}, records
    for record in records:
        trial = run_dir / record["trial_dir"]
        assert (trial / "window-exit.json").exists()
        view = (trial / "window-view.txt").read_text()
        assert "== Claude Code 2.1.330" in view and "== result: success" in view
        assert '"type":"result"' in (trial / "stream.jsonl").read_text().replace(" ", "")
        assert record["metrics"]["tool_calls"] > 0 and record["verification"][0]["passed"]


def test_without_a_window_system_it_says_so_and_runs_headless(tmp_path: Path, monkeypatch, capsys,
                                                              claude_bin: Path) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if sys.platform != "linux":
        pytest.skip("Linux only")
    run_dir = tmp_path / "run"
    code = main(["demo", "--trials", "1", "--parallel", "2", "--watch", "--run-dir", str(run_dir), "--no-report"])
    assert code == 0
    assert "no window system" in capsys.readouterr().out
    records = read_journal_json(run_dir / "results.jsonl")
    assert {r["status"] for r in records} == {"completed"}
    assert not (run_dir / records[0]["trial_dir"] / "window-exit.json").exists()
