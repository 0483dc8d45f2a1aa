"""Purity of a trial: its arm loaded every component of its plugin under test and nothing of another one.

What Claude Code 2.1.330 shows in a trial's stream (checked against the real CLI, see
tests/integration/test_purity.py):
- `system/init` lists `plugins[]` by name, and namespaced as `<plugin>:<name>`: `slash_commands[]`
  (commands/**/*.md, sub-folders joined with `:`; skills too), `skills[]` (skills/<folder>/SKILL.md, by
  folder), `agents[]` (agents/*.md, by the frontmatter `name`, else the file name), and `mcp_servers[]` as
  `{"name": "plugin:<plugin>:<server>", "status": "connected"|...}` (.mcp.json `mcpServers`).
- Hooks are visible only for `SessionStart` (a `system/hook_started` event before the init, not
  attributed to a plugin): a treatment whose plugin has a startup SessionStart hook must show one; a
  baseline cannot be blamed for a hook it cannot be tied to.
A treatment trial missing a component, or a trial showing a component of another arm's plugin (a baseline
showing any), is contaminated, the component named.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STARTUP = "startup"
KIND_FIELDS = (("command", "slash_commands"), ("skill", "skills"), ("agent", "agents"))


@dataclass(frozen=True)
class PluginComponents:
    """A plugin's components, named as an init event names them."""

    name: str
    commands: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    mcp_servers: tuple[str, ...] = ()  # "plugin:<plugin>:<server>"
    startup_hooks: int = 0  # SessionStart hook groups that fire on startup (the only visible ones)

    def listed(self) -> list[str]:
        """Every component as `<kind> <name>`, in a stable order."""
        return ([f"command {c}" for c in self.commands] + [f"skill {s}" for s in self.skills]
                + [f"agent {a}" for a in self.agents] + [f"MCP server {m}" for m in self.mcp_servers]
                + (["hook SessionStart"] if self.startup_hooks else []))


@dataclass(frozen=True)
class PurityResult:
    """The verdict on one trial: ok, or contaminated with the components named."""

    ok: bool
    reason: str | None
    expected_plugin: str | None
    loaded: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()
    checked: tuple[str, ...] = field(default=(), repr=False)

    def to_json(self) -> dict[str, Any]:
        """The record's `purity` (`expected_plugin`, `loaded`, `ok`, `reason` as before, plus the lists)."""
        return {"expected_plugin": self.expected_plugin, "loaded": list(self.loaded), "ok": self.ok,
                "reason": self.reason, "missing": list(self.missing), "unexpected": list(self.unexpected),
                "checked": list(self.checked)}


def read_components(folder: str | Path, name: str | None = None) -> PluginComponents:
    """The components in a plugin folder (default folders, plus `commands`/`agents`/`skills`/`mcpServers`
    paths its manifest adds); `name` defaults to the manifest's."""
    folder = Path(folder)
    manifest = _json(folder / ".claude-plugin" / "plugin.json")
    name = name or str(manifest.get("name") or folder.name)
    commands = [f"{name}:{c}" for base in _dirs(folder, manifest, "commands") for c in _commands(base)]
    skills = [f"{name}:{s}" for base in _dirs(folder, manifest, "skills") for s in _skills(base)]
    agents = [f"{name}:{a}" for base in _dirs(folder, manifest, "agents") for a in _agents(base)]
    servers = [f"plugin:{name}:{s}" for s in _mcp_servers(folder, manifest)]
    hooks = _startup_hooks(_json(folder / "hooks" / "hooks.json"))
    return PluginComponents(name, *(tuple(sorted(set(x))) for x in (commands, skills, agents, servers)), hooks)


def check_purity(events: Iterable[dict[str, Any]], expected: PluginComponents | None,
                 tested: Sequence[str]) -> PurityResult:
    """Check a trial's stream events: `expected` is its arm's plugin (read_components of the arm's plugin
    folder; None: the baseline), `tested` the names of every plugin under test in the run (the arm's own
    included or not: anything in another one's namespace is contaminating)."""
    events = list(events)
    inits = [e for e in events if e.get("type") == "system" and e.get("subtype") == "init"]
    loaded = _union(str(p.get("name")) for i in inits for p in i.get("plugins") or []
                    if isinstance(p, dict) and p.get("name"))
    if not inits:
        return PurityResult(False, "no init event: cannot tell what the trial loaded",
                            expected.name if expected else None, tuple(loaded))
    missing = _missing(expected, inits, events, loaded) if expected else []
    others = [name for name in tested if expected is None or name != expected.name]
    unexpected = [item for name in others for item in _shown(name, inits, loaded)]
    reason = _reason(expected, missing, unexpected)
    return PurityResult(reason is None, reason, expected.name if expected else None, tuple(loaded),
                        tuple(missing), tuple(unexpected), tuple(expected.listed()) if expected else ())


