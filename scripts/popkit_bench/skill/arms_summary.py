"""benchmark.json `arms` (an iteration run with `skill run --arms`): every treatment arm against the baseline arm.

Each treatment gets the numbers the top-level `summary` gives the first one (pass rate, tokens, time, the
three ratios), its thresholds checked the same way, and per eval its means and status. Only the first
treatment (`gated`) decides the gate; the others' `thresholds_met` are shown, not gated.
"""

from __future__ import annotations

from typing import Any

from popkit_bench.skill.aggregate import arm_block, eval_status, ratios, rnd, summary_arm, thresholds_met
from popkit_bench.skill.arms import ArmRoles
from popkit_bench.skill.readers import EvalRuns


def arm_blocks(evals: list[EvalRuns], name: str) -> list[dict[str, Any]]:
    """One arm's block per eval (an eval without that arm's folder: an empty block)."""
    return [arm_block(item.arms.get(name)) for item in evals]


def treatment_entry(evals: list[EvalRuns], name: str, roles: ArmRoles, base: dict[str, Any] | None,
                    thresholds: dict[str, float]) -> dict[str, Any]:
    """One treatment arm: its summary and ratios against the baseline, thresholds and per-eval means."""
    blocks = arm_blocks(evals, name)
    summary = summary_arm(blocks)
    compared = ratios(summary, base)
    met = thresholds_met({"with_skill": summary, "baseline": base, **compared}, thresholds) if summary else None
    return {
        "arm": name, "description": roles.descriptions.get(name), "gated": name == roles.gated,
        "summary": summary, **compared, "thresholds_met": met,
        "per_eval": [{"eval_id": item.eval_id, "pass_rate": rnd(block["pass_rate"], 4),
                      "avg_tokens": rnd(block["avg_tokens"], 1),
                      "avg_duration_seconds": rnd(block["avg_duration_seconds"], 3),
                      "trials_requested": block["trials_requested"], "trials_completed": block["trials_completed"],
                      "status": eval_status(block["pass_rate"], thresholds["min_pass_rate"], block["trials_completed"])}
                     for item, block in zip(evals, blocks, strict=True)],
    }


def arms_section(evals: list[EvalRuns], roles: ArmRoles, thresholds: dict[str, float]) -> dict[str, Any]:
    """{baseline: {arm, description, summary}, gated: NAME, treatments: [...]} (treatments in the arms file's
    order; the first is the top-level with_skill)."""
    base = summary_arm(arm_blocks(evals, roles.baseline))
    return {
        "baseline": {"arm": roles.baseline, "description": roles.descriptions.get(roles.baseline), "summary": base},
        "gated": roles.gated,
        "treatments": [treatment_entry(evals, name, roles, base, thresholds) for name in roles.treatments],
    }
