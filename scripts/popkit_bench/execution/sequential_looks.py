"""`--sequential`: after each batch, one look at the decision metric decides to stop or to grow the plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from popkit_bench.planning.plan import Plan, extend_plan, trials_per_arm
from popkit_bench.record.rundir import utc_now
from popkit_bench.record.trial_record import TrialRecord


@dataclass
class SequentialOptions:
    """Batches of `batch` trials per arm, at most `max_trials`, looking at `metric` of baseline vs treatment."""

    batch: int
    max_trials: int
    metric: str = "tokens_total"
    baseline_arm: str = "baseline"
    treatment_arm: str | None = None
    looks: list[dict[str, Any]] = field(default_factory=list)

    def stopped(self) -> dict[str, Any] | None:
        """The look that stopped the run, if one did."""
        last = self.looks[-1] if self.looks else None
        if last and last.get("stop"):
            return {"look": last.get("look"), "reason": last.get("reason"), "message": last.get("message")}
        return None

    def plan(self) -> Any:
        """The group-sequential plan of the decision metric (analysis/sequential.py)."""
        from popkit_bench.analysis.metrics_catalog import spec_for
        from popkit_bench.analysis.sequential import SequentialPlan

        spec = spec_for(self.metric)
        kind = "binary" if spec.kind == "fraction" else spec.kind
        return SequentialPlan(max_trials=self.max_trials, batch_size=self.batch, kind=kind, scale=spec.scale,
                              direction=spec.direction)

    def to_json(self) -> dict[str, Any]:
        return {"batch_size": self.batch, "max_trials": self.max_trials, "metric": self.metric,
                "design": self.plan().describe(), "looks": self.looks, "stopped": self.stopped()}


def look(options: SequentialOptions, plan: Plan, finals: list[TrialRecord]) -> tuple[str | None, Plan | None]:
    """Take this batch's look (once); return (a message for the progress output, the grown plan or None to stop)."""
    per_arm = trials_per_arm(plan)
    number = -(-per_arm // options.batch)
    message = None
    if not any(entry.get("look") == number for entry in options.looks):
        base, treat = decision_values(options, finals)
        decision = _decide(options, base, treat, number)
        options.looks.append({"look": number, "trials_per_arm": per_arm, "at": utc_now(), **decision.to_json()})
        message = f"sequential look {number}: {decision.message}" + (
            f" -> stop ({decision.reason})" if decision.stop else " -> next batch")
    if options.looks[-1].get("stop") or per_arm >= options.max_trials:
        return message, None
    task_ids = list(dict.fromkeys(k.task_id for k in plan.keys))
    arms = list(dict.fromkeys(k.arm for k in plan.keys))
    return message, extend_plan(plan, task_ids, arms, min(options.max_trials, per_arm + options.batch))


def decision_values(options: SequentialOptions,
                    finals: list[TrialRecord]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """The decision metric of usable trials per task: baseline vs the treatment arm (a suite's tasks are
    blocks of the look's test)."""
    base: dict[str, list[float]] = {}
    treat: dict[str, list[float]] = {}
    for record in finals:
        value = record.metric(options.metric)
        if not record.is_usable or value is None:
            continue
        if record.arm == options.baseline_arm:
            base.setdefault(record.task_id, []).append(value)
        elif record.arm == options.treatment_arm:
            treat.setdefault(record.task_id, []).append(value)
    return base, treat


def _decide(options: SequentialOptions, base: dict[str, list[float]], treat: dict[str, list[float]],
            number: int) -> Any:
    from dataclasses import replace

    from popkit_bench.analysis.sequential import sequential_decision

    plan = options.plan()
    values = [v for arm in (base, treat) for task_values in arm.values() for v in task_values]
    if plan.kind == "binary" and not all(v in (0, 1) for v in values):
        plan = replace(plan, kind="continuous")
    return sequential_decision(base, treat, number, plan)
