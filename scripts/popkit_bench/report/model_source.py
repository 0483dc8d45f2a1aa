"""Which model produced a run's numbers: a real one, the scripted model (rehearsal), or a generic play.

Rehearsal numbers come from a script served on 127.0.0.1, not from a model: every place a reader looks
(console verdict, report tops, JSON, index) says so. A task without a play of its own runs the generic play
in both arms, so its differences are noise: that is said too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from popkit_bench.report.load import RunData, trial_play

SCRIPTED, REAL, UNKNOWN = "scripted", "real", "unknown"


@dataclass(frozen=True)
class ModelSource:
    """Where the numbers come from, and how many trials ran the generic play (no play of their task)."""

    kind: str
    trials: int = 0
    generic_trials: int = 0
    generic_tasks: tuple[str, ...] = ()

    @property
    def scripted(self) -> bool:
        return self.kind == SCRIPTED

    def label(self) -> str | None:
        """One sentence for the top of a report; None for a real model."""
        if self.kind == REAL:
            return None
        if self.kind == UNKNOWN:
            return "Model unknown: run.json is missing, so it cannot be told whether a real model ran."
        text = ("Scripted model (rehearsal): these numbers come from a script served on 127.0.0.1, "
                "not from a real model; they test the harness, not the plugin.")
        if self.generic_trials:
            text += (f" Generic play in {self.generic_trials} of {self.trials} trials (task(s) without a play: "
                     f"{', '.join(self.generic_tasks)}): both arms ran the same script, so their differences are "
                     "noise.")
        return text

    def tag(self) -> str:
        """A short tag for the console verdict line ('' for a real model)."""
        if self.kind == REAL:
            return ""
        if self.kind == UNKNOWN:
            return " [model unknown]"
        generic = f", generic play in {self.generic_trials} of {self.trials} trials" if self.generic_trials else ""
        return f" [scripted model (rehearsal), not a real model{generic}]"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label(), "trials": self.trials,
                "generic_play_trials": self.generic_trials, "generic_play_tasks": list(self.generic_tasks)}


def model_source(run: RunData) -> ModelSource:
    """The run's model source, from run.json and each trial's record of what the scripted model played."""
    if run.run_json is None:
        return ModelSource(UNKNOWN, len(run.records))
    if not run.run_json.get("rehearsal"):
        return ModelSource(REAL, len(run.records))
    generic = [r for r in run.records if trial_play(run, r) == "generic"]
    tasks = tuple(dict.fromkeys(str(r.get("task_id")) for r in generic))
    return ModelSource(SCRIPTED, len(run.records), len(generic), tasks)
