"""Run-level preparation of the arms: each arm's CLI binary, the fingerprints, and what `--reuse` takes.

Called once before the trials start: it installs pinned CLI versions, computes every (task, arm)
fingerprint, matches them against earlier runs and turns the matches into this run's records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.agent.cli_versions import arm_binaries
from popkit_bench.planning.arms_file import ArmsFile
from popkit_bench.planning.reuse import ArmReuse, load_earlier_run, plan_reuse, reused_records
from popkit_bench.planning.run_fingerprints import run_fingerprints
from popkit_bench.record.trial_record import TrialRecord


@dataclass
class ArmsSetup:
    """The arms of a run, resolved."""

    arms: ArmsFile
    binaries: dict[str, tuple[Path, str | None]]
    fingerprints: dict[str, dict[str, dict[str, str]]]
    reuse: list[ArmReuse] = field(default_factory=list)

    def run_json(self) -> dict[str, Any]:
        """The run.json keys this setup owns."""
        return {
            "arms": [a.to_json() for a in self.arms.arms],
            "baseline_arm": self.arms.baseline,
            "arms_file": str(self.arms.path) if self.arms.path else None,
            "arm_cli": {name: {"binary": str(b), "version": v} for name, (b, v) in self.binaries.items()},
            "fingerprints": self.fingerprints,
            "reuse": [r.to_json() for r in self.reuse],
        }

    def plan_lines(self) -> list[str]:
        """What the plan says about reuse (nothing without --reuse)."""
        return [r.text() for r in self.reuse]

    def cli_version(self, arm: str) -> str | None:
        return self.binaries[arm][1]

    def binary(self, arm: str) -> Path:
        return self.binaries[arm][0]


def prepare_arms(arms: ArmsFile, tasks: Sequence[Any], codebases: Mapping[str, Any], *, default_binary: Path,
                 default_version: str | None, run_model: str | None, sandbox: str | None,
                 limits: Mapping[str, Any], rehearsal: bool, reuse_dirs: Sequence[Path] = ()) -> ArmsSetup:
    """Resolve binaries (npm installs happen here), fingerprints and the reuse plan (InputError on bad input)."""
    earlier = [load_earlier_run(d) for d in reuse_dirs]  # bad --reuse folders fail before any install
    binaries = arm_binaries(list(arms.arms), default_binary, default_version)
    prints = run_fingerprints(tasks, codebases, arms.arms, cli_versions={n: v for n, (_, v) in binaries.items()},
                              run_model=run_model, sandbox=sandbox, limits=limits, rehearsal=rehearsal)
    return ArmsSetup(arms, binaries, prints, plan_reuse(prints, earlier) if earlier else [])


def journal_reused(setup: ArmsSetup, run_id: str, trials: int, done: set[tuple[str, str, int]],
                   append: Callable[[TrialRecord], None]) -> int:
    """Append the reused records of trials that have no record yet (a resumed run adds none twice).

    done: (task, arm, trial) keys that already have a final record. Returns how many were appended.
    """
    count = 0
    for reuse in setup.reuse:
        if not reuse.reused:
            continue
        for record in reused_records(reuse, run_id, trials):
            if (record["task_id"], record["arm"], record["trial"]) not in done:
                append(TrialRecord.from_json(record))
                count += 1
    return count
