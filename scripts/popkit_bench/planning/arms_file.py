"""`run TASK --arms arms.yml`: parse and validate an arms file into ArmDefinitions (format: docs/formats.md).

Every problem is an InputError naming the file, the field, the line and what was expected (exit 2).
Relative paths are relative to the arms file's folder.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError, read_input_text
from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.planning.plugin_info import read_plugin
from popkit_bench.workspace.codebase import folder_digest
from popkit_shared.yaml_lines import YamlSyntaxError, load_with_lines

TOP_KEYS = ("baseline", "arms")
ARM_KEYS = ("name", "plugin_dirs", "skills", "claude_md", "claude_md_text", "settings", "mcp_config", "model",
            "claude_version", "append_system_prompt", "env", "permission_mode")
PERMISSION_MODES = ("acceptEdits", "auto", "bypassPermissions", "manual", "dontAsk", "plan")
ARM_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The harness owns these: an arm must not point its trial at another model endpoint, config dir or key.
RESERVED_ENV = ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN",
                "CLAUDE_CONFIG_DIR", "ANTHROPIC_MODEL", "HOME")


@dataclass(frozen=True)
class ArmsFile:
    """The arms of a run, in order, and the one the others are compared with."""

    arms: tuple[ArmDefinition, ...]
    baseline: str
    path: Path | None = None

    def names(self) -> list[str]:
        return [a.name for a in self.arms]

    def arm(self, name: str) -> ArmDefinition:
        return next(a for a in self.arms if a.name == name)


def load_arms_file(path: str | Path) -> ArmsFile:
    """Read and validate an arms file (YAML or JSON)."""
    path = Path(path).expanduser().resolve()
    text = read_input_text(path, "arms file")
    try:
        data, lines = load_with_lines(text)
    except YamlSyntaxError as exc:
        raise InputError(f"invalid YAML: {exc}", file=path, line=exc.line) from None
    return _Reader(path, lines).document(data)


def closest(word: str, known: tuple[str, ...] | list[str]) -> str | None:
    """The known key nearest to a misspelt one (None when nothing is close)."""
    found = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return found[0] if found else None


class _Reader:
    """Validation with file/field/line in every error; relative paths resolve against the file's folder."""

    def __init__(self, path: Path, lines: dict[str, int]) -> None:
        self.path = path
        self.lines = lines

    def fail(self, where: str, message: str, expected: str | None = None) -> InputError:
        line = self.lines.get(where)
        if line is None and "." in where:
            line = self.lines.get(where.rsplit(".", 1)[0])
        return InputError(message, file=self.path, field=where or None, line=line, expected=expected)

    def keys(self, value: dict[str, Any], where: str, known: tuple[str, ...]) -> None:
        for key in value:
            if key not in known:
                hint = closest(str(key), known)
                at = f"{where}.{key}" if where else str(key)
                raise self.fail(at, f"unknown key '{key}'" + (f"; did you mean '{hint}'?" if hint else ""),
                                "one of " + ", ".join(known))

    def document(self, data: Any) -> ArmsFile:
        if not isinstance(data, dict):
            raise self.fail("", "an arms file is a mapping", "baseline: NAME and arms: [{name: ...}, ...]")
        self.keys(data, "", TOP_KEYS)
        items = data.get("arms")
        if not isinstance(items, list) or not items:
            raise self.fail("arms", "missing or empty", "a list of arms, each {name: ..., ...}")
        arms: list[ArmDefinition] = []
        for index, item in enumerate(items):
            arm = self.arm(item, f"arms[{index}]")
            if any(a.name == arm.name for a in arms):
                raise self.fail(f"arms[{index}].name", f"duplicate arm name '{arm.name}'", "a name used once")
            arms.append(arm)
        baseline = data.get("baseline", arms[0].name)
        if not isinstance(baseline, str) or baseline not in [a.name for a in arms]:
            raise self.fail("baseline", f"no arm named {baseline!r}",
                            "one of the arms' names: " + ", ".join(a.name for a in arms))
        return ArmsFile(tuple(arms), baseline, self.path)

    def arm(self, item: Any, where: str) -> ArmDefinition:
        if not isinstance(item, dict):
            raise self.fail(where, "an arm is a mapping", "{name: ..., plugin_dirs: [...], ...}")
        self.keys(item, where, ARM_KEYS)
        name = item.get("name")
        if not isinstance(name, str) or not ARM_NAME_RE.match(name):
            raise self.fail(f"{where}.name", f"missing or invalid arm name {name!r}",
                            "letters, digits, '.', '_' or '-' (at most 60)")
        plugins = [self.folder(p, f"{where}.plugin_dirs[{i}]")
                   for i, p in enumerate(self.list_of(item, "plugin_dirs", where))]
        infos = [read_plugin(p) for p in plugins]
        skills = [self.skill(p, f"{where}.skills[{i}]") for i, p in enumerate(self.list_of(item, "skills", where))]
        text, md_path = self.claude_md(item, where)
        settings, settings_file = self.settings(item.get("settings"), f"{where}.settings")
        mcp, mcp_file = self.mcp(item.get("mcp_config"), f"{where}.mcp_config")
        mode = self.string(item, "permission_mode", where)
        if mode is not None and mode not in PERMISSION_MODES:
            raise self.fail(f"{where}.permission_mode", f"unknown permission mode {mode!r}",
                            "one of " + ", ".join(PERMISSION_MODES))
        digests = {"plugin_dirs": [i.digest for i in infos], "skills": [folder_digest(p)[:16] for p in skills]}
        return ArmDefinition(
            name=name, plugin_dirs=tuple(plugins), plugin_names=tuple(i.name for i in infos), skills=tuple(skills),
            claude_md=md_path, claude_md_text=text, settings=settings, settings_file=settings_file,
            mcp_config=mcp, mcp_config_file=mcp_file, model=self.string(item, "model", where),
            claude_version=self.claude_version(item, where),
            append_system_prompt=self.string(item, "append_system_prompt", where),
            env=self.env(item.get("env"), f"{where}.env"), permission_mode=mode, digests=digests,
        )

    def string(self, item: dict[str, Any], key: str, where: str) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", f"must be a non-empty string, got {value!r}")
        return value

    def list_of(self, item: dict[str, Any], key: str, where: str) -> list[Any]:
        value = item.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", "must be a list of folders", "[path, ...]")
        return value

    def resolve(self, value: Any, where: str) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"must be a path, got {value!r}")
        path = Path(value).expanduser()
        return (path if path.is_absolute() else self.path.parent / path).resolve()

    def folder(self, value: Any, where: str) -> Path:
        path = self.resolve(value, where)
        if not path.is_dir():
            raise self.fail(where, f"folder not found: {path}", "an existing folder")
        if not (path / ".claude-plugin" / "plugin.json").is_file():
            raise self.fail(where, f"not a Claude Code plugin folder: {path}", "a folder with .claude-plugin/plugin.json")
        return path

    def skill(self, value: Any, where: str) -> Path:
        path = self.resolve(value, where)
        if not (path / "SKILL.md").is_file():
            raise self.fail(where, f"not a skill folder: {path}", "a folder with SKILL.md")
        return path

    def file(self, value: Any, where: str) -> tuple[Path, str]:
        path = self.resolve(value, where)
        if not path.is_file():
            raise self.fail(where, f"file not found: {path}", "an existing file")
        return path, read_input_text(path)

    def claude_md(self, item: dict[str, Any], where: str) -> tuple[str | None, Path | None]:
        if "claude_md" in item and "claude_md_text" in item:
            raise self.fail(f"{where}.claude_md_text", "give either claude_md or claude_md_text, not both")
        if item.get("claude_md") is not None:
            path, text = self.file(item["claude_md"], f"{where}.claude_md")
            return text, path
        return self.string(item, "claude_md_text", where), None

    def settings(self, value: Any, where: str) -> tuple[dict[str, Any] | None, Path | None]:
        if value is None or isinstance(value, dict):
            return value, None
        path, text = self.file(value, where)
        return self.json_object(text, path, where), path

    def mcp(self, value: Any, where: str) -> tuple[dict[str, Any] | None, Path | None]:
        if value is None:
            return None, None
        path, text = self.file(value, where)
        data = self.json_object(text, path, where)
        if not isinstance(data.get("mcpServers"), dict):
            raise InputError("no mcpServers mapping", file=path, field="mcpServers",
                             expected='{"mcpServers": {"name": {"command": ...}}}')
        return data, path

    @staticmethod
    def json_object(text: str, path: Path, where: str) -> dict[str, Any]:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None
        if not isinstance(data, dict):
            raise InputError("must be a JSON object", file=path, field=where)
        return data

    def claude_version(self, item: dict[str, Any], where: str) -> str | None:
        from popkit_bench.agent.cli_versions import is_npm_version

        value = item.get("claude_version")
        if value is None:
            return None
        text = str(value) if isinstance(value, (int, float)) else value
        if isinstance(text, str) and is_npm_version(text):
            return text
        path = self.resolve(text, f"{where}.claude_version")
        if not path.is_file():
            raise self.fail(f"{where}.claude_version", f"neither an npm version nor a file: {value!r}",
                            "an exact version such as 2.1.329, or the path of a claude binary")
        return str(path)

    def env(self, value: Any, where: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping", "NAME: value")
        out: dict[str, str] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not ENV_NAME_RE.match(key):
                raise self.fail(f"{where}.{key}", f"invalid environment variable name {key!r}")
            if key in RESERVED_ENV:
                raise self.fail(f"{where}.{key}", f"{key} is set by the harness, not by an arm",
                                "`model:` for the model; no endpoint, key or config-dir variables")
            if not isinstance(item, (str, int, float, bool)):
                raise self.fail(f"{where}.{key}", "must be a string or number")
            out[key] = str(item).lower() if isinstance(item, bool) else str(item)
        return out


def arms_from_plugins(plugins: list[Any], baseline: str = "baseline") -> ArmsFile:
    """`--plugin-dir` shorthand: a baseline arm loading nothing, then one arm per plugin, named after it."""
    arms = [ArmDefinition(baseline)]
    for plugin in plugins:
        name = plugin.name if plugin.name != baseline else f"{plugin.name}-plugin"
        if any(a.name == name for a in arms):
            name = f"{name}-{len(arms)}"
        arms.append(ArmDefinition(name, (plugin.path,), (plugin.name,), digests={"plugin_dirs": [plugin.digest],
                                                                                "skills": []}))
    return ArmsFile(tuple(arms), baseline, None)
