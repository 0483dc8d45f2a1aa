"""`skill run CONFIG --arms ARMS.yml`: an arms file's arms as the arms of a skill iteration.

The arms file's baseline arm loads only what the file gives it; every other arm is a treatment: its own
configuration plus the skill under test (the iteration's skill snapshot wrapped as plugin `<skill_name>`,
exactly as the default `with_skill` arm). Arm names become the run-folder names. The first treatment is the
one benchmark.json's `with_skill` block, the gate and skill-creator's files describe; `arms` lists them all.
The iteration's `_run/run.json` keeps the arms file's own definitions (`skill_arms`), so `--resume` runs the
arms the iteration started with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.planning.arms_file import ArmsFile
from popkit_bench.planning.plugin_info import plugin_digest
from popkit_bench.skill.config import BenchmarkConfig
from popkit_bench.skill.layout import RUN_FOLDER
from popkit_bench.skill.wrap import wrap_skill

SKILL_ARMS_KEY = "skill_arms"  # run.json key


@dataclass(frozen=True)
class SkillArms:
    """The arms of an iteration run with an arms file: `arms` as run (treatments with the skill added)."""

    source: ArmsFile  # the arms file's own definitions
    arms: tuple[ArmDefinition, ...]
    skill_name: str

    @property
    def baseline(self) -> str:
        return self.source.baseline

    @property
    def treatments(self) -> list[str]:
        """Every arm but the baseline, in the file's order (the first one is gated)."""
        return [a.name for a in self.arms if a.name != self.baseline]

    def descriptions(self) -> dict[str, str]:
        """What each arm adds (ArmDefinition.describe()); a treatment names the skill under test first."""
        out = {}
        for arm in self.source.arms:
            own = arm.describe()
            if arm.name == self.baseline:
                out[arm.name] = own
            else:
                out[arm.name] = f"skill {self.skill_name} (under test)" + ("" if own == "nothing added" else
                                                                           f" + {own}")
        return out

    def to_json(self) -> dict[str, Any]:
        """run.json `skill_arms`: what aggregation reads (baseline, treatments, descriptions) and what a
        resume re-creates the arms from (`definitions`: the arms file's arms)."""
        return {
            "arms_file": str(self.source.path) if self.source.path else None,
            "baseline": self.baseline, "treatments": self.treatments, "descriptions": self.descriptions(),
            "definitions": [a.to_json() for a in self.source.arms],
        }


def check_arms_file(cfg: BenchmarkConfig, arms: ArmsFile) -> None:
    """InputError for what an arms file cannot be combined with: `baseline_type: previous`, an arm loading a
    plugin named like the skill under test's plugin (its purity could not be told apart)."""
    if cfg.baseline_type == "previous":
        raise InputError("baseline_type 'previous' cannot be combined with --arms", file=cfg.path,
                         field="baseline_type",
                         expected="no baseline_type (or no_skill) and the previous version as an arm of the arms "
                                  "file, e.g. `- name: previous` with `skills: [path/to/old-skill]`")
    if len(arms.arms) < 2:
        raise InputError("an arms file for `skill run` needs a treatment arm besides the baseline", file=arms.path,
                         field="arms", expected="e.g. `- name: none` (the baseline) and `- name: skill` (gets the "
                                                "skill under test)")
    for index, arm in enumerate(arms.arms):
        if cfg.skill_name in arm.loaded_plugin_names():
            kind = "skills" if arm.skills_plugin == cfg.skill_name else "plugin_dirs"
            raise InputError(f"arm {arm.name!r} loads a plugin named {cfg.skill_name!r}, the name of the skill under "
                             "test's plugin", file=arms.path, field=f"arms[{index}].{kind}",
                             expected=f"no plugin named {cfg.skill_name!r} (treatment arms get the skill under test "
                                      "added; rename the arm or the plugin)")


def skill_arms(cfg: BenchmarkConfig, arms: ArmsFile, iteration: Path, snapshot: Path) -> SkillArms:
    """The iteration's arms: the baseline as given; each treatment with the wrapped skill snapshot added as its
    first plugin (so the purity check reads the skill's components), in `_run/plugins/<arm>/`."""
    check_arms_file(cfg, arms)
    plugins = iteration / RUN_FOLDER / "plugins"
    out = []
    for arm in arms.arms:
        if arm.name == arms.baseline:
            out.append(arm)
            continue
        wrapped = wrap_skill(snapshot, cfg.skill_name, cfg.skill_name, plugins / arm.name)
        digests = dict(arm.digests)
        digests["plugin_dirs"] = [plugin_digest(wrapped), *(digests.get("plugin_dirs") or [])]
        out.append(replace(arm, plugin_dirs=(wrapped, *arm.plugin_dirs),
                           plugin_names=(cfg.skill_name, *arm.plugin_names), digests=digests))
    return SkillArms(arms, tuple(out), cfg.skill_name)


def stored_arms(info: dict[str, Any] | None) -> ArmsFile | None:
    """The arms file an iteration started with, from its run.json (None: started without --arms)."""
    stored = (info or {}).get(SKILL_ARMS_KEY)
    if not isinstance(stored, dict):
        return None
    arms = tuple(ArmDefinition.from_json(a) for a in stored.get("definitions") or [])
    path = stored.get("arms_file")
    return ArmsFile(arms, str(stored.get("baseline") or arms[0].name), Path(path) if path else None)


def choose_arms(requested: ArmsFile | None, info: dict[str, Any] | None, run_json: Path) -> ArmsFile | None:
    """The arms of an iteration: the stored ones of a started iteration (a different --arms is refused),
    else the requested ones. info: the iteration's run.json (None: not started)."""
    if not info or not info.get("plan"):
        return requested
    stored = stored_arms(info)
    if requested is None:
        return stored
    if stored is None:
        raise InputError("this iteration was started without --arms", file=run_json,
                         expected="the same command without --arms, or a new iteration (no --iteration/--resume)")
    if _definitions(stored) != _definitions(requested) or stored.baseline != requested.baseline:
        changed = sorted({a.name for a in stored.arms} ^ {a.name for a in requested.arms}
                         | {a.name for a in requested.arms if a.name in stored.names()
                            and _plain(a) != _plain(stored.arm(a.name))})
        raise InputError(f"this iteration was started with other arms ({stored.path or 'stored arms'}; "
                         f"differs in: {', '.join(changed) or 'baseline'})", file=run_json,
                         expected="--resume without --arms (it uses the iteration's arms), the same arms file, "
                                  "or a new iteration")
    return stored


def _plain(arm: ArmDefinition) -> str:
    return json.dumps(arm.to_json(), sort_keys=True)


def _definitions(arms: ArmsFile) -> list[str]:
    return [_plain(a) for a in arms.arms]


@dataclass(frozen=True)
class ArmRoles:
    """Which run folders of an iteration are the baseline and the treatments (first one gated)."""

    baseline: str
    treatments: tuple[str, ...]
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def gated(self) -> str:
        return self.treatments[0]


def read_roles(iteration: Path) -> ArmRoles | None:
    """The arm roles of an iteration run with --arms (from `_run/run.json`); None for the default arms."""
    try:
        info = json.loads((iteration / RUN_FOLDER / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stored = info.get(SKILL_ARMS_KEY) if isinstance(info, dict) else None
    if not isinstance(stored, dict) or not stored.get("treatments") or not stored.get("baseline"):
        return None
    return ArmRoles(str(stored["baseline"]), tuple(str(t) for t in stored["treatments"]),
                    {str(k): str(v) for k, v in (stored.get("descriptions") or {}).items()})