def _missing(plugin: PluginComponents, inits: list[dict[str, Any]], events: list[dict[str, Any]],
             loaded: list[str]) -> list[str]:
    if plugin.name not in loaded:
        return [f"plugin {plugin.name}"]
    listed = {kind: set(_union(str(x) for i in inits for x in i.get(key) or [])) for kind, key in KIND_FIELDS}
    listed["skill"] |= listed["command"]  # a skill is listed among slash commands too
    out = [f"command {c}" for c in plugin.commands if c not in listed["command"]]
    out += [f"skill {s}" for s in plugin.skills if s not in listed["skill"]]
    out += [f"agent {a}" for a in plugin.agents if a not in listed["agent"]]
    status = _mcp_status(inits)
    for server in plugin.mcp_servers:
        if status.get(server) != "connected":
            out.append(f"MCP server {server} ({status[server] if server in status else 'not listed'})")
    started = any(e.get("type") == "system" and e.get("subtype") == "hook_started"
                  and e.get("hook_event") == "SessionStart" for e in events)
    if plugin.startup_hooks and not started:
        out.append("hook SessionStart (no SessionStart hook ran)")
    return out


def _shown(plugin: str, inits: list[dict[str, Any]], loaded: list[str]) -> list[str]:
    """Whatever of the plugin named `plugin` the trial shows: the plugin itself and anything in its namespace."""
    out = [f"plugin {plugin}"] if plugin in loaded else []
    prefix = plugin + ":"
    for kind, key in KIND_FIELDS:
        out += [f"{kind} {x}" for x in _union(str(x) for i in inits for x in i.get(key) or [])
                if x.startswith(prefix) and not (kind == "command" and x in _skill_names(inits))]
    out += [f"MCP server {name} ({status})" for name, status in _mcp_status(inits).items()
            if name.startswith(f"plugin:{prefix}")]
    return out


def _reason(expected: PluginComponents | None, missing: list[str], unexpected: list[str]) -> str | None:
    parts = []
    if missing and expected is not None:
        parts.append(f"the treatment did not load {', '.join(missing)} of plugin {expected.name!r}")
    if unexpected:
        arm = f"the {expected.name!r} arm" if expected else "the baseline"
        parts.append(f"{arm} loaded {', '.join(unexpected)} of a plugin under test it must not")
    return "; ".join(parts) or None


def _mcp_status(inits: list[dict[str, Any]]) -> dict[str, str]:
    """Server name -> status; `connected` in any init wins."""
    out: dict[str, str] = {}
    for server in (s for i in inits for s in i.get("mcp_servers") or [] if isinstance(s, dict)):
        name, status = str(server.get("name")), str(server.get("status"))
        if out.get(name) != "connected":
            out[name] = status
    return out


def _skill_names(inits: list[dict[str, Any]]) -> set[str]:
    return {str(s) for i in inits for s in i.get("skills") or []}


def _dirs(folder: Path, manifest: dict[str, Any], kind: str) -> list[Path]:
    """The default folder of a kind plus the paths the manifest adds (a string or a list of strings)."""
    extra = manifest.get(kind)
    extra = [extra] if isinstance(extra, str) else [e for e in extra if isinstance(e, str)] \
        if isinstance(extra, list) else []
    return [folder / kind] + [(folder / e).resolve() for e in extra]


def _commands(base: Path) -> list[str]:
    if base.is_file():
        return [base.stem] if base.suffix == ".md" else []
    return [":".join(p.relative_to(base).with_suffix("").parts) for p in base.rglob("*.md")] \
        if base.is_dir() else []


def _skills(base: Path) -> list[str]:
    if (base / "SKILL.md").is_file():
        return [base.name]
    return [p.parent.name for p in base.glob("*/SKILL.md")] if base.is_dir() else []


def _agents(base: Path) -> list[str]:
    files = [base] if base.is_file() else sorted(base.glob("*.md")) if base.is_dir() else []
    return [_frontmatter_name(p) or p.stem for p in files if p.suffix == ".md"]


def _frontmatter_name(path: Path) -> str | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    head = re.match(r"---\s*\n(.*?)\n---", text, re.S)
    found = re.search(r"^name:\s*(.+?)\s*$", head.group(1), re.M) if head else None
    return found.group(1).strip("'\"") if found else None


def _mcp_servers(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Server names of `.mcp.json` and of the manifest's `mcpServers` (inline, or a path to such a file)."""
    names = list(_json(folder / ".mcp.json").get("mcpServers") or {})
    inline = manifest.get("mcpServers")
    if isinstance(inline, str):
        inline = _json(folder / inline).get("mcpServers")
    if isinstance(inline, dict):
        names += list(inline)
    return [str(n) for n in names]


def _startup_hooks(hooks: dict[str, Any]) -> int:
    """SessionStart hook groups whose matcher fires on startup (none, `*`, or a regex matching `startup`)."""
    groups = (hooks.get("hooks") or {}).get("SessionStart") or []
    count = 0
    for group in groups if isinstance(groups, list) else []:
        matcher = group.get("matcher") if isinstance(group, dict) else None
        try:
            fires = not matcher or matcher == "*" or re.search(str(matcher), STARTUP) is not None
        except re.error:
            fires = False
        count += bool(fires and group.get("hooks"))
    return count


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _union(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)
