"""Arms through the real Claude Code CLI and the scripted model: each arm's files, flags, model and CLI
version reach the session, the scripted model answers by arm, and purity is checked from the init event."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from popkit_bench.agent.arm_launch import apply_arm
from popkit_bench.agent.claude import AgentRequest, run_claude
from popkit_bench.agent.cli_locator import cli_version
from popkit_bench.agent.cli_versions import arm_binaries
from popkit_bench.agent.isolation import make_config_dir, remove_config_dir
from popkit_bench.execution.arm_purity import Forbidden, Loaded, arm_purity
from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.planning.arms_file import load_arms_file
from popkit_bench.rehearsal import RehearsalServer, load_play
from popkit_shared.recording import load_stream_json

pytestmark = pytest.mark.real_cli

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "arms-task"
OLDER_CLI = "2.1.329"  # one version before the pinned 2.1.330, installed into the cache with npm


def session(binary: Path, arm: ArmDefinition, server: RehearsalServer, tmp: Path) -> tuple[Path, str | None]:
    """One headless session of `arm` in a fresh copy of the fixture codebase; (stream path, variant served)."""
    worktree = tmp / f"wt-{arm.name}"
    shutil.copytree(FIXTURE / "codebases" / "counter", worktree)
    subprocess.run(["git", "init", "-q"], cwd=worktree, check=True)
    config = make_config_dir(f"arms-test-{uuid.uuid4().hex[:6]}", arm.name)
    key = f"{arm.name}-{uuid.uuid4().hex[:6]}"
    try:
        request = AgentRequest(prompt="Set VALUE in value.py to 2.", cwd=worktree, session_id=str(uuid.uuid4()),
                               config_dir=config, stream_path=tmp / f"{arm.name}.jsonl",
                               stderr_path=tmp / f"{arm.name}.err", timeout_s=120,
                               base_url=server.base_url_for(key, load_play(FIXTURE / "arms-task.play.yml")))
        run_claude(binary, apply_arm(request, arm, worktree, config))
    finally:
        remove_config_dir(config)
    variants = server.served(key).variants()
    return request.stream_path, variants[0] if variants else None


def test_four_arms_reach_the_session_and_are_pure(claude_bin: Path, tmp_path: Path) -> None:
    arms = load_arms_file(FIXTURE / "arms.yml").arms
    with RehearsalServer() as server:
        for arm in arms:
            stream, variant = session(claude_bin, arm, server, tmp_path)
            expected_variant = {"none": "default", "with-plugin": "with-plugin", "claude-md": "claude-md",
                                "sonnet": "sonnet"}[arm.name]
            assert variant == expected_variant, (arm.name, (tmp_path / f"{arm.name}.err").read_text()[-800:])
            loaded = Loaded.from_session(load_stream_json(stream))
            purity = arm_purity(arm, loaded, Forbidden.of([a for a in arms if a is not arm]))
            assert purity.ok, purity
            if arm.name == "sonnet":
                assert loaded.model == "claude-sonnet-4-5"
            if arm.name == "with-plugin":
                assert "arms-probe" in loaded.plugins
            else:
                assert "arms-probe" not in loaded.plugins
    leaked = arm_purity(arms[0], Loaded(plugins=["arms-probe"]), Forbidden.of(arms[1:]))
    assert not leaked.ok


def test_skills_arm_and_a_second_cli_version(claude_bin: Path, tmp_path: Path) -> None:
    """`skills:` load as `<arm>-skills:<skill>`; `claude_version: 2.1.329` runs that version (npm, cached)."""
    skills = ArmDefinition("skilled", skills=(FIXTURE / "plugin" / "skills" / "counting",))
    older = ArmDefinition("older", claude_version=OLDER_CLI)
    binaries = arm_binaries([skills, older], claude_bin, cli_version(claude_bin))
    assert binaries["older"][1] == OLDER_CLI and binaries["skilled"][0] == claude_bin
    with RehearsalServer() as server:
        stream, _ = session(claude_bin, skills, server, tmp_path)
        loaded = Loaded.from_session(load_stream_json(stream))
        assert "skilled-skills:counting" in loaded.skills
        assert arm_purity(skills, loaded, Forbidden.of([older])).ok
        stream, _ = session(binaries["older"][0], older, server, tmp_path)
        loaded = Loaded.from_session(load_stream_json(stream))
        assert loaded.claude_code_version == OLDER_CLI
        assert arm_purity(older, loaded, Forbidden.of([skills]), cli_version=OLDER_CLI).ok
        wrong = arm_purity(older, loaded, Forbidden.of([skills]), cli_version="2.1.330")
        assert not wrong.ok and "claude_code_version" in (wrong.reason or "")


def test_mcp_config_and_appended_prompt_arms(claude_bin: Path, tmp_path: Path) -> None:
    """`mcp_config`: its server is connected and listed (purity); `append_system_prompt` reaches the model."""
    server_script = FIXTURE / "mcp" / "tiny_mcp.py"
    mcp = ArmDefinition("mcp", mcp_config={"mcpServers": {"arms-probe-mcp": {
        "command": sys.executable, "args": [str(server_script)]}}})
    appended = ArmDefinition("appended", append_system_prompt="ARMS-CLAUDE-MD-RULE (appended)")
    with RehearsalServer() as server:
        stream, variant = session(claude_bin, mcp, server, tmp_path)
        loaded = Loaded.from_session(load_stream_json(stream))
        assert {"name": "arms-probe-mcp", "status": "connected"}.items() <= loaded.mcp_servers[0].items()
        assert arm_purity(mcp, loaded, Forbidden.of([appended])).ok and variant == "default"
        leaked = arm_purity(appended, loaded, Forbidden.of([mcp]))
        assert not leaked.ok and leaked.unexpected == ["arms-probe-mcp"]
        stream, variant = session(claude_bin, appended, server, tmp_path)
        assert variant == "claude-md"  # the scripted model saw the appended text in its context
        assert Loaded.from_session(load_stream_json(stream)).mcp_servers == []
