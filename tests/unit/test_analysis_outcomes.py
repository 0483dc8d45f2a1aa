"""pass@k / pass^k, cost and tokens per success, successful-only efficiency and the context footprint, on
fixtures whose values are worked out by hand here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from popkit_bench.analysis.analyze import analyze_records
from popkit_bench.analysis.pass_k import curves, pass_at_k, pass_hat_k

_SPEC = importlib.util.spec_from_file_location("synthetic", Path(__file__).parents[1] / "stats" / "synthetic.py")
synthetic = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(synthetic)

# Wilson 95% interval of 3/5 (z = 1.959964): centre 0.556552, half-width 0.325827 (published: 0.2307-0.8824)
WILSON_3_5 = (0.230725, 0.882379)
# Wilson 95% upper bound of 0/5: z^2 / (n + z^2) = 3.841459 / 8.841459
WILSON_0_5_HIGH = 0.434482

BASE = {  # 5 trials: 3 successes, the bill of all 5
    "success": [1, 1, 0, 1, 0],
    "cost_usd": [0.10, 0.20, 0.05, 0.30, 0.05],
    "tokens_total": [1000, 2000, 500, 3000, 500],
    "duration_s": [10.0, 20.0, 5.0, 60.0, 5.0],
    "context_footprint_tokens": [990, 1010, 1000, 995, 1005],
}
QUITTER = {  # gives up at once: cheap trials, no success
    "success": [0, 0, 0, 0, 0],
    "cost_usd": [0.01] * 5,
    "tokens_total": [100] * 5,
    "duration_s": [1.0] * 5,
    "context_footprint_tokens": [1500, 1500, 1500, 1500, 1500],
}


def records(columns: dict[str, list], arm: str, task: str = "t") -> list[dict]:
    n = len(next(iter(columns.values())))
    return [synthetic.record(task, arm, i + 1, status="completed" if columns["success"][i] else "failed",
                             metrics={k: v[i] for k, v in columns.items()}) for i in range(n)]


def analyse(recs: list[dict], arms=("baseline", "quitter")) -> dict:
    analysis = analyze_records(recs, run_info={"arms": [{"name": a} for a in arms]})
    return json.loads(json.dumps(analysis, allow_nan=False))


def test_unbiased_estimators_by_hand() -> None:
    # n = 5, c = 3: pass@2 = 1 - C(2,2)/C(5,2) = 1 - 1/10; pass@3 = 1 - C(2,3)/C(5,3) = 1 - 0
    assert [pass_at_k(5, 3, k) for k in range(1, 6)] == pytest.approx([0.6, 0.9, 1.0, 1.0, 1.0])
    # pass^2 = C(3,2)/C(5,2) = 3/10; pass^3 = C(3,3)/C(5,3) = 1/10; pass^4 = C(3,4)/C(5,4) = 0
    assert [pass_hat_k(5, 3, k) for k in range(1, 6)] == pytest.approx([0.6, 0.3, 0.1, 0.0, 0.0])
    assert pass_at_k(10, 1, 10) == 1.0 and pass_hat_k(10, 9, 10) == 0.0
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_intervals_are_wilson_mapped_and_hold_the_estimate() -> None:
    got = curves(5, 3)
    low, high = WILSON_3_5
    at1, at2, hat2 = got["pass_at_k"][0], got["pass_at_k"][1], got["pass_hat_k"][1]
    assert (at1["ci"]["low"], at1["ci"]["high"]) == pytest.approx(WILSON_3_5, abs=1e-6)
    assert (at2["ci"]["low"], at2["ci"]["high"]) == pytest.approx((1 - (1 - low) ** 2, 1 - (1 - high) ** 2), abs=1e-5)
    assert (hat2["ci"]["low"], hat2["ci"]["high"]) == pytest.approx((low ** 2, high ** 2), abs=1e-5)
    at3, hat4 = got["pass_at_k"][2], got["pass_hat_k"][3]
    assert at3["estimate"] == 1.0 and at3["ci"]["high"] == 1.0  # widened to hold the unbiased estimate
    assert hat4["estimate"] == 0.0 and hat4["ci"]["low"] == 0.0
    for entry in got["pass_at_k"] + got["pass_hat_k"]:
        assert entry["ci"]["low"] <= entry["estimate"] <= entry["ci"]["high"]
    assert curves(0, 0) == {"pass_at_k": [], "pass_hat_k": []}


def test_known_values_in_analysis_json() -> None:
    analysis = analyse(records(BASE, "baseline") + records(QUITTER, "quitter"))
    base = analysis["outcomes"]["per_task"]["t"]["baseline"]
    assert (base["trials"], base["outcome_known"], base["successes"], base["success_rate"]) == (5, 5, 3, 0.6)
    assert [e["k"] for e in base["pass_at_k"]] == [1, 2, 3, 4, 5]
    assert [e["estimate"] for e in base["pass_at_k"]] == pytest.approx([0.6, 0.9, 1.0, 1.0, 1.0])
    assert [e["estimate"] for e in base["pass_hat_k"]] == pytest.approx([0.6, 0.3, 0.1, 0.0, 0.0])
    assert base["cost_total_usd"] == pytest.approx(0.70)
    assert base["cost_per_success_usd"] == pytest.approx(0.70 / 3)  # failed trials are paid for too
    assert base["tokens_total"] == 7000 and base["tokens_per_success"] == pytest.approx(7000 / 3)
    only = base["successful_only"]  # trials 1, 2, 4
    assert only["n"] == 3
    assert only["tokens_total"] == {"n": 3, "mean": 2000.0, "median": 2000.0}
    assert only["cost_usd"]["mean"] == pytest.approx(0.20) and only["duration_s"]["median"] == 20.0
    foot = base["context_footprint_tokens"]
    assert (foot["n"], foot["mean"], foot["median"], foot["min"], foot["max"]) == (5, 1000.0, 1000.0, 990, 1010)
    assert foot["difference_vs_baseline"] is None and "baseline arm" in foot["difference_vs_baseline_reason"]


def test_an_arm_that_gives_up_is_not_cheap() -> None:
    analysis = analyse(records(BASE, "baseline") + records(QUITTER, "quitter"))
    quit_ = analysis["outcomes"]["per_task"]["t"]["quitter"]
    assert quit_["successes"] == 0 and quit_["cost_total_usd"] == pytest.approx(0.05)
    assert quit_["cost_per_success_usd"] is None and "0 successes" in quit_["cost_per_success_usd_reason"]
    assert quit_["tokens_per_success"] is None and quit_["tokens_per_success_reason"]
    assert [e["estimate"] for e in quit_["pass_at_k"]] == [0.0] * 5
    assert quit_["pass_at_k"][0]["ci"]["high"] == pytest.approx(WILSON_0_5_HIGH, abs=1e-6)
    assert quit_["successful_only"]["tokens_total"]["mean"] is None
    assert quit_["successful_only"]["tokens_total"]["mean_reason"] == "no successful trial"
    foot = quit_["context_footprint_tokens"]
    assert foot["difference_vs_baseline"] == 500.0 and foot["difference_vs_baseline_pct"] == 50.0
    # the footprint is also an ordinary metric of every comparison
    assert analysis["metrics"]["context_footprint_tokens"]["difference"]["estimate"] == 500.0
    assert "caveat" in analysis["outcomes"] and "successful trials only" in analysis["outcomes"]["caveat"]


def test_unknown_cost_or_outcome_is_null_with_a_reason_never_zero() -> None:
    base = dict(BASE, cost_usd=[0.10, None, 0.05, 0.30, 0.05], success=[1, 1, 0, 1, None])
    recs = records({k: v for k, v in base.items()}, "baseline") + records(QUITTER, "quitter")
    recs[4]["status"] = "failed"
    entry = analyse(recs)["outcomes"]["per_task"]["t"]["baseline"]
    assert (entry["outcome_known"], entry["outcome_unknown"], entry["successes"]) == (4, 1, 3)
    assert [e["estimate"] for e in entry["pass_at_k"]] == pytest.approx([0.75, 1.0, 1.0, 1.0])
    assert entry["cost_per_success_usd"] is None
    assert entry["cost_per_success_usd_reason"] == "cost_usd is null in 1 of 4 trials: the total is unknown"
    assert entry["tokens_per_success"] == pytest.approx(6500 / 3)  # trial 5 (unknown outcome) left out


def test_missing_arm_and_suite_overall() -> None:
    recs = records(BASE, "baseline", "a") + records(QUITTER, "quitter", "a") + records(BASE, "baseline", "b")
    analysis = analyse(recs)
    missing = analysis["outcomes"]["per_task"]["b"]["quitter"]
    assert missing["trials"] == 0 and missing["pass_at_k"] == [] and missing["pass_at_k_reason"]
    assert missing["success_rate"] is None and missing["cost_per_success_usd"] is None
    assert missing["context_footprint_tokens"]["difference_vs_baseline"] is None
    overall = analysis["outcomes"]["overall"]
    assert overall["baseline"]["successes"] == 6 and overall["baseline"]["tasks"] == 2
    assert overall["baseline"]["cost_per_success_usd"] == pytest.approx(1.40 / 6)
    assert overall["quitter"]["cost_per_success_usd"] is None


def test_reports_show_the_outcomes_and_the_caveat(tmp_path: Path) -> None:
    from popkit_bench.analysis.analyze import analyze_run
    from popkit_bench.report.generate import write_reports

    run = synthetic.write_run(tmp_path / "run", records(BASE, "baseline") + records(QUITTER, "quitter"),
                              {"run_id": "r", "arms": [{"name": "baseline"}, {"name": "quitter"}]})
    analysis = analyze_run(run)
    paths = write_reports(run, analysis, tmp_path / "out", ("all",))
    text = {p.suffix: p.read_text(encoding="utf-8") for p in paths if p.name != "index.html"}
    for suffix in (".md", ".html"):
        body = text[suffix]
        assert "Outcomes per task and arm" in body and "Efficiency among successful trials only" in body
        assert "among successful trials only: an arm that succeeds only on its easy attempts" in body
        assert "60% [23%, 88%]" in body  # pass@1 of the baseline with its Wilson interval
        assert "$0.2333" in body  # baseline cost per success: 0.70 / 3
        assert "0 successes in 5 trials" in body  # the quitter's cost per success is not a number
        assert "+500 tokens (+50.0%)" in body  # the quitter's context footprint vs the baseline
    report = json.loads(text[".json"])
    rows = {r["arm"]: r for r in report["report"]["outcomes"]["rows"]}
    assert rows["baseline"]["pass_at_n"] == "100% [73%, 100%]"  # 1 - (1 - 0.2307)^5 = 0.7306
    assert report["analysis"]["outcomes"]["per_task"]["t"]["quitter"]["cost_per_success_usd"] is None
