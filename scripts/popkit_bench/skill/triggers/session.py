"""Run ONE query session: a fresh working folder and config dir, the real CLI, the parsed recordings.

`run_query_session` is the unit a scheduler can run: it takes plain data (SessionSpec) and returns the
parsed stream-json and transcript (subagents included). Nothing here knows about other sessions.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from popkit_bench.agent.claude import AgentRequest, run_claude
from popkit_bench.agent.isolation import make_config_dir, remove_config_dir
from popkit_bench.skill.triggers.config import SkillFolder
from popkit_bench.skill.triggers.install import place_project_skills
from popkit_shared.recording import Session, find_transcript, load_stream_json, load_transcript


@dataclass(frozen=True)
class SessionSpec:
    """One session: the query as the prompt, what to load, where to write its recordings."""

    key: str  # unique within the run, e.g. "skill/q01/run-1": config dir and scripted-model routing key
    prompt: str
    out_dir: Path
    run_id: str
    timeout_s: float
    plugin_dirs: tuple[Path, ...] = ()
    project_skills: tuple[SkillFolder, ...] = ()
    model: str | None = None
    max_turns: int | None = None  # None: the session runs to its end
    base_url: str | None = None  # the scripted model's URL for this key (None: the real API)


@dataclass
class SessionResult:
    """How the session ended and what it recorded (None when a recording is missing)."""

    key: str
    session_id: str
    exit_code: int | None
    timed_out: bool
    wall_s: float
    stream: Session | None
    transcript: Session | None
    harness_error: str | None = None
    notes: list[str] = field(default_factory=list)


def run_query_session(binary: Path, spec: SessionSpec) -> SessionResult:
    """Run the query once in an isolated session; never raises for a failed session (harness_error says why)."""
    session_id = str(uuid.uuid4())
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    cwd = Path(tempfile.mkdtemp(prefix="popkit-trigger-"))
    config_dir = make_config_dir(spec.run_id, spec.key.replace("/", "-"))
    try:
        place_project_skills(spec.project_skills, cwd)
        request = AgentRequest(
            prompt=spec.prompt, cwd=cwd, session_id=session_id, config_dir=config_dir,
            stream_path=spec.out_dir / "stream.jsonl", stderr_path=spec.out_dir / "stderr.txt",
            timeout_s=spec.timeout_s, plugin_dirs=list(spec.plugin_dirs), model=spec.model, base_url=spec.base_url,
            max_turns=spec.max_turns,
            setting_sources="project" if spec.project_skills else "",
        )
        outcome = run_claude(binary, request)
        transcript = _keep_transcript(config_dir, session_id, spec.out_dir / "transcript")
        stream_path = spec.out_dir / "stream.jsonl"
        stream = load_stream_json(stream_path) if stream_path.is_file() and stream_path.stat().st_size else None
        return SessionResult(spec.key, session_id, outcome.exit_code, outcome.timed_out, outcome.wall_s, stream,
                             transcript)
    except Exception as exc:  # one broken session must not stop the others: it is recorded and excluded
        return SessionResult(spec.key, session_id, None, False, 0.0, None, None,
                             harness_error=f"{exc.__class__.__name__}: {exc}")
    finally:
        remove_config_dir(config_dir)
        shutil.rmtree(cwd, ignore_errors=True)


def _keep_transcript(config_dir: Path, session_id: str, target: Path) -> Session | None:
    """Copy the transcript (and its subagents folder) out of the config dir; parse the copy."""
    found = find_transcript(config_dir, session_id)
    if found is None:
        return None
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(found, target / found.name)
    sub = found.with_suffix("")
    if sub.is_dir():
        shutil.copytree(sub, target / sub.name, dirs_exist_ok=True)
    return load_transcript(target / found.name)
