"""Install the skill (and its rivals) for the sessions: each wrapped as a plugin, optionally also as project skills.

A description variant (`skill`, or `compare` for --compare) installs one version of the skill under the
config's skill name, so Claude Code lists it as `<name>:<name>` (and `<name>` as a project skill) whichever
folder it came from. Rivals are installed beside it, the same way, in every variant.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from popkit_bench.skill.triggers.config import SkillFolder, TriggerConfig, skill_description
from popkit_bench.skill.wrap import IGNORED, wrap_skill
from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.git import commit_folder, git


@dataclass(frozen=True)
class Installation:
    """What one description variant loads: plugin folders and project skills ({name: folder})."""

    label: str
    skill_name: str
    source: Path
    description: str | None
    plugin_dirs: tuple[Path, ...]
    project_skills: tuple[SkillFolder, ...] = ()
    rival_names: tuple[str, ...] = ()


def install(cfg: TriggerConfig, label: str, source: Path, root: Path) -> Installation:
    """Wrap `source` (a version of the skill) and every rival into plugins under `<root>/<label>/`.

    A plugin already wrapped there is kept: a resumed run goes on with the skills it started with. Project
    skills and the recorded description come from the wrapped copies too.
    """
    target = root / label
    name = cfg.skill.name
    skills = [SkillFolder(name, _wrapped(source, name, target / name))]
    skills += [SkillFolder(r.name, _wrapped(r.path, r.name, target / "rivals" / r.name)) for r in cfg.rivals]
    copies = tuple(SkillFolder(s.name, s.path / "skills" / s.name) for s in skills)
    return Installation(label=label, skill_name=name, source=source, description=skill_description(copies[0].path),
                        plugin_dirs=tuple(s.path for s in skills), project_skills=copies if cfg.project_skill else (),
                        rival_names=tuple(r.name for r in cfg.rivals))


def _wrapped(source: Path, name: str, target: Path) -> Path:
    if not (target / ".claude-plugin" / "plugin.json").is_file():
        wrap_skill(source, name, name, target)
    return target


def place_project_skills(skills: tuple[SkillFolder, ...], folder: Path) -> None:
    """Copy each skill to `<folder>/.claude/skills/<name>/` (sessions then need `--setting-sources project`)."""
    for skill in skills:
        shutil.copytree(skill.path, folder / ".claude" / "skills" / skill.name, ignore=IGNORED)


def variant_codebase(inst: Installation, root: Path) -> Codebase:
    """The git repo the variant's sessions get worktrees of: empty, or holding its project skills under
    `.claude/skills/` (kept when it exists, so a resumed run starts from the same commit)."""
    repo = root / inst.label
    if not (repo / ".git").exists():
        if repo.exists():
            shutil.rmtree(repo)
        repo.mkdir(parents=True)
        place_project_skills(inst.project_skills, repo)
        commit_folder(repo, f"working folder of the {inst.label} sessions", allow_empty=True)
    return Codebase(repo, git("rev-parse", "HEAD", cwd=repo).strip(), "main", f"skill-triggers:{inst.label}")
