"""Aggregation of hand-made iteration folders with known numbers: means, sd, ratios, thresholds, edge cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from popkit_bench.errors import InsufficientDataError
from popkit_bench.skill.aggregate import aggregate
from popkit_bench.skill.flow import build
from popkit_bench.skill.gate import evaluate

SEED_SUMMARY_ARM_KEYS = {"pass_rate", "pass_rate_std", "avg_tokens", "avg_duration_seconds"}


def write_run(iteration: Path, eval_id: Any, config: str, k: int, pass_rate: float | None, tokens: Any = 100,
              seconds: Any = 10.0, status: str = "completed", name: str | None = None) -> Path:
    folder = iteration / f"eval-{eval_id}" / config / f"run-{k}"
    folder.mkdir(parents=True, exist_ok=True)
    meta = iteration / f"eval-{eval_id}" / "eval_metadata.json"
    if not meta.exists():
        meta.write_text(json.dumps({"eval_id": eval_id, "eval_name": name or f"e{eval_id}", "trials_requested": 3}))
    (folder / "trial.json").write_text(json.dumps({"status": status}))
    if status in ("timeout", "error"):
        return folder
    (folder / "timing.json").write_text(json.dumps({"total_tokens": tokens, "total_duration_seconds": seconds}))
    passed = round((pass_rate or 0) * 10)  # rates in these tests are multiples of 0.1
    (folder / "grading.json").write_text(json.dumps({
        "assertions": [{"name": f"a{i}", "passed": i < passed, "evidence": "x"} for i in range(10)],
        "summary": {"passed": passed, "failed": 10 - passed, "total": 10, "pass_rate": pass_rate},
    }))
    return folder


def fill(iteration: Path, eval_id: Any, config: str, rates: list[float], tokens: list[float], secs: list[float],
         name: str | None = None) -> None:
    for k, (r, t, s) in enumerate(zip(rates, tokens, secs, strict=True), start=1):
        write_run(iteration, eval_id, config, k, r, t, s, name=name)


@pytest.fixture
def known(tmp_path: Path) -> Path:
    it = tmp_path / "ws" / "iteration-1"
    fill(it, 0, "with_skill", [1, 1, 1], [100, 200, 300], [10, 20, 30], "basic-trigger")
    fill(it, 0, "without_skill", [1, 0, 1], [400, 400, 400], [40, 40, 40])
    fill(it, 1, "with_skill", [1, 0.5, 1], [1000, 1000, 1000], [60, 60, 60], "edge")
    fill(it, 1, "without_skill", [0.5, 0.5, 0.5], [2000, 2000, 2000], [90, 90, 90])
    return it


def test_known_numbers_give_the_exact_benchmark(known: Path) -> None:
    bench = aggregate(known, "my-skill", timestamp="2026-03-06T12:00:00Z")
    assert bench["skill_name"] == "my-skill" and bench["iteration"] == 1
    assert bench["timestamp"] == "2026-03-06T12:00:00Z"
    summary = bench["summary"]
    assert summary["total_evals"] == 2
    ws = {k: summary["with_skill"][k] for k in SEED_SUMMARY_ARM_KEYS}
    base = {k: summary["baseline"][k] for k in SEED_SUMMARY_ARM_KEYS}
    assert ws == {"pass_rate": 0.9167, "pass_rate_std": 0.2041, "avg_tokens": 600.0, "avg_duration_seconds": 40.0}
    assert base == {"pass_rate": 0.5833, "pass_rate_std": 0.4082, "avg_tokens": 1200.0,
                    "avg_duration_seconds": 65.0}
    assert summary["improvement_ratio"] == 1.5716  # 0.9167 / 0.5833: the ratio of the values shown
    assert summary["token_savings_ratio"] == 0.5
    assert summary["time_savings_ratio"] == 0.6154
    assert bench["thresholds_met"] == {"min_pass_rate": True, "max_avg_tokens": True,
                                       "max_avg_duration_seconds": True, "min_improvement_ratio": True}
    first, second = bench["per_eval"]
    assert first["eval_id"] == 0 and first["eval_name"] == "basic-trigger" and first["trials"] == 3
    assert first["with_skill"]["pass_rate"] == 1.0 and first["with_skill"]["avg_tokens"] == 200.0
    assert first["with_skill"]["avg_duration_seconds"] == 20.0
    assert first["baseline"]["pass_rate"] == 0.6667 and first["baseline"]["pass_rate_std"] == 0.5774
    assert first["trials_requested"] == 3 and first["trials_completed"] == 3
    assert first["reliability"] == "low"  # the baseline arm disagrees between trials
    assert second["with_skill"]["pass_rate"] == 0.8333 and second["with_skill"]["pass_rate_std"] == 0.2887
    assert second["reliability"] == "medium"
    assert second["status"] == "PASS" and first["status"] == "PASS"


def test_benchmark_has_the_seed_schema(known: Path) -> None:
    bench = aggregate(known, "my-skill")
    assert {"skill_name", "iteration", "timestamp", "summary", "per_eval", "thresholds_met"} <= set(bench)
    assert {"total_evals", "with_skill", "baseline", "improvement_ratio", "token_savings_ratio",
            "time_savings_ratio"} <= set(bench["summary"])
    for arm in ("with_skill", "baseline"):
        assert SEED_SUMMARY_ARM_KEYS <= set(bench["summary"][arm])
    for item in bench["per_eval"]:
        assert {"eval_id", "eval_name", "with_skill", "baseline", "trials", "trials_requested",
                "trials_completed", "reliability"} <= set(item)
        for arm in ("with_skill", "baseline"):
            assert {"pass_rate", "avg_tokens", "avg_duration_seconds"} <= set(item[arm])
    assert set(bench["thresholds_met"]) == {"min_pass_rate", "max_avg_tokens", "max_avg_duration_seconds",
                                            "min_improvement_ratio"}
    json.dumps(bench, allow_nan=False)


def test_flaky_trials_are_excluded_and_counted(tmp_path: Path) -> None:
    it = tmp_path / "iteration-1"
    write_run(it, 0, "with_skill", 1, 1.0, 100, 10)
    write_run(it, 0, "with_skill", 2, 0.5, 300, 30)
    write_run(it, 0, "with_skill", 3, None, status="timeout")
    fill(it, 0, "without_skill", [0.5, 0.5, 0.5], [100, 100, 100], [10, 10, 10])
    item = aggregate(it, "s")["per_eval"][0]
    assert item["trials_requested"] == 3 and item["trials_completed"] == 2 and item["trials"] == 2
    assert item["with_skill"]["excluded"] == {"timeout": 1}
    assert item["with_skill"]["pass_rate"] == 0.75 and item["with_skill"]["avg_tokens"] == 200.0
    assert item["reliability"] == "low"


def test_fewer_than_two_completed_trials_is_unreliable(tmp_path: Path) -> None:
    it = tmp_path / "iteration-1"
    write_run(it, 0, "with_skill", 1, 1.0)
    write_run(it, 0, "with_skill", 2, None, status="error")
    write_run(it, 0, "with_skill", 3, None, status="timeout")
    fill(it, 0, "without_skill", [0.5, 0.5, 0.5], [100, 100, 100], [10, 10, 10])
    bench = aggregate(it, "s")
    item = bench["per_eval"][0]
    assert item["reliability"] == "unreliable" and item["trials_completed"] == 1
    assert item["with_skill"]["pass_rate_std"] is None
    assert bench["summary"]["with_skill"]["pass_rate_std"] is None
    assert any("unreliable" in n for n in bench["notes"])


def test_missing_baseline_gives_with_skill_only_and_no_improvement_ratio(tmp_path: Path) -> None:
    it = tmp_path / "iteration-1"
    fill(it, 0, "with_skill", [1, 1, 1], [100, 100, 100], [10, 10, 10])
    for k in (1, 2, 3):
        write_run(it, 0, "without_skill", k, None, status="error")
    bench = aggregate(it, "s")
    assert bench["summary"]["baseline"] is None
    assert bench["summary"]["improvement_ratio"] is None and bench["summary"]["token_savings_ratio"] is None
    assert bench["thresholds_met"]["min_improvement_ratio"] is None
    assert bench["per_eval"][0]["baseline"] is None
    assert any("baseline missing" in n for n in bench["notes"])
    assert evaluate(bench) == []  # a skipped threshold does not fail the gate


def test_a_value_equal_to_its_threshold_passes(tmp_path: Path) -> None:
    it = tmp_path / "iteration-1"
    fill(it, 0, "with_skill", [1, 0.5, 0.9], [100, 100, 100], [120, 120, 120])
    fill(it, 0, "without_skill", [0.8, 0.8, 0.8], [100, 100, 100], [120, 120, 120])
    thresholds = {"min_pass_rate": 0.8, "max_avg_tokens": 100, "max_avg_duration_seconds": 120,
                  "min_improvement_ratio": 1.0}
    bench = aggregate(it, "s", thresholds=thresholds)
    assert bench["summary"]["with_skill"]["pass_rate"] == 0.8
    assert bench["summary"]["improvement_ratio"] == 1.0
    assert all(bench["thresholds_met"].values())


def test_failed_thresholds_name_value_and_culprit_evals(known: Path) -> None:
    thresholds = {"min_pass_rate": 0.95, "max_avg_tokens": 500, "max_avg_duration_seconds": 120,
                  "min_improvement_ratio": 1.0}
    bench = aggregate(known, "s", thresholds=thresholds)
    failures = {f.check: f for f in evaluate(bench)}
    assert set(failures) == {"min_pass_rate", "max_avg_tokens"}
    assert failures["min_pass_rate"].value == 0.9167 and failures["min_pass_rate"].evals == [1]
    assert failures["max_avg_tokens"].evals == [1]
    assert "0.9167 is not >= 0.95" in failures["min_pass_rate"].describe()


def test_baseline_pass_rate_zero_has_no_ratio_but_meets_improvement(tmp_path: Path) -> None:
    it = tmp_path / "iteration-1"
    fill(it, 0, "with_skill", [1, 1, 1], [1, 1, 1], [1, 1, 1])
    fill(it, 0, "without_skill", [0, 0, 0], [1, 1, 1], [1, 1, 1])
    bench = aggregate(it, "s")
    assert bench["summary"]["improvement_ratio"] is None
    assert bench["thresholds_met"]["min_improvement_ratio"] is True


def test_missing_tokens_are_null_not_zero(tmp_path: Path) -> None:
    it = tmp_path / "iteration-1"
    fill(it, 0, "with_skill", [1, 1], [None, None], [1, 1])
    fill(it, 0, "without_skill", [1, 1], [10, 10], [1, 1])
    bench = aggregate(it, "s")
    assert bench["summary"]["with_skill"]["avg_tokens"] is None
    assert bench["summary"]["token_savings_ratio"] is None
    assert bench["thresholds_met"]["max_avg_tokens"] is None


def test_empty_iteration_is_insufficient_data(tmp_path: Path) -> None:
    (tmp_path / "iteration-1").mkdir()
    with pytest.raises(InsufficientDataError):
        aggregate(tmp_path / "iteration-1", "s")


def test_skill_creator_workspace_is_read(tmp_path: Path) -> None:
    """skill-creator writes eval-<name>/{with_skill,without_skill}/run-N/grading.json with `expectations`."""
    it = tmp_path / "iteration-1"
    for config, results, tokens in (("with_skill", [True, True], 3000), ("without_skill", [True, False], 5000)):
        for k in (1, 2):
            run = it / "eval-ocean" / config / f"run-{k}"
            (run / "outputs").mkdir(parents=True)
            (run / "grading.json").write_text(json.dumps({
                "expectations": [{"text": f"t{i}", "passed": p, "evidence": "e"} for i, p in enumerate(results)],
                "summary": {"passed": sum(results), "failed": 2 - sum(results), "total": 2,
                            "pass_rate": sum(results) / 2},
                "timing": {"total_duration_seconds": 30.0 if config == "with_skill" else 45.0},
            }))
            (run / "timing.json").write_text(json.dumps({"total_tokens": tokens, "duration_ms": 23332}))
    (it / "eval-ocean" / "eval_metadata.json").write_text(json.dumps({"eval_id": 7, "eval_name": "Ocean"}))
    run = it / "runs-not-evals"
    run.mkdir()
    bench = aggregate(it, "pdf")
    item = bench["per_eval"][0]
    assert item["eval_id"] == 7 and item["eval_name"] == "Ocean"
    assert item["with_skill"]["pass_rate"] == 1.0 and item["baseline"]["pass_rate"] == 0.5
    assert item["with_skill"]["avg_tokens"] == 3000.0
    assert item["with_skill"]["avg_duration_seconds"] == 23.332  # timing.json duration_ms wins over grading
    assert bench["summary"]["improvement_ratio"] == 2.0 and bench["summary"]["token_savings_ratio"] == 0.6
    assert bench["baseline_config"] == "without_skill"


def test_skill_creator_old_skill_and_legacy_runs_folder(tmp_path: Path) -> None:
    it = tmp_path / "bench"
    for config, rate in (("new_skill", 1.0), ("old_skill", 0.5)):
        run = it / "runs" / "eval-3" / config / "run-1"
        run.mkdir(parents=True)
        (run / "grading.json").write_text(json.dumps({"summary": {"pass_rate": rate}}))
    bench = aggregate(it, "s")
    assert bench["per_eval"][0]["eval_id"] == 3
    assert bench["summary"]["improvement_ratio"] == 2.0 and bench["baseline_config"] == "old_skill"
    assert bench["iteration"] is None


def test_second_iteration_regression_fails_the_gate(known: Path) -> None:
    first = build(known, "my-skill", gate=True)
    assert first.failures == [] and first.comparison is None
    second = known.parent / "iteration-2"
    fill(second, 0, "with_skill", [0, 1, 0], [100, 100, 100], [10, 10, 10], "basic-trigger")
    fill(second, 0, "without_skill", [1, 0, 1], [400, 400, 400], [40, 40, 40])
    fill(second, 1, "with_skill", [1, 1, 1], [1000, 1000, 1000], [60, 60, 60], "edge")
    fill(second, 1, "without_skill", [0.5, 0.5, 0.5], [2000, 2000, 2000], [90, 90, 90])
    outcome = build(second, "my-skill", gate=True)
    comparison = outcome.comparison
    assert comparison is not None and comparison["previous_iteration"] == 1
    assert [r["eval_id"] for r in comparison["regressions"]] == [0]
    assert comparison["regressions"][0]["previous"] == "PASS" and comparison["regressions"][0]["current"] == "FAIL"
    assert comparison["improvements"] == []
    assert comparison["deltas"]["pass_rate"]["absolute"] == round(0.6667 - 0.9167, 4)
    checks = {f.check for f in outcome.failures}
    assert "regressions" in checks and "min_pass_rate" in checks
    report = (second / "report.md").read_text()
    assert "## Iteration 2 vs 1" in report
    regressions = report.split("### Regressions (Action Required)")[1].split("### Improvements")[0]
    assert "| eval-0 | PASS | FAIL |" in regressions
    assert "**Gate: FAIL**" in report and "/skill-forge" not in report and "popkit-bench skill run" in report
    saved = json.loads((second / "benchmark.json").read_text())
    assert saved["gate"]["passed"] is False and saved["comparison"]["regressions"][0]["eval_id"] == 0
    allowed = build(second, "my-skill", gate=True, allow_regressions=True)
    assert {f.check for f in allowed.failures} == {"min_pass_rate"}


def write_ungraded(iteration: Path, eval_id: Any, config: str, k: int, tokens: float, seconds: float) -> None:
    """A completed run whose only assertion is a plain-text expectation that no grader judged."""
    folder = iteration / f"eval-{eval_id}" / config / f"run-{k}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trial.json").write_text(json.dumps({"status": "completed"}))
    (folder / "timing.json").write_text(json.dumps({"total_tokens": tokens, "total_duration_seconds": seconds}))
    (folder / "grading.json").write_text(json.dumps({
        "assertions": [{"name": "the report names the risk", "type": "llm", "passed": None,
                        "evidence": "not graded"}],
        "summary": {"passed": 0, "failed": 0, "total": 0, "pass_rate": None, "ungraded": 1}}))


def test_an_ungraded_eval_keeps_tokens_and_time_and_fails_the_gate(tmp_path: Path) -> None:
    it = tmp_path / "ws" / "iteration-1"
    fill(it, 0, "with_skill", [1, 1, 1], [100, 100, 100], [10, 10, 10])
    fill(it, 0, "without_skill", [1, 1, 1], [100, 100, 100], [10, 10, 10])
    for k in (1, 2, 3):
        write_ungraded(it, 1, "with_skill", k, 500, 50)
        write_ungraded(it, 1, "without_skill", k, 900, 90)
    outcome = build(it, "my-skill", gate=True)
    item = outcome.benchmark["per_eval"][1]
    assert item["graded"] is False and item["status"] == "UNGRADED"
    assert item["with_skill"]["avg_tokens"] == 500 and item["with_skill"]["avg_duration_seconds"] == 50
    assert item["baseline"]["avg_tokens"] == 900 and item["with_skill"]["pass_rate"] is None
    assert item["with_skill"]["trials_completed"] == 3 and item["with_skill"]["trials_ungraded"] == 3
    assert outcome.benchmark["summary"]["with_skill"]["avg_tokens"] == 300  # both evals' tokens count
    notes = " ".join(outcome.benchmark["notes"])
    assert "no completed baseline trial" not in notes and "no graded assertion" in notes
    assert [(f.check, f.evals) for f in outcome.failures] == [("ungraded", [1])]
    report = (it / "report.md").read_text()
    assert "**Gate: FAIL**" in report and "eval-1: no assertion was graded" in report
    allowed = build(it, "my-skill", gate=True, allow_ungraded=True)
    assert allowed.failures == []


def test_an_all_ungraded_iteration_never_passes_the_gate(tmp_path: Path) -> None:
    it = tmp_path / "ws" / "iteration-1"
    for k in (1, 2):
        write_ungraded(it, 0, "with_skill", k, 500, 50)
        write_ungraded(it, 0, "without_skill", k, 900, 90)
    bench = aggregate(it, "my-skill")
    assert bench["thresholds_met"]["min_pass_rate"] is None  # nothing to judge the threshold on ...
    assert [f.check for f in evaluate(bench)] == ["ungraded"]  # ... so the gate does not pass
    legacy = json.loads(json.dumps(bench))  # a benchmark.json written before `graded` existed
    del legacy["per_eval"][0]["graded"]
    assert [f.check for f in evaluate(legacy)] == ["ungraded"]


def test_model_source_is_recorded_in_benchmark_json(known: Path) -> None:
    bench = aggregate(known, "my-skill")
    assert bench["model_source"]["kind"] == "unknown" and "not recorded" in bench["model_source"]["label"]
    run = known / "_run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"run_id": "skill", "rehearsal": True}))
    trial = run / "trials" / "eval-0" / "with_skill" / "1"
    trial.mkdir(parents=True)
    (trial / "rehearsal.json").write_text(json.dumps({"variants": ["generic-play"]}))
    (run / "results.jsonl").write_text(json.dumps({"task_id": "eval-0", "arm": "with_skill", "trial": 1,
                                                   "trial_dir": "trials/eval-0/with_skill/1"}) + "\n")
    outcome = build(known, "my-skill", gate=True)
    source = outcome.benchmark["model_source"]
    assert source["kind"] == "scripted" and source["generic_play_trials"] == 1
    assert source["generic_play_tasks"] == ["eval-0"]
    md = (known / "report.md").read_text().splitlines()
    assert md[0].startswith("# Benchmark Report") and "Scripted model (rehearsal)" in md[2]
    html = (known / "report.html").read_text()
    assert html.split("<body>", 1)[1].lstrip().startswith('<div class="banner" id="model-source"')
