"""Turn an iteration folder into benchmark.json (the seed's schema plus counts, reliability and statistics)."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from popkit_bench.errors import InsufficientDataError
from popkit_bench.skill.config import DEFAULT_THRESHOLDS
from popkit_bench.skill.layout import BASELINE_CONFIGS, RUN_FOLDER, WITH_CONFIGS, iteration_number
from popkit_bench.skill.readers import ArmRuns, EvalRuns, load_iteration

RELIABILITY_ORDER = ("unreliable", "low", "medium", "high")
HIGH_SD, MEDIUM_SD = 0.1, 0.3


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def sample_sd(values: list[float]) -> float | None:
    """Sample standard deviation (n - 1); None for n < 2."""
    if len(values) < 2:
        return None
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def rnd(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def reliability(completed: int, sd: float | None) -> str:
    """unreliable (< 2 completed trials), else high (sd <= 0.1), medium (<= 0.3) or low."""
    if completed < 2 or sd is None:
        return "unreliable"
    return "high" if sd <= HIGH_SD else "medium" if sd <= MEDIUM_SD else "low"


def arm_block(arm: ArmRuns | None) -> dict[str, Any]:
    """One configuration of one eval: means over its completed trials (raw values kept under `_raw`)."""
    runs = arm.completed if arm else []
    rates = [r.pass_rate for r in runs if r.pass_rate is not None]
    ungraded = sum(1 for r in runs if not r.graded)
    tokens = [r.tokens for r in runs if r.tokens is not None]
    seconds = [r.seconds for r in runs if r.seconds is not None]
    sd = sample_sd(rates)
    failing: dict[str, int] = {}
    for run in runs:
        for result in run.assertions:
            if isinstance(result, dict) and result.get("passed") is False:
                label = str(result.get("name") or result.get("text") or "?")
                failing[label] = failing.get(label, 0) + 1
    return {
        "pass_rate": mean(rates), "avg_tokens": mean(tokens), "avg_duration_seconds": mean(seconds),
        "pass_rate_std": sd, "trials_requested": arm.requested if arm else 0, "trials_completed": len(runs),
        "trials_graded": len(runs) - ungraded, "trials_ungraded": ungraded,
        "excluded": arm.excluded() if arm else {}, "reliability": reliability(len(rates), sd),
        "config": arm.config if arm else None, "failing_assertions": failing,
        "_raw": {"pass_rate": rates, "tokens": tokens, "seconds": seconds,
                 "variance": sd * sd if sd is not None else None},
    }


def pick(item: EvalRuns, names: tuple[str, ...]) -> ArmRuns | None:
    for name in names:
        if name in item.arms:
            return item.arms[name]
    return None


def public(block: dict[str, Any]) -> dict[str, Any]:
    """Rounded copy without the raw values."""
    out = {k: v for k, v in block.items() if k != "_raw"}
    out["pass_rate"] = rnd(out["pass_rate"], 4)
    out["pass_rate_std"] = rnd(out["pass_rate_std"], 4)
    out["avg_tokens"] = rnd(out["avg_tokens"], 1)
    out["avg_duration_seconds"] = rnd(out["avg_duration_seconds"], 3)
    return out


def summary_arm(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Means over evals (each eval weighs the same); sd = sqrt(mean within-eval variance)."""
    with_data = [b for b in blocks if b["trials_completed"] > 0]
    if not with_data:
        return None
    variances = [b["_raw"]["variance"] for b in with_data if b["_raw"]["variance"] is not None]
    values = {
        "pass_rate": mean([b["pass_rate"] for b in with_data if b["pass_rate"] is not None]),
        "pass_rate_std": math.sqrt(mean(variances)) if variances else None,
        "avg_tokens": mean([b["avg_tokens"] for b in with_data if b["avg_tokens"] is not None]),
        "avg_duration_seconds": mean([b["avg_duration_seconds"] for b in with_data
                                      if b["avg_duration_seconds"] is not None]),
    }
    return {
        "pass_rate": rnd(values["pass_rate"], 4), "pass_rate_std": rnd(values["pass_rate_std"], 4),
        "avg_tokens": rnd(values["avg_tokens"], 1), "avg_duration_seconds": rnd(values["avg_duration_seconds"], 3),
        "evals_with_data": len(with_data),
        "trials_requested": sum(b["trials_requested"] or 0 for b in blocks),
        "trials_completed": sum(b["trials_completed"] for b in blocks),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, 4)


