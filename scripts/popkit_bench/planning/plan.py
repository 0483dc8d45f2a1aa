"""The plan: tasks x arms x trials, in a seeded random order that interleaves the arms."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

BASELINE_ARM = "baseline"


@dataclass(frozen=True)
class Arm:
    """One configuration. Arms differ only in what they load (plugin dirs); everything else is shared."""

    name: str
    plugin_dirs: tuple[Path, ...] = ()
    plugin_name: str | None = None  # the plugin under test this arm loads (None: loads nothing)

    def to_json(self) -> dict:
        return {"name": self.name, "plugin_dirs": [str(p) for p in self.plugin_dirs], "plugin_name": self.plugin_name}


@dataclass(frozen=True, order=True)
class TrialKey:
    """Identifies one trial: (task, arm, trial number)."""

    task_id: str
    arm: str
    trial: int

    @property
    def slug(self) -> str:
        """A file-name-safe key, unique in a run."""
        return f"{self.task_id}__{self.arm}__{self.trial}"

    def to_json(self) -> dict:
        return {"task_id": self.task_id, "arm": self.arm, "trial": self.trial}


@dataclass
class Plan:
    """The ordered list of trials of a run."""

    keys: list[TrialKey] = field(default_factory=list)
    seed: int = 0

    def to_json(self) -> list[dict]:
        return [k.to_json() for k in self.keys]


def make_plan(task_ids: list[str], arms: list[str], trials: int, seed: int, *, start_trial: int = 1) -> Plan:
    """Rounds of trials; in each round every task runs each arm once, arms in a seeded random order.

    The order of tasks within a round is shuffled too, so drift over time hits every arm alike. A later
    batch (start_trial > 1, e.g. `--sequential` or more --trials on resume) gets its own seeded order.
    """
    rng = random.Random(seed if start_trial == 1 else f"{seed}/{start_trial}")
    keys: list[TrialKey] = []
    for number in range(start_trial, start_trial + trials):
        order = list(task_ids)
        rng.shuffle(order)
        for task_id in order:
            arm_order = list(arms)
            rng.shuffle(arm_order)
            keys += [TrialKey(task_id, arm, number) for arm in arm_order]
    return Plan(keys=keys, seed=seed)


def plan_from_json(items: list[dict], seed: int = 0) -> Plan:
    """The plan stored in run.json (`plan`: [{task_id, arm, trial}, ...])."""
    return Plan(keys=[TrialKey(str(i["task_id"]), str(i["arm"]), int(i["trial"])) for i in items], seed=seed)


def extend_plan(plan: Plan, task_ids: list[str], arms: list[str], trials: int) -> Plan:
    """The plan grown to `trials` per (task, arm): existing keys keep their order, new rounds follow."""
    have = trials_per_arm(plan)
    if trials <= have:
        return plan
    more = make_plan(task_ids, arms, trials - have, plan.seed, start_trial=have + 1)
    known = set(plan.keys)
    return Plan(keys=plan.keys + [k for k in more.keys if k not in known], seed=plan.seed)


def trials_per_arm(plan: Plan) -> int:
    """The highest trial number of a plan."""
    return max((k.trial for k in plan.keys), default=0)
