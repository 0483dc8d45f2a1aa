"""Purity per arm: what the init event says was loaded against what the arm must and must not load.

Checked: plugins (the arm's own, and none of another arm's), skills (`<plugin>:<skill>` of its skills
plugin), MCP servers (its mcp_config's servers listed and not failed, no other arm's), the model and the
Claude Code version. The typed result keeps the old purity fields (`expected_plugin`, `loaded`, `missing`,
`unexpected`, `ok`, `reason`) and lists every check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.record.trial_record import Purity, PurityCheck

MODEL_FAMILIES = ("opus", "sonnet", "haiku")


@dataclass
class Loaded:
    """What a session's init event(s) report."""

    plugins: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    mcp_servers: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    claude_code_version: str | None = None

    @classmethod
    def from_session(cls, session: Any) -> Loaded:
        """From a popkit_shared Session (stream-json): every init's plugins, skills and MCP servers."""
        servers: dict[str, dict[str, Any]] = {}
        for init in session.inits:
            for server in getattr(init, "mcp_servers", []) or []:
                servers.setdefault(str(server.get("name")), server)
        return cls(sorted(session.plugin_names()), list(session.skills()), list(servers.values()),
                   session.model, session.claude_code_version)


@dataclass(frozen=True)
class Forbidden:
    """What the run's other arms load: this arm must not."""

    plugins: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    mcp_servers: tuple[str, ...] = ()

    @classmethod
    def of(cls, others: Sequence[ArmDefinition]) -> Forbidden:
        return cls(tuple(n for o in others for n in o.loaded_plugin_names()),
                   tuple(n for o in others for n in o.skill_names()),
                   tuple(n for o in others for n in o.mcp_server_names()))


def model_family(model: str | None) -> str | None:
    """'opus' for 'claude-opus-4-1' or 'opus'; None for a name without a known family."""
    for family in MODEL_FAMILIES:
        if model and re.search(rf"(?<![a-z]){family}(?![a-z])", model.lower()):
            return family
    return None


def model_check(requested: str | None, reported: str | None) -> PurityCheck:
    """The model asked for against the init's: equal, or the CLI resolved an alias / older name within the
    same family (e.g. `opus` -> `claude-opus-5-5`; noted). No model asked: nothing to check."""
    if requested is None:
        return PurityCheck("model", True, None, reported)
    family = model_family(requested)
    resolved = reported != requested and family is not None and family == model_family(reported)
    note = f"Claude Code resolved {requested!r} to {reported!r}" if resolved else None
    return PurityCheck("model", reported == requested or resolved, requested, reported, note=note)


def presence(what: str, must: Sequence[str], must_not: Sequence[str], found: Sequence[str]) -> PurityCheck:
    """Every name of `must` found, none of `must_not` (that is not also in `must`)."""
    missing = [n for n in must if n not in found]
    unexpected = sorted({n for n in must_not if n in found and n not in must})
    return PurityCheck(what, not missing and not unexpected, list(must), missing=missing, unexpected=unexpected)


def arm_purity(arm: ArmDefinition, loaded: Loaded, forbidden: Forbidden = Forbidden(), *, model: str | None = None,
               cli_version: str | None = None) -> Purity:
    """The purity verdict of one trial of `arm`. model: the model asked for (the arm's, else the run's);
    cli_version: the version the arm's binary reported before the run (None: not checked)."""
    servers = [str(s.get("name")) for s in loaded.mcp_servers]
    checks = [presence("plugins", arm.loaded_plugin_names(), forbidden.plugins, loaded.plugins),
              presence("skills", arm.skill_names(), forbidden.skills, loaded.skills),
              presence("mcp_servers", arm.mcp_server_names(), forbidden.mcp_servers, servers)]
    failed = [str(s.get("name")) for s in loaded.mcp_servers
              if s.get("status") == "failed" and s.get("name") in arm.mcp_server_names()]
    if failed:
        checks[-1].failed, checks[-1].ok = failed, False
    checks.append(model_check(model or arm.model, loaded.model))
    if cli_version is not None:
        checks.append(PurityCheck("claude_code_version", loaded.claude_code_version == cli_version, cli_version,
                                  loaded.claude_code_version))
    bad = [c for c in checks if not c.ok]
    return Purity(ok=not bad, reason="; ".join(_reason(arm.name, c) for c in bad) or None,
                  expected_plugin=arm.plugin_name, loaded=list(loaded.plugins),
                  missing=[n for c in checks for n in c.missing], unexpected=[n for c in checks for n in c.unexpected],
                  checks=checks)


def _reason(arm: str, check: PurityCheck) -> str:
    if check.what in ("model", "claude_code_version"):
        return f"arm {arm!r} asked for {check.what} {check.expected!r} but ran {check.found!r}"
    parts = []
    if check.unexpected:
        parts.append(f"loaded {check.what} it must not: {', '.join(check.unexpected)}")
    if check.missing:
        parts.append(f"did not load its {check.what}: {', '.join(check.missing)}")
    if check.failed:
        parts.append(f"its MCP server(s) failed to start: {', '.join(check.failed)}")
    return f"arm {arm!r} " + "; ".join(parts)