def ratios(ws: dict[str, Any] | None, base: dict[str, Any] | None) -> dict[str, float | None]:
    """improvement_ratio, token_savings_ratio, time_savings_ratio of two summaries (null without both)."""
    if ws is None or base is None:
        return {"improvement_ratio": None, "token_savings_ratio": None, "time_savings_ratio": None}
    return {"improvement_ratio": ratio(ws.get("pass_rate"), base["pass_rate"]),
            "token_savings_ratio": ratio(ws.get("avg_tokens"), base["avg_tokens"]),
            "time_savings_ratio": ratio(ws.get("avg_duration_seconds"), base["avg_duration_seconds"])}


def thresholds_met(summary: dict[str, Any], thresholds: dict[str, float]) -> dict[str, bool | None]:
    """Each threshold: true/false, or null when it cannot be evaluated (e.g. no baseline). Equal passes."""
    ws, base = summary["with_skill"] or {}, summary["baseline"]
    met: dict[str, bool | None] = {
        "min_pass_rate": _cmp(ws.get("pass_rate"), thresholds["min_pass_rate"], ">="),
        "max_avg_tokens": _cmp(ws.get("avg_tokens"), thresholds["max_avg_tokens"], "<="),
        "max_avg_duration_seconds": _cmp(ws.get("avg_duration_seconds"), thresholds["max_avg_duration_seconds"], "<="),
    }
    if base is None or base.get("pass_rate") is None or ws.get("pass_rate") is None:
        met["min_improvement_ratio"] = None
    elif summary["improvement_ratio"] is None:  # baseline pass rate 0: any with-skill pass is an improvement
        met["min_improvement_ratio"] = ws["pass_rate"] > 0
    else:
        met["min_improvement_ratio"] = summary["improvement_ratio"] >= thresholds["min_improvement_ratio"]
    return met


def _cmp(value: float | None, limit: float, op: str) -> bool | None:
    if value is None:
        return None
    return value >= limit if op == ">=" else value <= limit


def eval_entries(evals: list[EvalRuns], min_pass_rate: float, with_names: tuple[str, ...] = WITH_CONFIGS,
                 base_names: tuple[str, ...] = BASELINE_CONFIGS) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                                         list[dict[str, Any]], set[str]]:
    """per_eval entries, the with-skill and baseline blocks behind them, and the baseline configs seen.
    with_names / base_names: the run folders that are the skill and the baseline (the first one found)."""
    per_eval, ws_blocks, base_blocks = [], [], []
    baseline_names: set[str] = set()
    for item in evals:
        ws = arm_block(pick(item, with_names))
        base_arm = pick(item, base_names)
        if base_arm:
            baseline_names.add(base_arm.config)
        base = arm_block(base_arm)
        ws_blocks.append(ws)
        base_blocks.append(base)
        levels = [ws["reliability"]] + ([base["reliability"]] if base["trials_completed"] else [])
        per_eval.append({
            "eval_id": item.eval_id, "eval_name": item.eval_name,
            "with_skill": public(ws), "baseline": public(base) if base["trials_completed"] else None,
            "trials": ws["trials_completed"],
            "trials_requested": ws["trials_requested"], "trials_completed": ws["trials_completed"],
            "reliability": min(levels, key=RELIABILITY_ORDER.index),
            "graded": not any(b["trials_completed"] and not b["trials_graded"] for b in (ws, base)),
            "status": eval_status(ws["pass_rate"], min_pass_rate, ws["trials_completed"]),
        })
    return per_eval, ws_blocks, base_blocks, baseline_names


