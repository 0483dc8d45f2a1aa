"""Facts about a plugin folder under test: its name, version and a digest of its content."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from popkit_bench.errors import InputError
from popkit_bench.workspace.codebase import folder_digest

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class PluginInfo:
    """A plugin folder with a `.claude-plugin/plugin.json`."""

    path: Path
    name: str
    version: str | None
    digest: str

    def to_json(self) -> dict:
        return {"path": str(self.path), "name": self.name, "version": self.version, "digest": self.digest}


def read_plugin(path: str | Path) -> PluginInfo:
    """Read a plugin folder's manifest; InputError when it is not a plugin."""
    folder = Path(path).expanduser().resolve()
    manifest = folder / ".claude-plugin" / "plugin.json"
    if not manifest.is_file():
        raise InputError("not a Claude Code plugin folder", file=folder,
                         expected="a folder with .claude-plugin/plugin.json")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=manifest, line=exc.lineno) from None
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise InputError("missing plugin name", file=manifest, field="name", expected="a non-empty string")
    return PluginInfo(folder, name, data.get("version"), plugin_digest(folder))


_NOT_LOADED = frozenset({".venv", "venv", ".tox", ".ruff_cache", ".mypy_cache", ".popkit"})


def plugin_digest(folder: Path) -> str:
    """Digest of everything in a plugin folder Claude Code may load or run: the manifest, commands, skills,
    agents, hooks, `.mcp.json`, settings, and the scripts and servers they start (caches, `.git` and
    `node_modules` and virtual environments aside). Reuse of an earlier arm (`--reuse`) matches on it, so any
    change runs fresh."""
    return folder_digest(folder, _NOT_LOADED)[:16]


def default_plugin() -> PluginInfo:
    """popkit-ops itself: the default plugin under test."""
    return read_plugin(REPO_ROOT)
