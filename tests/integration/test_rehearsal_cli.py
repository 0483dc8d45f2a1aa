"""The real Claude Code CLI against the rehearsal server: plays complete and are counted exactly."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from popkit_bench.rehearsal import RehearsalServer, parse_play

pytestmark = pytest.mark.real_cli

TOKEN_KEYS = {"input_tokens": "inputTokens", "output_tokens": "outputTokens",
              "cache_read_input_tokens": "cacheReadInputTokens",
              "cache_creation_input_tokens": "cacheCreationInputTokens"}


def run_claude(claude_bin: Path, base_url: str, cwd: Path, home: Path, prompt: str,
               plugin_dir: Path | None = None) -> tuple[list[dict], Path, str]:
    """One headless session; returns (stream events, config dir, session id)."""
    config = home / f"config-{uuid.uuid4().hex[:8]}"
    config.mkdir(parents=True)
    session_id = str(uuid.uuid4())
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
        "ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_API_KEY": "dummy", "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CONFIG_DIR": str(config),
    }
    argv = [str(claude_bin), "-p", prompt, "--output-format", "stream-json", "--verbose",
            "--session-id", session_id, "--setting-sources", "",
            "--permission-mode", "acceptEdits", "--allowedTools", "Bash(*)"]
    if plugin_dir is not None:
        argv += ["--plugin-dir", str(plugin_dir)]
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip().startswith("{")]
    assert events, f"no stream-json output (exit {done.returncode}): {done.stderr[-2000:]}"
    return events, config, session_id


def last_result(events: list[dict]) -> dict:
    return [e for e in events if e.get("type") == "result"][-1]


def stream_tool_uses(events: list[dict]) -> list[dict]:
    """tool_use blocks the CLI received, from its assistant events (one block per event), deduplicated."""
    seen: dict[str, dict] = {}
    for event in events:
        if event.get("type") != "assistant":
            continue
        for block in event["message"].get("content", []):
            if block.get("type") == "tool_use":
                seen.setdefault(block["id"], {**block, "parent": event.get("parent_tool_use_id")})
    return list(seen.values())


def model_usage_totals(result: dict) -> dict[str, int]:
    return {ours: sum(m.get(theirs, 0) for m in result["modelUsage"].values()) for ours, theirs in TOKEN_KEYS.items()}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    return folder


def test_four_turn_play_completes_and_counts_match(claude_bin: Path, project: Path, tmp_path: Path) -> None:
    play = parse_play({"play": "calc", "turns": [
        {"text": "Reading the code.", "tool_calls": [{"name": "Read", "input": {"file_path": "{cwd}/calc.py"}}]},
        {"tool_calls": [{"name": "Edit", "input": {"file_path": "{cwd}/calc.py", "old_string": "a - b",
                                                   "new_string": "a + b"}}]},
        {"tool_calls": [{"name": "Bash", "input": {"command": "python3 -c 'import calc; print(calc.add(2, 3))'",
                                                   "description": "Check add"}}]},
        {"text": "Fixed: add() now adds."},
    ]})
    with RehearsalServer() as server:
        events, _, session_id = run_claude(claude_bin, server.base_url_for("calc", play), project, tmp_path,
                                           "Fix add() in calc.py")
        served = server.served("calc")
    result = last_result(events)
    assert result["subtype"] == "success" and result["is_error"] is False, result
    assert result["result"] == "Fixed: add() now adds."
    assert (project / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert [b["name"] for b in stream_tool_uses(events)] == served.tool_names() == ["Read", "Edit", "Bash"]
    assert {b["id"] for b in stream_tool_uses(events)} == {b["id"] for b in served.tool_uses()}
    tool_results = [b for e in events if e.get("type") == "user" for b in e["message"]["content"]
                    if isinstance(b, dict) and b.get("type") == "tool_result"]
    assert len(tool_results) == 3 and not any(b.get("is_error") for b in tool_results)
    bash_result = next(b for b in tool_results if b["tool_use_id"] == served.tool_uses()[2]["id"])
    assert "5" in json.dumps(bash_result["content"])
    assert model_usage_totals(result) == served.usage_totals()
    assert served.sessions() == [session_id]
    assert [r.kind for r in served.replies] == ["main"] * 4


def make_plugin(root: Path) -> Path:
    plugin = root / "probe-kit"
    (plugin / ".claude-plugin").mkdir(parents=True)
    (plugin / ".claude-plugin" / "plugin.json").write_text(json.dumps({"name": "probe-kit", "version": "0.0.1"}))
    skill = plugin / "skills" / "tidy-up"
    skill.mkdir(parents=True)
    skill.joinpath("SKILL.md").write_text("---\nname: tidy-up\ndescription: Tidy a project quickly.\n---\nTidy.\n")
    return plugin


def test_variant_switches_when_the_plugin_is_loaded(claude_bin: Path, tmp_path: Path) -> None:
    play = parse_play({"play": "switch", "variants": [
        {"name": "with-plugin", "when": {"context_regex": r"(?m)^- probe-kit:[\w.-]+: "},
         "turns": [{"tool_calls": [{"name": "Bash", "input": {"command": "echo with-plugin"}}]},
                   {"text": "Used the plugin."}]},
        {"name": "default", "turns": [
            {"tool_calls": [{"name": "Bash", "input": {"command": "echo baseline"}}]},
            {"tool_calls": [{"name": "Read", "input": {"file_path": "{cwd}/calc.py"}}]},
            {"text": "Did it by hand."}]},
    ]})
    plugin = make_plugin(tmp_path)
    folders = {}
    for arm in ("baseline", "treatment"):
        folders[arm] = tmp_path / arm
        folders[arm].mkdir()
        (folders[arm] / "calc.py").write_text("x = 1\n")
    with RehearsalServer() as server:
        urls = {arm: server.base_url_for(f"switch__{arm}__1", play) for arm in folders}
        with ThreadPoolExecutor(2) as pool:
            futures = {arm: pool.submit(run_claude, claude_bin, urls[arm], folders[arm], tmp_path / arm,
                                        "Tidy this project", plugin if arm == "treatment" else None)
                       for arm in folders}
            runs = {arm: future.result() for arm, future in futures.items()}
        served = {arm: server.served(f"switch__{arm}__1") for arm in folders}
    for arm, (events, _, _) in runs.items():
        result = last_result(events)
        assert result["subtype"] == "success" and not result["is_error"], (arm, result)
        assert [b["name"] for b in stream_tool_uses(events)] == served[arm].tool_names()
        assert model_usage_totals(result) == served[arm].usage_totals()
    assert served["treatment"].variants() == ["with-plugin"]
    assert served["baseline"].variants() == ["default"]
    assert served["treatment"].tool_names() == ["Bash"]
    assert served["baseline"].tool_names() == ["Bash", "Read"]
    init = next(e for e in runs["treatment"][0] if e.get("subtype") == "init")
    assert "probe-kit" in [p["name"] for p in init["plugins"]]


def test_subagent_requests_are_served_and_counted(claude_bin: Path, project: Path, tmp_path: Path) -> None:
    play = parse_play({"play": "delegate", "subagent_turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command": "ls", "description": "List"}}]},
        {"text": "calc.py is the only file."},
    ], "turns": [
        {"tool_calls": [{"name": "Agent", "input": {"description": "List files", "prompt": "List the files.",
                                                    "subagent_type": "general-purpose",
                                                    "run_in_background": False}}]},
        {"text": "The helper found calc.py."},
    ]})
    with RehearsalServer() as server:
        events, config, session_id = run_claude(claude_bin, server.base_url_for("d", play), project, tmp_path,
                                                "Delegate a file listing")
        served = server.served("d")
    result = last_result(events)
    assert result["subtype"] == "success" and not result["is_error"], result
    assert [r.kind for r in served.replies] == ["main", "subagent", "subagent", "main"]
    assert served.tool_counts() == {"Agent": 1, "Bash": 1}
    assert model_usage_totals(result) == served.usage_totals()
    assert result["usage"]["input_tokens"] == served.usage_totals(["main"])["input_tokens"]
    subagent_files = list(config.glob(f"projects/*/{session_id}/subagents/agent-*.jsonl"))
    assert len(subagent_files) == 1
    transcript_tools = [b["name"] for path in [*config.glob(f"projects/*/{session_id}.jsonl"), *subagent_files]
                        for line in path.read_text().splitlines()
                        for b in _assistant_blocks(json.loads(line)) if b.get("type") == "tool_use"]
    assert sorted(transcript_tools) == sorted(served.tool_names())


def _assistant_blocks(line: dict) -> list[dict]:
    if line.get("type") != "assistant":
        return []
    content = line.get("message", {}).get("content")
    return content if isinstance(content, list) else []
