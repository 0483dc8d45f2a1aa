"""Purity per arm: what the init event says was loaded against what the arm must and must not load.

Checked: plugins (the arm's own, and none of another arm's), skills (`<plugin>:<skill>` of its skills
plugin), MCP servers (its mcp_config's servers connected or at least not failed, no other arm's), the model
and the Claude Code version. The result keeps the old purity keys (`expected_plugin`, `loaded`, `ok`,
`reason`) and lists every check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from popkit_bench.planning.arm_definition import ArmDefinition

MODEL_FAMILIES = ("opus", "sonnet", "haiku")


@dataclass
class Loaded:
    """What a session's init event reports."""

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


def model_family(model: str | None) -> str | None:
    """'opus' for 'claude-opus-4-1' or 'opus'; None for a name without a known family."""
    for family in MODEL_FAMILIES:
        if model and re.search(rf"(^|-){family}(-|$)", model):
            return family
    return None


def model_check(requested: str | None, reported: str | None) -> dict[str, Any]:
    """The model asked for against the init's: equal, or the CLI resolved an alias / older name within the
    same family (e.g. `opus` -> `claude-opus-5-5`; noted). No model asked: nothing to check."""
    if requested is None:
        return {"what": "model", "expected": None, "found": reported, "ok": True}
    same = reported == requested
    resolved = not same and reported is not None and model_family(requested) == model_family(reported) \
        and model_family(requested) is not None
    check = {"what": "model", "expected": requested, "found": reported, "ok": same or resolved}
    if resolved:
        check["note"] = f"Claude Code resolved {requested!r} to {reported!r}"
    return check


def _presence(what: str, must: Sequence[str], must_not: Sequence[str], found: Sequence[str]) -> list[dict]:
    missing = [n for n in must if n not in found]
    intruders = sorted({n for n in must_not if n in found and n not in must})
    return [{"what": what, "expected": list(must), "missing": missing, "found_forbidden": intruders,
             "ok": not missing and not intruders}]


def arm_purity(arm: ArmDefinition, loaded: Loaded, *, others: Sequence[ArmDefinition] = (),
               model: str | None = None, cli_version: str | None = None) -> dict[str, Any]:
    """The purity verdict of one trial of `arm`; `others`: the run's other arms; `model`: the model asked
    for (the arm's, else the run's); `cli_version`: the version the arm's binary reported before the run."""
    other_plugins = [n for o in others for n in o.loaded_plugin_names()]
    other_skills = [n for o in others for n in o.skill_names()]
    other_servers = [n for o in others for n in o.mcp_server_names()]
    server_names = [str(s.get("name")) for s in loaded.mcp_servers]
    failed = [str(s.get("name")) for s in loaded.mcp_servers if s.get("status") == "failed"]
    checks = _presence("plugins", arm.loaded_plugin_names(), other_plugins, loaded.plugins)
    checks += _presence("skills", arm.skill_names(), other_skills, loaded.skills)
    checks += _presence("mcp_servers", arm.mcp_server_names(), other_servers, server_names)
    own_failed = [n for n in arm.mcp_server_names() if n in failed]
    if own_failed:
        checks[-1].update(ok=False, failed=own_failed)
    checks.append(model_check(model or arm.model, loaded.model))
    if cli_version is not None:
        checks.append({"what": "claude_code_version", "expected": cli_version,
                       "found": loaded.claude_code_version, "ok": loaded.claude_code_version == cli_version})
    bad = [c for c in checks if not c["ok"]]
    return {"expected_plugin": arm.plugin_name, "loaded": loaded.plugins, "ok": not bad,
            "reason": "; ".join(_reason(arm.name, c) for c in bad) or None, "checks": checks}


def _reason(arm: str, check: dict[str, Any]) -> str:
    what = check["what"]
    if what in ("model", "claude_code_version"):
        return f"arm {arm!r} asked for {what} {check['expected']!r} but ran {check['found']!r}"
    parts = []
    if check.get("found_forbidden"):
        parts.append(f"loaded {what} it must not: {', '.join(check['found_forbidden'])}")
    if check.get("missing"):
        parts.append(f"did not load its {what}: {', '.join(check['missing'])}")
    if check.get("failed"):
        parts.append(f"its MCP server(s) failed to start: {', '.join(check['failed'])}")
    return f"arm {arm!r} " + "; ".join(parts)
