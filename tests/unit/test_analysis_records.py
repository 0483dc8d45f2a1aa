"""analyze_records end to end on synthetic records: shape, edge cases, exclusions, suites, no NaN."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from popkit_bench.analysis.analyze import analyze_records
from popkit_bench.errors import InputError

_SPEC = importlib.util.spec_from_file_location("synthetic", Path(__file__).parents[1] / "stats" / "synthetic.py")
synthetic = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(synthetic)

ARMS = ("baseline", "popkit-ops")


def strict(analysis: dict) -> dict:
    """JSON round trip that fails on NaN / Infinity."""
    return json.loads(json.dumps(analysis, allow_nan=False))


def simple(metric_b: list, metric_t: list, name: str = "tool_calls", **kw) -> dict:
    records = [synthetic.record("t", "baseline", i + 1, metrics={name: v}) for i, v in enumerate(metric_b)]
    records += [synthetic.record("t", "popkit-ops", i + 1, metrics={name: v}) for i, v in enumerate(metric_t)]
    kw.setdefault("run_info", {"arms": [{"name": a} for a in ARMS]})
    return strict(analyze_records(records, **kw))


def test_seed_keys_and_shape() -> None:
    records = synthetic.make_records(trials=6, scale={"popkit-ops": 0.6}, seed=3)
    analysis = strict(analyze_records(records, run_info=synthetic.run_info(["demo"], ARMS, 6), target_effect=15))
    assert analysis["baseline"] == "baseline" and analysis["treatment"] == "popkit-ops"
    tokens = analysis["metrics"]["tokens_total"]
    for key in ("baseline", "popkit-ops", "improvement", "p_value", "effect_size", "p_value_adjusted",
                "significant", "better", "difference", "ratio", "tests", "effect_size_ci", "effect_size_label"):
        assert key in tokens
    assert tokens["improvement"] > 0 and tokens["effect_size"] < 0  # fewer tokens: better, negative g
    assert set(analysis["summary"]) >= {"significant_metrics", "overall_effect_size", "verdict"}
    assert analysis["summary"]["overall_effect_size"] > 0
    assert analysis["unit"] == "trial" and "suite" not in analysis
    assert analysis["power"]["metrics"]["tokens_total"]["n_per_arm_for_target"] >= 2
    assert [c["id"] for c in analysis["validity"]["criteria"]] == [
        "min_trials", "treatment_verification", "significance", "large_effect", "consistency",
        "no_contamination", "no_tampering", "trials_completed", "sandbox"]
    assert analysis["sufficiency"] == {"ok": True, "problems": []}
    assert "verify:python -m unittest" in analysis["metrics"]
    assert analysis["comparisons"][0]["per_task"]["demo"]["metrics"]["tokens_total"] == tokens


def test_clear_win_is_significant_and_better() -> None:
    base = [100, 104, 98, 101, 103, 99, 102, 97]
    treat = [80, 82, 79, 81, 83, 78, 80, 84]
    tool_calls = simple(base, treat)["metrics"]["tool_calls"]
    assert tool_calls["significant"] is True and tool_calls["better"] is True
    worse = simple(treat, base)["metrics"]["tool_calls"]
    assert worse["significant"] is True and worse["better"] is False
    assert worse["improvement"] < 0


def test_same_input_same_output() -> None:
    records = synthetic.make_records(trials=5, seed=11)
    one, two = analyze_records(records, seed=4), analyze_records(records, seed=4)
    one.pop("generated_at")
    two.pop("generated_at")
    assert one == two
    other = analyze_records(records, seed=5)["metrics"]["tokens_total"]["difference"]["bootstrap_ci"]
    assert other != one["metrics"]["tokens_total"]["difference"]["bootstrap_ci"]


@pytest.mark.parametrize("n_b,n_t", [(0, 3), (1, 3), (2, 2), (1, 1), (3, 0)])
def test_small_n_never_nan(n_b: int, n_t: int) -> None:
    analysis = simple([5.0, 7.0, 6.0][:n_b], [4.0, 6.0, 5.0][:n_t])
    entry = analysis["metrics"]["tool_calls"]
    if min(n_b, n_t) < 2:
        assert entry["p_value"] is None and entry["p_value_reason"]
        assert entry["significant"] is False and entry["better"] is None
        assert entry["difference"]["ci"] is None and entry["difference"]["ci_reason"]
        assert not analysis["sufficiency"]["ok"]
    else:
        assert entry["p_value"] is not None
    if n_b == 1:
        assert entry["baseline"]["ci"] is None and entry["baseline"]["flags"]
        assert any("n=1 in arm baseline" in note for note in analysis["notes"])


def test_zero_variance_one_arm_and_both_arms() -> None:
    one = simple([5, 5, 5, 5], [3, 4, 5, 3])["metrics"]["tool_calls"]
    assert one["p_value"] is not None and one["effect_size"] is not None
    both = simple([5, 5, 5], [3, 3, 3])["metrics"]["tool_calls"]
    assert both["p_value"] is None and "zero variance" in both["p_value_reason"]
    assert both["difference"]["estimate"] == -2 and both["tests"]["mann_whitney"]["p_value"] is not None
    assert both["effect_size"] is None and both["effect_size_reason"]
    assert any("constant" in flag for flag in both["flags"])


def test_all_equal_values() -> None:
    entry = simple([2, 2, 2], [2, 2, 2])["metrics"]["tool_calls"]
    assert entry["p_value"] is None and entry["significant"] is False
    assert entry["improvement"] == 0.0 and entry["difference"]["estimate"] == 0


def test_baseline_mean_zero() -> None:
    entry = simple([0, 0, 0], [1, 2, 0], name="backtracking")["metrics"]["backtracking"]
    assert entry["improvement"] is None and "baseline mean is 0" in entry["improvement_reason"]
    assert entry["ratio"] is None and entry["ratio_reason"]


def test_missing_baseline_arm_reports_treatment_only() -> None:
    records = [synthetic.record("t", "popkit-ops", i, metrics={"tool_calls": v}) for i, v in enumerate([3, 4, 5], 1)]
    analysis = strict(analyze_records(records))
    assert analysis["baseline"] == "baseline" and analysis["treatment"] == "popkit-ops"
    entry = analysis["metrics"]["tool_calls"]
    assert entry["popkit-ops"]["mean"] == 4 and entry["baseline"]["n"] == 0
    assert entry["ratio"] is None and entry["p_value"] is None
    assert not analysis["sufficiency"]["ok"]
    assert any("no usable trials" in note for note in analysis["notes"])


def test_only_baseline_arm_has_no_comparison() -> None:
    records = [synthetic.record("t", "baseline", i, metrics={"tool_calls": 3}) for i in (1, 2)]
    analysis = strict(analyze_records(records))
    assert analysis["comparisons"] == [] and analysis["metrics"] == {}
    assert analysis["summary"]["verdict"] == "insufficient data"
    assert not analysis["sufficiency"]["ok"]


def test_none_metrics_are_excluded_and_counted() -> None:
    records = synthetic.make_records(trials=4, seed=2)
    records[0]["metrics"]["cost_usd"] = None
    records[0]["metrics_null_reasons"] = {"cost_usd": "result event had no total_cost_usd"}
    records[2]["metrics"]["cost_usd"] = float("nan")  # json.loads accepts NaN: must not leak
    analysis = strict(analyze_records(records))
    entry = analysis["metrics"]["cost_usd"]
    assert entry["baseline"]["n"] == 2 and entry["missing"]["baseline"] == 2
    assert analysis["exclusions"]["null_metrics"]["baseline"]["cost_usd"] == 2
    reasons = analysis["exclusions"]["null_metric_reasons"]["cost_usd"]
    assert reasons == {"result event had no total_cost_usd": 1, "not a finite number": 1}


def test_exclusions_failed_counts_timeouts_do_not() -> None:
    statuses = {("demo", "baseline", 1): "failed", ("demo", "baseline", 2): "timeout",
                ("demo", "popkit-ops", 3): "contaminated", ("demo", "popkit-ops", 4): "error",
                ("demo", "baseline", 5): "interrupted"}
    records = synthetic.make_records(trials=6, statuses=statuses)
    analysis = strict(analyze_records(records, run_info=synthetic.run_info(["demo"], ARMS, 6)))
    ex = analysis["exclusions"]
    assert ex["by_reason"] == {"contaminated": 1, "error": 1, "interrupted": 1, "timeout": 1}
    assert ex["usable"] == 8 and ex["excluded"] == 4
    assert analysis["metrics"]["tokens_total"]["baseline"]["n"] == 4  # failed trial 1 is in
    assert analysis["metrics"]["success"]["baseline"]["n"] == 4
    trials = analysis["arms"]["trials"]["baseline"]
    assert trials == {"requested": 6, "records": 6, "usable": 4, "completed": 3, "failed": 1, "excluded": 2}
    criteria = {c["id"]: c for c in analysis["validity"]["criteria"]}
    assert criteria["trials_completed"]["passed"] is False
    assert criteria["no_contamination"]["passed"] is True  # the contaminated trial is in the treatment arm
    assert criteria["no_contamination"]["numbers"]["contaminated"]["popkit-ops"] == 1


def test_tampered_trial_is_excluded_counted_and_fails_validity() -> None:
    records = synthetic.make_records(trials=4, statuses={("demo", "popkit-ops", 2): "tampered"})
    analysis = analyze_records(records)
    assert analysis["exclusions"]["by_reason"] == {"tampered": 1}
    assert analysis["metrics"]["success"]["popkit-ops"]["n"] == 3  # never a success: not in the statistics
    criteria = {c["id"]: c for c in analysis["validity"]["criteria"]}
    assert criteria["no_tampering"]["passed"] is False
    assert criteria["no_tampering"]["numbers"]["tampered"] == {"baseline": 0, "popkit-ops": 1}


def test_contaminated_baseline_fails_validity() -> None:
    records = synthetic.make_records(trials=4, statuses={("demo", "baseline", 2): "contaminated"})
    criteria = {c["id"]: c for c in analyze_records(records)["validity"]["criteria"]}
    assert criteria["no_contamination"]["passed"] is False


def test_resumed_trial_supersedes_interrupted_record() -> None:
    records = synthetic.make_records(trials=3, statuses={("demo", "baseline", 2): "interrupted"})
    rerun = synthetic.make_records(trials=3, seed=9)
    records.append(next(r for r in rerun if r["arm"] == "baseline" and r["trial"] == 2))
    analysis = analyze_records(records)
    assert analysis["exclusions"]["superseded"] == 1 and analysis["exclusions"]["excluded"] == 0
    assert analysis["metrics"]["tokens_total"]["baseline"]["n"] == 3


def test_suite_is_paired_over_tasks() -> None:
    tasks = ["a", "b", "c", "d", "e"]
    records = synthetic.make_records(tasks=tasks, trials=3, scale={"popkit-ops": 0.7}, seed=5,
                                     task_scale={"a": 0.5, "b": 1, "c": 2, "d": 4, "e": 8})
    analysis = strict(analyze_records(records, run_info=synthetic.run_info(tasks, ARMS, 3), target_effect=20))
    assert analysis["unit"] == "task" and analysis["suite"]["n_tasks"] == 5
    tokens = analysis["metrics"]["tokens_total"]
    assert tokens["analysis_unit"] == "task" and tokens["unit"] == "tokens" and tokens["p_value_test"] == "paired_t_log"
    assert tokens["baseline"]["n"] == 5
    assert {"paired_t", "wilcoxon", "sign_test"} <= set(tokens["tests"])
    row = analysis["suite"]["metrics"]["tokens_total"]
    assert row["wins"] + row["ties"] + row["losses"] == 5 and len(row["per_task"]) == 5
    assert {"significant", "better", "outcome"} <= set(row["per_task"][0])
    assert row["correlation"]["pearson"] > 0.5  # task difficulty shared by the arms
    assert set(analysis["comparisons"][0]["per_task"]) == set(tasks)
    assert analysis["power"]["unit"] == "task"
    assert analysis["power"]["metrics"]["tokens_total"]["n_tasks_for_target"] >= 2
    assert not any(name.startswith("verify:") for name in analysis["metrics"])


def test_suite_keeps_a_losing_task_visible() -> None:
    tasks = ["a", "b", "c"]
    records = synthetic.make_records(tasks=tasks, trials=4, seed=6)
    for rec in records:
        if rec["task_id"] == "c" and rec["arm"] == "popkit-ops":
            rec["metrics"]["tool_calls"] = 50 + rec["trial"]
    analysis = analyze_records(records)
    rows = {r["task"]: r for r in analysis["suite"]["metrics"]["tool_calls"]["per_task"]}
    assert rows["c"]["outcome"] == "loss" and rows["c"]["better"] is False


def test_three_arms_each_treatment_vs_baseline() -> None:
    arms = ("baseline", "v1", "v2")
    records = synthetic.make_records(arms=arms, trials=4, scale={"v2": 0.5})
    analysis = strict(analyze_records(records))
    assert [(c["baseline"], c["treatment"]) for c in analysis["comparisons"]] == [("baseline", "v1"), ("baseline", "v2")]
    assert analysis["treatment"] == "v1" and "v1" in analysis["metrics"]["tokens_total"]
    only = analyze_records(records, treatment="v2", baseline="v1")
    assert only["baseline"] == "v1" and [c["treatment"] for c in only["comparisons"]] == ["v2"]


def test_unknown_arm_is_input_error() -> None:
    records = synthetic.make_records(trials=2)
    with pytest.raises(InputError, match="no arm named 'nope'"):
        analyze_records(records, baseline="nope")


def test_record_without_arm_is_input_error() -> None:
    records = synthetic.make_records(trials=2)
    del records[1]["arm"]
    with pytest.raises(InputError, match="record 2"):
        analyze_records(records)


def test_default_baseline_from_run_json_and_first_arm() -> None:
    records = synthetic.make_records(arms=("old", "new"), trials=3)
    assert analyze_records(records)["baseline"] == "old"
    info = synthetic.run_info(["demo"], ["new", "old"], 3)
    info["baseline_arm"] = "new"
    assert analyze_records(records, run_info=info)["baseline"] == "new"


def test_requested_inferred_without_run_json() -> None:
    analysis = analyze_records(synthetic.make_records(trials=3, statuses={("demo", "baseline", 1): "timeout"}))
    assert analysis["arms"]["requested_source"] == "inferred"
    assert analysis["arms"]["trials"]["baseline"]["requested"] == 3


def test_insufficient_when_fewer_than_half_usable() -> None:
    statuses = {("demo", "baseline", i): "timeout" for i in (1, 2, 3, 4)}
    analysis = analyze_records(synthetic.make_records(trials=6, statuses=statuses),
                               run_info=synthetic.run_info(["demo"], ARMS, 6))
    assert not analysis["sufficiency"]["ok"]
    assert any("fewer than half" in p for p in analysis["sufficiency"]["problems"])


def test_empty_records() -> None:
    analysis = strict(analyze_records([]))
    assert not analysis["sufficiency"]["ok"] and analysis["metrics"] == {}


def test_binary_success_all_ones_and_verification() -> None:
    records = synthetic.make_records(trials=4, success={"baseline": 1.0, "popkit-ops": 1.0})
    analysis = strict(analyze_records(records))
    success = analysis["metrics"]["success"]
    assert success["p_value"] == 1.0 and success["significant"] is False
    assert success["baseline"]["proportion"] == 1.0
    assert np.isclose(success["baseline"]["ci"]["high"], 1.0)


def _criterion(analysis: dict, cid: str) -> dict:
    return next(c for c in analysis["validity"]["criteria"] if c["id"] == cid)


def test_criterion_one_counts_successful_trials_not_completed_ones() -> None:
    failing = simple([1, 1, 1, 1], [0, 0, 0, 0], name="success")  # 4 completed per arm, 0% success in one
    first = _criterion(failing, "min_trials")
    assert first["passed"] is False and first["numbers"]["per_task"]["t"] == {"baseline": 4, "popkit-ops": 0}
    assert "successful" in first["detail"]
    passing = simple([1, 1, 1, 1], [1, 1, 1, 0], name="success")
    assert _criterion(passing, "min_trials")["passed"] is True


def test_criterion_one_is_null_when_success_was_never_measured() -> None:
    unmeasured = simple([None] * 4, [None] * 4, name="success")
    first = _criterion(unmeasured, "min_trials")
    assert first["passed"] is None and "no verification" in first["passed_reason"]
