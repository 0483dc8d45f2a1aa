"""The triggers config: the skill-forge benchmark config file, of which `skill triggers` reads a few keys.

Keys read here: `skill_name`, `skill_path`, `rival_skills` (folders, each holding a SKILL.md), `trigger_play`
(the scripted model's play for --rehearsal), `project_skill` (also install the skill and the rivals under
the session's `.claude/skills/`), `parallel`, `timeout_seconds`, `model`. The other skill-forge keys are
allowed (the same file serves `skill run`) and ignored here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from popkit_bench.errors import InputError
from popkit_bench.skill.config import EXTRA_KEYS, SEED_KEYS, SKILL_NAME_RE
from popkit_bench.skill.jsonio import line_of, read_json

DEFAULT_TIMEOUT_S = 300.0  # per session: generous, a model may explore before it picks a skill
DEFAULT_PARALLEL = 4
_FRONTMATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.S)


@dataclass(frozen=True)
class SkillFolder:
    """A skill folder and the name it is installed under."""

    name: str
    path: Path


@dataclass(frozen=True)
class TriggerConfig:
    """What `skill triggers` needs from the config (paths absolute)."""

    skill: SkillFolder
    rivals: tuple[SkillFolder, ...] = ()
    trigger_play: Path | None = None
    project_skill: bool = False
    parallel: int = DEFAULT_PARALLEL
    timeout_seconds: float = DEFAULT_TIMEOUT_S
    model: str | None = None
    path: Path | None = None


def skill_frontmatter(folder: Path) -> dict[str, Any]:
    """The YAML frontmatter of `<folder>/SKILL.md` (InputError when the file is missing or the YAML is bad)."""
    skill_md = folder / "SKILL.md"
    if not skill_md.is_file():
        raise InputError("not a skill folder", file=folder, expected="a folder with SKILL.md")
    match = _FRONTMATTER.match(skill_md.read_text(encoding="utf-8", errors="replace"))
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise InputError(f"bad YAML frontmatter: {exc}", file=skill_md, line=2) from None
    return data if isinstance(data, dict) else {}


def skill_description(folder: Path) -> str | None:
    """The `description` of a skill folder's SKILL.md frontmatter, or None."""
    value = skill_frontmatter(folder).get("description")
    return str(value).strip() if value is not None else None


def load_trigger_config(path: str | Path) -> TriggerConfig:
    """Read and validate the keys `skill triggers` uses (InputError naming file, field, line, expected)."""
    path = Path(path).resolve()
    data, text = read_json(path)
    return parse_trigger_config(data, text, path)


def parse_trigger_config(data: Any, text: str, path: Path) -> TriggerConfig:
    """Validate a decoded config; relative paths resolve against the config's folder."""
    def fail(name: str | None, message: str, expected: str | None = None) -> InputError:
        line = line_of(text, name.split(".")[0].split("[")[0]) if name else None
        return InputError(message, file=path, field=name, line=line, expected=expected)

    if not isinstance(data, dict):
        raise fail(None, "a config must be a JSON object", "keys such as skill_name, skill_path")
    unknown = sorted(set(data) - set(SEED_KEYS) - set(EXTRA_KEYS))
    if unknown:
        raise fail(unknown[0], "unknown key", "one of " + ", ".join(SEED_KEYS + EXTRA_KEYS))
    name = data.get("skill_name")
    if not isinstance(name, str) or not SKILL_NAME_RE.match(name):
        raise fail("skill_name", f"missing or invalid skill name {name!r}", "lowercase letters, digits, '.', '_', '-'")
    base = path.parent
    skill = SkillFolder(name, _skill_dir(data.get("skill_path"), "skill_path", base, fail))
    rivals_raw = data.get("rival_skills") or []
    if not isinstance(rivals_raw, list):
        raise fail("rival_skills", "must be a list of folders", "[\"./rivals/other-skill\", ...]")
    rivals = tuple(_rival(item, f"rival_skills[{i}]", base, fail) for i, item in enumerate(rivals_raw))
    names = [name] + [r.name for r in rivals]
    if len(set(names)) != len(names):
        raise fail("rival_skills", "two skills share a name", "rival skills named unlike each other and the skill")
    return TriggerConfig(
        skill=skill, rivals=rivals, trigger_play=_play(data.get("trigger_play"), base, fail),
        project_skill=_flag(data.get("project_skill", False), "project_skill", fail),
        parallel=_positive(data.get("parallel", DEFAULT_PARALLEL), "parallel", fail, whole=True),
        timeout_seconds=_positive(data.get("timeout_seconds") or DEFAULT_TIMEOUT_S, "timeout_seconds", fail),
        model=data.get("model") if isinstance(data.get("model"), str) and data.get("model") else None, path=path,
    )


def _skill_dir(value: Any, key: str, base: Path, fail: Any) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise fail(key, "missing or empty folder path", "a skill folder (relative to the config file)")
    folder = (base / Path(value).expanduser()).resolve()
    if not (folder / "SKILL.md").is_file():
        raise fail(key, f"{value!r} is not a folder with SKILL.md", "a skill folder with SKILL.md")
    return folder


def _rival(value: Any, key: str, base: Path, fail: Any) -> SkillFolder:
    folder = _skill_dir(value, key, base, fail)
    name = skill_frontmatter(folder).get("name") or folder.name
    if not isinstance(name, str) or not SKILL_NAME_RE.match(name):
        raise fail(key, f"the rival's name {name!r} is not a valid skill name", "lowercase letters, digits, '.', '_', '-'")
    return SkillFolder(name, folder)


def _play(value: Any, base: Path, fail: Any) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not (base / value).is_file():
        raise fail("trigger_play", f"file {value!r} not found", "a play file (.play.yml) for --rehearsal")
    return (base / value).resolve()


def _flag(value: Any, key: str, fail: Any) -> bool:
    if not isinstance(value, bool):
        raise fail(key, f"must be true or false, got {value!r}", "true or false")
    return value


def _positive(value: Any, key: str, fail: Any, whole: bool = False) -> Any:
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        raise fail(key, f"must be a positive {'whole ' if whole else ''}number, got {value!r}", "e.g. 4")
    return value
