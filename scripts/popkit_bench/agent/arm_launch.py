"""Turn an ArmDefinition into one trial's claude invocation: files placed, flags and environment added.

CLAUDE.md: trials run with `--setting-sources ""` (no user/project settings, hence no project CLAUDE.md). An
arm with `claude_md` / `claude_md_text` writes `<worktree>/CLAUDE.md` and adds `--add-dir <worktree>` with
`CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD=1`: Claude Code 2.1.330 then loads that CLAUDE.md exactly as a
project CLAUDE.md ("Contents of <worktree>/CLAUDE.md (project instructions, checked into the codebase)"
in the first user message) while still loading no project settings and no `.claude/skills` of the worktree
(verified against the real CLI). `--append-system-prompt` would put the text in the system prompt instead,
which is not how a CLAUDE.md reaches the model, and `--setting-sources project` would also load the
codebase's own `.claude/settings.json`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from popkit_bench.agent.claude import AgentRequest
from popkit_bench.planning.arm_definition import ArmDefinition

CLAUDE_MD_ENV = "CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".git", "evals", "*-workspace")


@dataclass
class ArmLaunch:
    """What an arm adds to a trial's claude invocation (besides model, permission mode and settings)."""

    plugin_dirs: list[Path] = field(default_factory=list)
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def wrap_skills(arm: ArmDefinition, target: Path) -> Path | None:
    """Write the arm's skill folders as one plugin `<arm>-skills` under target; None without skills."""
    name = arm.skills_plugin
    if name is None:
        return None
    folder = target / name
    if folder.exists():
        shutil.rmtree(folder)
    (folder / ".claude-plugin").mkdir(parents=True)
    manifest = {"name": name, "version": "0.0.0", "description": f"Skills of arm {arm.name} (popkit-bench)"}
    (folder / ".claude-plugin" / "plugin.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for skill in arm.skills:
        shutil.copytree(skill, folder / "skills" / skill.name, ignore=IGNORED)
    return folder


def prepare_arm(arm: ArmDefinition, worktree: Path, scratch: Path) -> ArmLaunch:
    """Place the arm's files (CLAUDE.md in the worktree, skills plugin in scratch) and return its flags.

    scratch: a folder outside the worktree that lives as long as the trial (e.g. its config dir).
    """
    launch = ArmLaunch(plugin_dirs=list(arm.plugin_dirs), env=dict(arm.env))
    skills_plugin = wrap_skills(arm, scratch / "arm-plugins")
    if skills_plugin is not None:
        launch.plugin_dirs.append(skills_plugin)
    if arm.claude_md_text is not None:
        (worktree / "CLAUDE.md").write_text(arm.claude_md_text, encoding="utf-8")
        launch.extra_args += ["--add-dir", str(worktree)]
        launch.env[CLAUDE_MD_ENV] = "1"
    if arm.mcp_config is not None:
        launch.extra_args += ["--mcp-config", json.dumps(arm.mcp_config, sort_keys=True)]
    if arm.append_system_prompt:
        launch.extra_args += ["--append-system-prompt", arm.append_system_prompt]
    return launch


def merged_settings(run_settings: dict | None, arm: ArmDefinition) -> dict | None:
    """The run's --settings with the arm's on top (top-level keys of the arm win)."""
    if not run_settings and not arm.settings:
        return None
    return {**(run_settings or {}), **(arm.settings or {})}


def apply_arm(request: AgentRequest, arm: ArmDefinition, worktree: Path, scratch: Path) -> AgentRequest:
    """The request with the arm applied (files placed; plugin dirs, flags, env, model,
    permission mode and settings set). The run's model / permission mode apply when the arm names none."""
    launch = prepare_arm(arm, worktree, scratch)
    changes = {
        "plugin_dirs": launch.plugin_dirs,
        "extra_args": list(request.extra_args) + launch.extra_args,
        "extra_env": {**request.extra_env, **launch.env},
        "settings": merged_settings(request.settings, arm),
    }
    if arm.model:
        changes["model"] = arm.model
    if arm.permission_mode:
        changes["permission_mode"] = arm.permission_mode
    return replace(request, **changes)
