"""Per-arm purity from the init event, and what an arm adds to a trial's claude invocation."""

from __future__ import annotations

import json
from pathlib import Path

from popkit_bench.agent.arm_launch import CLAUDE_MD_ENV, apply_arm, prepare_arm
from popkit_bench.agent.claude import AgentRequest, build_argv
from popkit_bench.execution.arm_purity import Forbidden, Loaded, arm_purity, model_check
from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.record.trial_record import Purity

NONE = ArmDefinition("none")
PLUGIN = ArmDefinition("with-plugin", (Path("/p"),), ("my-plugin",))
SKILLS = ArmDefinition("skills", skills=(Path("/s/skill-a"),))
MCP = ArmDefinition("mcp", mcp_config={"mcpServers": {"files": {"command": "true"}}})
ALL = [NONE, PLUGIN, SKILLS, MCP]


def check(arm: ArmDefinition, loaded: Loaded, **kw: object) -> dict:
    purity = arm_purity(arm, loaded, Forbidden.of([a for a in ALL if a is not arm]), **kw)
    assert isinstance(purity, Purity)
    return {"ok": purity.ok, "reason": purity.reason or "", "expected_plugin": purity.expected_plugin,
            "missing": purity.missing, "unexpected": purity.unexpected}


def test_baseline_is_pure_until_another_arm_leaks_in() -> None:
    assert check(NONE, Loaded(plugins=["cc-plugin-privacy"]))["ok"]
    leaked = check(NONE, Loaded(plugins=["my-plugin"], skills=["skills-skills:skill-a"],
                                mcp_servers=[{"name": "files", "status": "connected"}]))
    assert not leaked["ok"] and leaked["unexpected"] == ["my-plugin", "skills-skills:skill-a", "files"]
    for words in ("loaded plugins it must not: my-plugin", "skills it must not: skills-skills:skill-a",
                  "mcp_servers it must not: files"):
        assert words in leaked["reason"]


def test_each_arm_must_load_what_it_defines() -> None:
    assert check(PLUGIN, Loaded(plugins=["my-plugin"]))["ok"]
    assert "did not load its plugins: my-plugin" in check(PLUGIN, Loaded())["reason"]
    assert check(PLUGIN, Loaded())["missing"] == ["my-plugin"]
    ok = check(SKILLS, Loaded(plugins=["skills-skills"], skills=["skills-skills:skill-a"]))
    assert ok["ok"] and ok["expected_plugin"] == "skills-skills"
    assert "did not load its skills" in check(SKILLS, Loaded(plugins=["skills-skills"]))["reason"]
    assert check(MCP, Loaded(mcp_servers=[{"name": "files", "status": "connected"}]))["ok"]
    failed = check(MCP, Loaded(mcp_servers=[{"name": "files", "status": "failed"}]))
    assert not failed["ok"] and "failed to start: files" in failed["reason"]


def test_model_and_cli_version() -> None:
    sonnet = ArmDefinition("sonnet", model="claude-sonnet-4-5")
    assert check(sonnet, Loaded(model="claude-sonnet-4-5"))["ok"]
    wrong = check(sonnet, Loaded(model="claude-opus-5-5"))
    assert "asked for model 'claude-sonnet-4-5' but ran 'claude-opus-5-5'" in wrong["reason"]
    resolved = model_check("claude-opus-4-1", "claude-opus-5-5")  # seen with 2.1.330: an older name resolved
    assert resolved.ok and "resolved" in (resolved.note or "")
    assert not model_check("rehearsal-b", "claude-opus-5-5").ok
    assert model_check("sonnet[1m]", "claude-sonnet-4-5[1m]").ok
    assert not model_check("claude-sonnet-4-5", "claude-haiku-5-5").ok
    assert check(NONE, Loaded(claude_code_version="2.1.329"), cli_version="2.1.329")["ok"]
    old = check(NONE, Loaded(claude_code_version="2.1.330"), cli_version="2.1.329")
    assert "asked for claude_code_version '2.1.329' but ran '2.1.330'" in old["reason"]


def request(tmp_path: Path, **kw: object) -> AgentRequest:
    return AgentRequest(prompt="p", cwd=tmp_path, session_id="s", config_dir=tmp_path, stream_path=tmp_path / "x",
                        stderr_path=tmp_path / "y", timeout_s=1, **kw)


def test_launch_places_files_and_adds_flags(tmp_path: Path) -> None:
    skill = tmp_path / "src" / "skill-a"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: skill-a\ndescription: d\n---\n")
    worktree, scratch = tmp_path / "wt", tmp_path / "scratch"
    worktree.mkdir()
    arm = ArmDefinition("Rich Arm", (Path("/p"),), ("my-plugin",), skills=(skill,), claude_md_text="RULES",
                        mcp_config={"mcpServers": {"m": {"command": "true"}}}, append_system_prompt="Be brief.",
                        env={"FOO": "1"}, model="claude-sonnet-4-5", permission_mode="plan",
                        settings={"b": 2})
    launch = prepare_arm(arm, worktree, scratch)
    assert (worktree / "CLAUDE.md").read_text() == "RULES"
    wrapped = scratch / "arm-plugins" / "rich-arm-skills"
    assert launch.plugin_dirs == [Path("/p"), wrapped]
    assert json.loads((wrapped / ".claude-plugin" / "plugin.json").read_text())["name"] == "rich-arm-skills"
    assert (wrapped / "skills" / "skill-a" / "SKILL.md").is_file()
    assert launch.env == {"FOO": "1", CLAUDE_MD_ENV: "1"}
    req = apply_arm(request(tmp_path, settings={"a": 1, "b": 1}, extra_env={"K": "v"}), arm, worktree, scratch)
    argv = build_argv(Path("claude"), req)
    assert argv[argv.index("--model") + 1] == "claude-sonnet-4-5"
    assert argv[argv.index("--permission-mode") + 1] == "plan"
    assert json.loads(argv[argv.index("--settings") + 1]) == {"a": 1, "b": 2}
    assert argv[argv.index("--add-dir") + 1] == str(worktree)
    assert json.loads(argv[argv.index("--mcp-config") + 1]) == {"mcpServers": {"m": {"command": "true"}}}
    assert argv[argv.index("--append-system-prompt") + 1] == "Be brief."
    assert argv.count("--plugin-dir") == 2 and req.extra_env == {"K": "v", "FOO": "1", CLAUDE_MD_ENV: "1"}


def test_empty_arm_changes_nothing(tmp_path: Path) -> None:
    plain = request(tmp_path, model="m")
    assert build_argv(Path("claude"), apply_arm(plain, NONE, tmp_path, tmp_path)) == build_argv(Path("claude"), plain)
    assert not (tmp_path / "CLAUDE.md").exists()
