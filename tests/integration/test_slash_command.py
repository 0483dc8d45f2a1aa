"""The user's path: `/popkit-ops:benchmark run <task> --trials 1 --rehearsal` inside the real Claude Code,
with this repo as the plugin. The scripted model does what the command's markdown tells it: its first turn
is the Bash call with the launcher line it finds in the request; the launcher runs the benchmark (its own
scripted model inside), which leaves a run folder and a report."""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from popkit_bench.record.journal import read_journal_json
from popkit_bench.rehearsal.play import Play, ToolCall, Turn, Variant
from popkit_bench.rehearsal.request_info import MAIN, assistant_turns, classify, context_text
from popkit_bench.rehearsal.server import RehearsalServer

pytestmark = pytest.mark.real_cli
REPO = Path(__file__).resolve().parents[2]
TASK = "pagination-off-by-one"
LAUNCHER_LINE = re.compile(r'^"([^"\n]+)"/scripts/popkit-bench (run [^\n`]+)$', re.M)


class CommandFollower(RehearsalServer):
    """Plays the model that follows /popkit-ops:benchmark: run the launcher line given in the command text."""

    def __init__(self) -> None:
        super().__init__(None)
        self.launcher_lines: list[str] = []

    def messages(self, key: str, headers: Any, body: dict[str, Any]) -> tuple[str, bytes]:
        if classify(headers, body) == MAIN and assistant_turns(body) == 0 and not self.launcher_lines:
            match = LAUNCHER_LINE.search(context_text(body))
            if match:
                line = f'"{match.group(1)}"/scripts/popkit-bench {match.group(2).strip()}'
                self.launcher_lines.append(line)
                turns = (Turn(text="Running the benchmark.", tool_calls=(ToolCall(
                    "Bash", {"command": line, "description": "Run the popkit-ops benchmark", "timeout": 600000}),)),
                    Turn(text="The benchmark finished; the verdict and report paths are above."))
                self.register(key, Play("follow-command", (Variant("default", turns),)))
        return super().messages(key, headers, body)


def launcher_venv(tmp_path: Path) -> Path:
    """A venv that sees the test interpreter's packages (a .pth file; --system-site-packages would reach the
    base interpreter's instead when the tests run in a venv), stamped as set up, so the launcher installs
    nothing."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "popkit-test-packages.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    requirements = (REPO / "scripts" / "requirements.txt").read_text().rstrip("\n")
    (venv / ".popkit-requirements").write_text(requirements)
    return venv


def test_the_slash_command_runs_a_benchmark_and_writes_a_report(tmp_path: Path, claude_bin: Path) -> None:
    work = tmp_path / "project"
    work.mkdir()
    config = tmp_path / "config"
    config.mkdir()
    server = CommandFollower()
    with server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "ANTHROPIC_", "POPKIT_"))}
        env.update(ANTHROPIC_BASE_URL=server.base_url_for("outer"), ANTHROPIC_API_KEY="rehearsal-no-key",
                   CLAUDE_CONFIG_DIR=str(config), DISABLE_TELEMETRY="1", DISABLE_AUTOUPDATER="1",
                   CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", POPKIT_VENV=str(launcher_venv(tmp_path)))
        env.pop("PYTHONPATH", None)
        proc = subprocess.run(
            [str(claude_bin), "-p", f"/popkit-ops:benchmark run {TASK} --trials 1 --rehearsal",
             "--output-format", "stream-json", "--verbose", "--plugin-dir", str(REPO), "--setting-sources", "",
             "--strict-mcp-config", "--permission-mode", "acceptEdits"],
            cwd=work, env=env, capture_output=True, text=True, timeout=400, stdin=subprocess.DEVNULL)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert server.launcher_lines == [f'"{REPO}"/scripts/popkit-bench run {TASK} --trials 1 --rehearsal'], \
        proc.stdout[-3000:]
    results = [b for e in events if e.get("type") == "user" for b in e["message"]["content"]
               if isinstance(b, dict) and b.get("type") == "tool_result"]
    assert results, proc.stdout[-3000:]
    output = json.dumps(results[0]["content"])
    # one trial per arm is too few to test (exit 3, "not enough data"), yet the run and its report exist
    assert not results[0].get("is_error") or output.startswith('"Exit code 3'), output
    assert "Verdict [scripted model" in output and "report:" in output  # rehearsal numbers are labelled
    runs = list((work / ".popkit" / "runs").glob(f"*-{TASK}"))
    assert len(runs) == 1
    records = read_journal_json(runs[0] / "results.jsonl")
    assert sorted(r["arm"] for r in records) == ["baseline", "popkit-ops"]
    assert {r["status"] for r in records} == {"completed"}
    assert (runs[0] / "analysis.json").exists()
    assert list((work / "docs" / "benchmark" / "results").glob(f"{TASK}-*.md"))
    assert events[-1]["type"] == "result" and not events[-1]["is_error"]
