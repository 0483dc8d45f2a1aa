"""Purity through the real CLI: a plugin's stdio MCP server connects in the treatment, never in the baseline,
and a treatment without it (removed, or failing to start) is contaminated with the server named."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from popkit_bench.agent.claude import AgentRequest, run_claude
from popkit_bench.agent.isolation import make_config_dir, remove_config_dir
from popkit_bench.execution.purity import check_purity, read_components
from popkit_bench.rehearsal import RehearsalServer, parse_play
from popkit_shared.recording.jsonl import read_objects
from popkit_shared.recording.model import Diagnostics

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "mcp-plugin"
SERVER = "plugin:echo-mcp:echo"
PLAY = parse_play({"play": "says-ok", "turns": [{"text": "ok"}]})


def trial_events(claude_bin: Path, tmp_path: Path, base_url: str, plugins: list[Path]) -> list[dict]:
    """One session exactly as a trial runs it (agent/claude.py argv, trial environment, fresh config)."""
    name = uuid.uuid4().hex[:8]
    work, out = tmp_path / f"work-{name}", tmp_path / f"out-{name}"
    work.mkdir()
    out.mkdir()
    config = make_config_dir(f"purity-{name}", "t")
    try:
        request = AgentRequest(prompt="Say ok.", cwd=work, session_id=str(uuid.uuid4()), config_dir=config,
                               stream_path=out / "stream.jsonl", stderr_path=out / "stderr.txt", timeout_s=120,
                               plugin_dirs=plugins, base_url=base_url, max_turns=2)
        outcome = run_claude(claude_bin, request)
    finally:
        remove_config_dir(config)
        shutil.rmtree(config.parent, ignore_errors=True)
    assert "--strict-mcp-config" not in outcome.argv
    events = list(read_objects(out / "stream.jsonl", Diagnostics()))
    assert any(e.get("type") == "result" for e in events), (out / "stderr.txt").read_text()[-2000:]
    return events


def mcp_servers(events: list[dict]) -> dict[str, str]:
    return {s["name"]: s["status"] for e in events if e.get("subtype") == "init" for s in e.get("mcp_servers", [])}


@pytest.fixture(scope="module")
def server():
    with RehearsalServer(PLAY) as srv:
        yield srv


@pytest.mark.real_cli
def test_the_treatment_connects_the_mcp_server_and_the_baseline_never_shows_it(
        tmp_path: Path, claude_bin: Path, server: RehearsalServer) -> None:
    plugin = read_components(FIXTURE)
    assert plugin.mcp_servers == (SERVER,)
    treatment = trial_events(claude_bin, tmp_path, server.base_url_for("treat"), [FIXTURE])
    assert mcp_servers(treatment) == {SERVER: "connected"}
    result = check_purity(treatment, plugin, ["echo-mcp"])
    assert result.ok, result.reason
    assert set(result.checked) == {"command echo-mcp:shout", "skill echo-mcp:echo-notes",
                                   "agent echo-mcp:echo-checker", f"MCP server {SERVER}", "hook SessionStart"}

    baseline = trial_events(claude_bin, tmp_path, server.base_url_for("base"), [])
    assert SERVER not in mcp_servers(baseline)
    assert check_purity(baseline, None, ["echo-mcp"]).ok

    leaked = check_purity(treatment, None, ["echo-mcp"])  # a baseline that showed the plugin
    assert not leaked.ok
    assert f"MCP server {SERVER} (connected)" in leaked.unexpected
    assert {"plugin echo-mcp", "command echo-mcp:shout", "skill echo-mcp:echo-notes",
            "agent echo-mcp:echo-checker"} <= set(leaked.unexpected)
    assert SERVER in (leaked.reason or "") and "baseline" in (leaked.reason or "")


@pytest.mark.real_cli
@pytest.mark.parametrize("damage", ["removed", "broken"])
def test_a_treatment_without_its_mcp_server_is_contaminated_naming_it(
        tmp_path: Path, claude_bin: Path, server: RehearsalServer, damage: str) -> None:
    plugin = read_components(FIXTURE)  # what the plugin under test declares
    loaded = tmp_path / "echo-mcp"
    shutil.copytree(FIXTURE, loaded)
    if damage == "removed":
        (loaded / ".mcp.json").unlink()
    else:  # the server's program is missing: Claude Code cannot start it
        (loaded / "mcp" / "echo_server.py").unlink()
    events = trial_events(claude_bin, tmp_path, server.base_url_for(f"damaged-{damage}"), [loaded])
    result = check_purity(events, plugin, ["echo-mcp"])
    assert not result.ok
    assert len(result.missing) == 1 and result.missing[0].startswith(f"MCP server {SERVER}")
    assert SERVER in (result.reason or "")
    if damage == "broken":
        assert mcp_servers(events)[SERVER] != "connected"


@pytest.mark.real_cli
def test_a_slow_mcp_server_is_connected_before_the_session_starts(
        tmp_path: Path, claude_bin: Path, server: RehearsalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHO_MCP_DELAY_S", "3")  # by default Claude Code would list it `pending`
    events = trial_events(claude_bin, tmp_path, server.base_url_for("slow"), [FIXTURE])
    assert mcp_servers(events) == {SERVER: "connected"}
    assert check_purity(events, read_components(FIXTURE), ["echo-mcp"]).ok


@pytest.mark.real_cli
def test_popkit_ops_components_are_all_seen_in_its_treatment(
        tmp_path: Path, claude_bin: Path, server: RehearsalServer) -> None:
    plugin = read_components(REPO)
    assert plugin.commands and plugin.skills and plugin.agents and plugin.startup_hooks
    events = trial_events(claude_bin, tmp_path, server.base_url_for("popkit"), [REPO])
    result = check_purity(events, plugin, ["popkit-ops"])
    assert result.ok, json.dumps(result.to_json())
