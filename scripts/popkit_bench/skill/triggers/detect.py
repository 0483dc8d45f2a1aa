"""Did the session use the skill? The Skill tool called with it anywhere (main loop or subagents), or its slash
command; read from the whole stream-json and the whole transcript, never stopping at another tool call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.record.trial_record import COMPLETED, FAILED, TIMEOUT, TrialRecord
from popkit_shared.recording import Session, find_transcript, load_stream_json, load_transcript

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
    """(skill id, in a subagent) for every Skill tool call of a recording."""
    if session is None:
        return []
    return [(skill_id(call.input.get("skill")), bool(call.is_sidechain or call.agent_id))
            for call in session.tool_calls if call.name == SKILL_TOOL and isinstance(call.input, dict)]


def observe(stream: Session | None, transcript: Session | None, skill: str, rivals: tuple[str, ...],
            not_counted: str | None = None) -> Observation:
    """The observation of one finished session; `not_counted`: why it says nothing unless it triggered."""
    calls = skill_calls(stream) + skill_calls(transcript)
    commands = [skill_id(c) for c in (transcript.commands_invoked if transcript else [])]
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
    cost = stream.result.total_cost_usd if stream and stream.result else None
    common = {"via": tuple(via), "rivals": rival_hits, "other_skills": others, "cost_usd": cost,
              "session_id": stream.session_id if stream else None}
    if via:
        return Observation(True, COUNTED, **common)
    return Observation(False, EXCLUDED if not_counted else COUNTED, not_counted, **common)


def not_counted(record: TrialRecord) -> str | None:
    """Why a session without a trigger says nothing about triggering (None: it counts as 'not triggered').

    A session that ended at its turn limit counts (the model had its turns); timeouts, harness errors, API
    errors, contamination and interrupts do not."""
    if record.status == COMPLETED:
        return None
    if record.status == FAILED and record.result_subtype == "error_max_turns":
        return None
    if record.status == TIMEOUT:
        return "timed out before any trigger"
    if record.status == FAILED:
        return f"session ended with an error ({record.terminal_reason or record.result_subtype})"
    return f"{record.status}: {record.status_reason}"


def observe_trial(trial_dir: Path, record: TrialRecord, skill: str, rivals: tuple[str, ...],
                  out_dir: Path) -> Observation:
    """Observe a trial from its folder (stream.jsonl, transcript/ with subagents) and its record."""
    stream_path = trial_dir / "stream.jsonl"
    stream = load_stream_json(stream_path) if stream_path.is_file() and stream_path.stat().st_size else None
    found = find_transcript(trial_dir / "transcript", stream.session_id) if stream and stream.session_id else None
    found = found or next(iter(sorted((trial_dir / "transcript").glob("*.jsonl"))), None)
    transcript = load_transcript(found) if found else None
    obs = observe(stream, transcript, skill, rivals, not_counted(record))
    return Observation(**{**obs.__dict__, "wall_s": record.wall_s,
                          "session_dir": str(trial_dir.relative_to(out_dir))})
