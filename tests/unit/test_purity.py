"""Reading a plugin's components from its folder, and checking a trial's init event against them."""

from __future__ import annotations

import json
from pathlib import Path

from popkit_bench.agent.claude import AgentRequest, build_argv
from popkit_bench.execution.purity import PluginComponents, check_purity, read_components


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_plugin(root: Path) -> Path:
    write(root / ".claude-plugin" / "plugin.json", json.dumps({
        "name": "demo", "commands": "./extra/cmd.md", "mcpServers": {"inline-db": {"command": "x"}}}))
    write(root / "commands" / "go.md", "Go.")
    write(root / "commands" / "sub" / "deep.md", "Deep.")
    write(root / "extra" / "cmd.md", "Extra.")
    write(root / "skills" / "tidy" / "SKILL.md", "---\nname: tidy-up\ndescription: x\n---\nBody")
    write(root / "skills" / "no-skill-file" / "README.md", "not a skill")
    write(root / "agents" / "file-name.md", "---\nname: 'reviewer'\ndescription: x\n---\nBody")
    write(root / "agents" / "plain.md", "No frontmatter.")
    write(root / ".mcp.json", json.dumps({"mcpServers": {"search": {"command": "python3"}}}))
    write(root / "hooks" / "hooks.json", json.dumps({"hooks": {
        "SessionStart": [{"matcher": "resume", "hooks": [{"type": "command", "command": "a"}]},
                         {"matcher": "startup|clear", "hooks": [{"type": "command", "command": "b"}]}],
        "PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "c"}]}]}}))
    return root


def test_components_are_named_as_the_init_event_names_them(tmp_path: Path) -> None:
    plugin = read_components(make_plugin(tmp_path / "p"))
    assert plugin.name == "demo"
    assert plugin.commands == ("demo:cmd", "demo:go", "demo:sub:deep")
    assert plugin.skills == ("demo:tidy",)  # by folder, as Claude Code lists it
    assert plugin.agents == ("demo:plain", "demo:reviewer")  # frontmatter name, else the file name
    assert plugin.mcp_servers == ("plugin:demo:inline-db", "plugin:demo:search")
    assert plugin.startup_hooks == 1  # the `resume` group does not fire on startup; PreToolUse is invisible


def test_a_folder_with_nothing_but_a_manifest(tmp_path: Path) -> None:
    write(tmp_path / ".claude-plugin" / "plugin.json", '{"name": "bare"}')
    assert read_components(tmp_path) == PluginComponents("bare")


PLUGIN = PluginComponents("demo", ("demo:go",), ("demo:tidy",), ("demo:reviewer",), ("plugin:demo:search",), 1)


def init(plugins: list[str], commands: list[str] = (), skills: list[str] = (), agents: list[str] = (),
         servers: dict[str, str] | None = None) -> dict:
    return {"type": "system", "subtype": "init", "plugins": [{"name": p} for p in plugins],
            "slash_commands": ["clear", *commands], "skills": list(skills), "agents": ["Explore", *agents],
            "mcp_servers": [{"name": n, "status": s, "source": "plugin"} for n, s in (servers or {}).items()]}


HOOK = {"type": "system", "subtype": "hook_started", "hook_event": "SessionStart", "hook_name": "SessionStart:startup"}
FULL = [HOOK, init(["demo"], ["demo:go", "demo:tidy"], ["demo:tidy"], ["demo:reviewer"],
                   {"plugin:demo:search": "connected"})]


def test_a_complete_treatment_is_pure() -> None:
    result = check_purity(FULL, PLUGIN, ["demo", "other"])
    assert result.ok and result.reason is None and result.loaded == ("demo",)
    assert result.to_json()["missing"] == [] and result.to_json()["expected_plugin"] == "demo"


def test_each_missing_component_is_named() -> None:
    events = [init(["demo"], ["demo:tidy"], [], [], {"plugin:demo:search": "pending"})]
    result = check_purity(events, PLUGIN, ["demo"])
    assert not result.ok
    assert result.missing == ("command demo:go", "agent demo:reviewer", "MCP server plugin:demo:search (pending)",
                              "hook SessionStart (no SessionStart hook ran)")
    assert "demo:go" in (result.reason or "") and "plugin:demo:search" in (result.reason or "")


def test_a_treatment_that_did_not_load_its_plugin_says_just_that() -> None:
    result = check_purity([init([])], PLUGIN, ["demo"])
    assert result.missing == ("plugin demo",)


def test_a_baseline_showing_any_component_is_contaminated() -> None:
    shows_server = [init([], servers={"plugin:demo:search": "failed"})]
    result = check_purity(shows_server, None, ["demo"])
    assert not result.ok and result.unexpected == ("MCP server plugin:demo:search (failed)",)
    assert "baseline" in (result.reason or "")
    shows_skill = check_purity([init([], ["demo:tidy"], ["demo:tidy"])], None, ["demo"])
    assert shows_skill.unexpected == ("skill demo:tidy",)  # listed once, not also as a command
    assert check_purity([HOOK, init([])], None, ["demo"]).ok  # a hook cannot be tied to a plugin


def test_a_treatment_showing_another_arms_plugin_is_contaminated() -> None:
    result = check_purity([*FULL, init(["other"], ["other:x"])], PLUGIN, ["demo", "other"])
    assert not result.ok and result.unexpected == ("plugin other", "command other:x")


def test_no_init_event_is_never_pure() -> None:
    result = check_purity([{"type": "result"}], None, ["demo"])
    assert not result.ok and "no init event" in (result.reason or "")


def test_trials_keep_user_mcp_servers_out_without_strict_mcp_config(tmp_path: Path) -> None:
    request = AgentRequest(prompt="p", cwd=tmp_path, session_id="s", config_dir=tmp_path,
                           stream_path=tmp_path / "s", stderr_path=tmp_path / "e", timeout_s=5)
    argv = build_argv(Path("/bin/claude"), request)
    assert "--strict-mcp-config" not in argv  # it would stop the plugin's own MCP servers
    assert argv[argv.index("--setting-sources") + 1] == ""
