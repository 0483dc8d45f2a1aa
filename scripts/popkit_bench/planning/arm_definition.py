"""ArmDefinition: one Claude Code configuration a run compares (the typed result of an arms file).

A superset of planning.plan.Arm: `name`, `plugin_dirs` and `plugin_name` keep Arm's meaning and JSON keys,
so run.json readers that know only those keep working. File inputs are read when the arms file is parsed
(CLAUDE.md text, settings, MCP config), so a definition is self-contained JSON; folders (plugins, skills)
stay paths, with content digests for fingerprints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SKILLS_PLUGIN_SUFFIX = "-skills"


@dataclass(frozen=True)
class ArmDefinition:
    """One arm: what Claude Code loads and how it is started. Empty fields mean "as the run's default"."""

    name: str
    plugin_dirs: tuple[Path, ...] = ()
    plugin_names: tuple[str, ...] = ()  # manifest names of plugin_dirs, same order
    skills: tuple[Path, ...] = ()  # skill folders, installed as the skills of one plugin (skills_plugin)
    claude_md: Path | None = None  # where claude_md_text came from (None: given inline or absent)
    claude_md_text: str | None = None  # written to <worktree>/CLAUDE.md
    settings: dict[str, Any] | None = None
    settings_file: Path | None = None
    mcp_config: dict[str, Any] | None = None  # the {"mcpServers": {...}} document
    mcp_config_file: Path | None = None
    model: str | None = None
    claude_version: str | None = None  # an npm version ("2.1.329") or the path of a claude binary
    append_system_prompt: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    permission_mode: str | None = None
    digests: dict[str, Any] = field(default_factory=dict)  # content digests of plugin_dirs / skills

    @property
    def plugin_name(self) -> str | None:
        """Arm's field: the (first) plugin under test this arm loads; None when it loads none."""
        names = self.loaded_plugin_names()
        return names[0] if names else None

    @property
    def skills_plugin(self) -> str | None:
        """Name of the plugin the arm's skills are wrapped into (None without skills)."""
        if not self.skills:
            return None
        return re.sub(r"[^a-z0-9-]+", "-", self.name.lower()).strip("-") + SKILLS_PLUGIN_SUFFIX

    def loaded_plugin_names(self) -> list[str]:
        """Every plugin this arm must load: its plugin dirs' names, then its skills plugin."""
        return list(self.plugin_names) + ([self.skills_plugin] if self.skills_plugin else [])

    def skill_names(self) -> list[str]:
        """Skills as Claude Code lists them: `<skills plugin>:<folder name>`."""
        return [f"{self.skills_plugin}:{p.name}" for p in self.skills]

    def mcp_server_names(self) -> list[str]:
        servers = (self.mcp_config or {}).get("mcpServers")
        return sorted(servers) if isinstance(servers, dict) else []

    def to_json(self) -> dict[str, Any]:
        """Plain JSON; `name`, `plugin_dirs`, `plugin_name` as planning.plan.Arm writes them."""
        return {
            "name": self.name,
            "plugin_dirs": [str(p) for p in self.plugin_dirs],
            "plugin_name": self.plugin_name,
            "plugin_names": list(self.plugin_names),
            "skills": [str(p) for p in self.skills],
            "claude_md": _path_text(self.claude_md),
            "claude_md_text": self.claude_md_text,
            "settings": self.settings,
            "settings_file": _path_text(self.settings_file),
            "mcp_config": self.mcp_config,
            "mcp_config_file": _path_text(self.mcp_config_file),
            "model": self.model,
            "claude_version": self.claude_version,
            "append_system_prompt": self.append_system_prompt,
            "env": dict(self.env),
            "permission_mode": self.permission_mode,
            "digests": self.digests,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArmDefinition:
        """The inverse of to_json; also reads a plain Arm's JSON ({name, plugin_dirs, plugin_name})."""
        plugin_names = tuple(data.get("plugin_names") or ())
        if not plugin_names and data.get("plugin_name"):
            plugin_names = (str(data["plugin_name"]),)
        return cls(
            name=str(data["name"]),
            plugin_dirs=tuple(Path(p) for p in data.get("plugin_dirs") or ()),
            plugin_names=plugin_names,
            skills=tuple(Path(p) for p in data.get("skills") or ()),
            claude_md=_path(data.get("claude_md")),
            claude_md_text=data.get("claude_md_text"),
            settings=data.get("settings"),
            settings_file=_path(data.get("settings_file")),
            mcp_config=data.get("mcp_config"),
            mcp_config_file=_path(data.get("mcp_config_file")),
            model=data.get("model"),
            claude_version=data.get("claude_version"),
            append_system_prompt=data.get("append_system_prompt"),
            env={str(k): str(v) for k, v in (data.get("env") or {}).items()},
            permission_mode=data.get("permission_mode"),
            digests=dict(data.get("digests") or {}),
        )

    @classmethod
    def from_arm(cls, arm: Any) -> ArmDefinition:
        """A planning.plan.Arm (plugin dirs only) as a definition; an ArmDefinition as itself."""
        if isinstance(arm, ArmDefinition):
            return arm
        names = (arm.plugin_name,) if getattr(arm, "plugin_name", None) else ()
        return cls(name=arm.name, plugin_dirs=tuple(arm.plugin_dirs), plugin_names=names)

    def describe(self) -> str:
        """A short human summary of what the arm changes ("nothing" for a plain baseline)."""
        parts = [f"plugin {n}" for n in self.plugin_names]
        parts += [f"skill {p.name}" for p in self.skills]
        if self.claude_md_text is not None:
            parts.append("CLAUDE.md")
        for label, value in (("settings", self.settings), ("MCP", self.mcp_config), ("model", self.model),
                             ("Claude Code", self.claude_version), ("system prompt +", self.append_system_prompt),
                             ("permission mode", self.permission_mode)):
            if value:
                parts.append(label if isinstance(value, dict) else f"{label} {_short(str(value))}")
        if self.env:
            parts.append("env " + ",".join(sorted(self.env)))
        return "; ".join(parts) or "nothing added"


def _short(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _path(value: Any) -> Path | None:
    return Path(value) if value else None


def _path_text(value: Path | None) -> str | None:
    return str(value) if value is not None else None
