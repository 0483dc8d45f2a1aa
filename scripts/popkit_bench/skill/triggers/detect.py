"""Did the session use the skill? The Skill tool called with it anywhere (main loop or subagents), or its slash
command; read from the whole stream-json and the whole transcript, never stopping at another tool call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from popkit_bench.skill.triggers.session import SessionResult
from popkit_shared.recording import Session

SKILL_TOOL = "Skill"
COUNTED, EXCLUDED = "counted", "excluded"


@dataclass(frozen=True)
class Observation:
    """One session's outcome: triggered or not (when counted), how, and which rival skills fired."""

    triggered: bool
    status: str  # "counted" | "excluded"
    reason: str | None = None  # why excluded
    via: tuple[str, ...] = ()  # "skill_tool", "subagent_skill_tool", "slash_command"
    rivals: tuple[str, ...] = ()  # rival skills the session called
    other_skills: tuple[str, ...] = ()  # any other skill the session called
    cost_usd: float | None = None  # Claude Code's own total_cost_usd
    wall_s: float | None = None
    session_id: str | None = None
    session_dir: str | None = None  # its recordings, relative to the output folder

    def to_json(self) -> dict[str, Any]:
        return {"triggered": self.triggered if self.status == COUNTED else None, "status": self.status,
                "reason": self.reason, "via": list(self.via), "rivals": list(self.rivals),
                "other_skills": list(self.other_skills), "cost_usd": self.cost_usd, "wall_s": self.wall_s,
                "session_id": self.session_id, "session_dir": self.session_dir}


def skill_id(raw: Any) -> str:
    """A Skill input or a slash command without slash and arguments: `/plugin:name args` -> `plugin:name`."""
    text = str(raw or "").strip().lstrip("/")
    return text.split()[0] if text else ""


def installed_as(full: str, names: tuple[str, ...]) -> str | None:
    """Which of `names` the id is, as installed here: the plugin skill `<name>:<name>` or the project skill."""
    for name in names:
        if full in (name, f"{name}:{name}"):
            return name
    return None


def skill_calls(session: Session | None) -> list[tuple[str, bool]]:
    """(skill name, in a subagent) for every Skill tool call of a recording."""
    if session is None:
        return []
    return [(skill_id(call.input.get("skill")), bool(call.is_sidechain or call.agent_id))
            for call in session.tool_calls if call.name == SKILL_TOOL and isinstance(call.input, dict)]


def observe(result: SessionResult, skill: str, rivals: tuple[str, ...]) -> Observation:
    """The observation of one finished session for `skill` among `rivals`."""
    calls = skill_calls(result.stream) + skill_calls(result.transcript)
    commands = [skill_id(c) for c in (result.transcript.commands_invoked if result.transcript else [])]
    mine = (skill,)
    via = []
    if any(installed_as(name, mine) and not sub for name, sub in calls):
        via.append("skill_tool")
    if any(installed_as(name, mine) and sub for name, sub in calls):
        via.append("subagent_skill_tool")
    if any(installed_as(name, mine) for name in commands):
        via.append("slash_command")
    called = list(dict.fromkeys([name for name, _ in calls] + commands))
    rival_hits = tuple(dict.fromkeys(r for r in (installed_as(n, rivals) for n in called) if r))
    others = tuple(n for n in called if not installed_as(n, mine) and not installed_as(n, rivals))
    cost = result.stream.result.total_cost_usd if result.stream and result.stream.result else None
    common = {"via": tuple(via), "rivals": rival_hits, "other_skills": others, "cost_usd": cost,
              "wall_s": round(result.wall_s, 3), "session_id": result.session_id}
    if via:
        return Observation(True, COUNTED, **common)
    reason = exclusion(result)
    return Observation(False, EXCLUDED if reason else COUNTED, reason, **common)


def exclusion(result: SessionResult) -> str | None:
    """Why a session without a trigger says nothing about triggering (None: it counts as 'not triggered')."""
    if result.harness_error:
        return f"harness error: {result.harness_error}"
    if result.timed_out:
        return "timed out before any trigger"
    final = result.stream.result if result.stream else None
    if final is None:
        return f"no result event (exit code {result.exit_code})"
    if final.is_error and final.subtype != "error_max_turns":
        return f"session ended with an error ({final.terminal_reason or final.subtype})"
    return None