def aggregate(iteration: Path, skill_name: str, *, thresholds: dict[str, float] | None = None,
              timestamp: str | None = None, iteration_no: int | None = None) -> dict[str, Any]:
    """benchmark.json for one iteration folder; InsufficientDataError when it holds no run at all. An iteration
    run with --arms (skill/arms.py): its first treatment arm is `with_skill`, its baseline arm `baseline`, and
    `arms` compares every treatment with the baseline."""
    from popkit_bench.skill.arms import read_roles

    evals = load_iteration(iteration)
    if not evals or not any(arm.runs for e in evals for arm in e.arms.values()):
        raise InsufficientDataError(f"no eval-*/<config>/run-*/grading.json found in {iteration}")
    thresholds = dict(thresholds or DEFAULT_THRESHOLDS)
    roles = read_roles(iteration)
    names = ((roles.gated,), (roles.baseline,)) if roles else (WITH_CONFIGS, BASELINE_CONFIGS)
    per_eval, ws_blocks, base_blocks, baseline_names = eval_entries(evals, thresholds["min_pass_rate"], *names)
    ws_summary, base_summary = summary_arm(ws_blocks), summary_arm(base_blocks)
    if ws_summary is None:
        excluded = sum(sum(b["excluded"].values()) for b in ws_blocks)
        raise InsufficientDataError(f"no with-skill trial completed in {iteration} ({excluded} excluded): "
                                    "nothing to benchmark")
    summary: dict[str, Any] = {"total_evals": len(evals), "with_skill": ws_summary, "baseline": base_summary}
    notes = []
    summary.update(ratios(ws_summary, base_summary))
    if base_summary is None:
        notes.append("baseline missing: no baseline trial completed; with-skill results only, no ratios")
    else:
        if summary["improvement_ratio"] is None and base_summary["pass_rate"] == 0:
            notes.append("baseline pass rate is 0: improvement_ratio is undefined (null)")
        missing = [str(p["eval_id"]) for p in per_eval if p["baseline"] is None]
        if missing:
            notes.append("no completed baseline trial for eval(s) " + ", ".join(missing))
    notes += eval_notes(per_eval)
    number = iteration_no if iteration_no is not None else iteration_number(iteration)
    bench = {
        "skill_name": skill_name,
        "iteration": number,
        "timestamp": timestamp or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "summary": summary,
        "per_eval": per_eval,
        "model_source": model_source_of(iteration),
        "thresholds_met": thresholds_met(summary, thresholds),
        "thresholds": thresholds,
        "baseline_config": sorted(baseline_names)[0] if baseline_names else None,
        "notes": notes,
        "statistics": statistics(ws_blocks, base_blocks, [p["eval_id"] for p in per_eval]),
    }
    if roles is not None:
        from popkit_bench.skill.arms_summary import arms_section

        bench["arms"] = arms_section(evals, roles, thresholds)
    return bench


def eval_notes(per_eval: list[dict[str, Any]]) -> list[str]:
    """Per eval: ungraded trials (their tokens and time count, their pass rate cannot) and unreliable spread."""
    notes = []
    for p in per_eval:
        for arm in ("with_skill", "baseline"):
            block = p.get(arm) or {}
            if block.get("trials_ungraded"):
                notes.append(f"eval {p['eval_id']} ({arm}): {block['trials_ungraded']} of "
                             f"{block['trials_completed']} completed trial(s) have no graded assertion (plain-text "
                             "expectations need `llm_grader` in the config): tokens and time are kept, the pass "
                             "rate leaves them out")
        if p["reliability"] == "unreliable":
            notes.append(f"eval {p['eval_id']}: fewer than 2 graded trials in an arm: pass-rate variance unreliable")
    return notes


def model_source_of(iteration: Path) -> dict[str, Any]:
    """Which model produced the iteration's numbers (scripted, real), from its engine run folder `_run/`."""
    from popkit_bench.report.load import load_run_data
    from popkit_bench.report.model_source import UNKNOWN, ModelSource, model_source

    folder = iteration / RUN_FOLDER
    if not (folder / "run.json").is_file():
        out = ModelSource(UNKNOWN).to_json()
        out["label"] = (f"Model not recorded: no {RUN_FOLDER}/run.json in this iteration (not run by popkit-bench), "
                        "so it cannot be told whether a real model ran.")
        return out
    return model_source(load_run_data(folder)).to_json()


def eval_status(pass_rate: float | None, min_pass_rate: float, completed: int = 0) -> str:
    """PASS when the eval's with-skill pass rate reaches min_pass_rate (equal passes), else FAIL; UNGRADED when
    trials completed but no assertion was graded; NO DATA when no trial completed."""
    if pass_rate is None:
        return "UNGRADED" if completed else "NO DATA"
    return "PASS" if round(pass_rate, 4) >= min_pass_rate else "FAIL"


def statistics(ws_blocks: list[dict[str, Any]], base_blocks: list[dict[str, Any]],
               eval_ids: list[Any]) -> dict[str, Any] | None:
    """Significance and CI fields (popkit_bench.analysis) beside the seed's ratios."""
    from popkit_bench.skill.significance import compare

    return compare(ws_blocks, base_blocks, eval_ids)
