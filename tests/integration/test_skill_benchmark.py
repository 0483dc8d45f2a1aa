"""The skill-forge flow end to end: real Claude Code CLI + scripted model, 2 evals x 2 arms x 3 trials, twice.

Iteration 1 benchmarks the fixture skill `report-writer` (its presence switches the plays' variants) and
passes the gate; iteration 2 benchmarks a version whose description lost "JSON summaries", so eval 2
regresses: listed under Regressions, the gate fails, exit code 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.real_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "skill-bench"
# Token totals follow from the plays' explicit usage (with skill / without, per eval).
TOKENS = {1: (2320, 5380), 2: (2200, 3115)}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, claude_bin: Path) -> tuple[Path, int, int]:
    from popkit_bench.cli import main

    ws = tmp_path_factory.mktemp("skill-ws")
    common = ["--rehearsal", "--workspace", str(ws), "--claude-bin", str(claude_bin)]
    first = main(["skill", "run", str(FIXTURES / "config.json"), *common])
    second = main(["skill", "run", str(FIXTURES / "config-v2.json"), *common])
    return ws, first, second


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def result_event(stream: Path) -> dict:
    events = [json.loads(line) for line in stream.read_text().splitlines() if line.strip()]
    return [e for e in events if e.get("type") == "result"][-1]


def test_iteration_one_benchmark_matches_the_seed_schema_and_passes(workspace: tuple[Path, int, int]) -> None:
    ws, first, _ = workspace
    assert first == 0
    bench = load(ws / "iteration-1" / "benchmark.json")
    assert bench["skill_name"] == "report-writer" and bench["iteration"] == 1 and bench["timestamp"].endswith("Z")
    summary = bench["summary"]
    assert summary["total_evals"] == 2
    for arm in ("with_skill", "baseline"):
        assert {"pass_rate", "pass_rate_std", "avg_tokens", "avg_duration_seconds"} <= set(summary[arm])
        assert summary[arm]["avg_duration_seconds"] > 0
    assert summary["with_skill"]["pass_rate"] == 1.0 and summary["with_skill"]["pass_rate_std"] == 0.0
    assert summary["baseline"]["pass_rate"] == round((0.4 + 1 / 3) / 2, 4)
    assert summary["with_skill"]["avg_tokens"] == (2320 + 2200) / 2
    assert summary["baseline"]["avg_tokens"] == (5380 + 3115) / 2
    assert summary["improvement_ratio"] == round(1.0 / 0.3667, 4)
    assert summary["token_savings_ratio"] == round(2260 / 4247.5, 4)
    assert summary["time_savings_ratio"] is not None
    assert bench["thresholds_met"] == {"min_pass_rate": True, "max_avg_tokens": True,
                                       "max_avg_duration_seconds": True, "min_improvement_ratio": True}
    for item in bench["per_eval"]:
        assert {"eval_id", "eval_name", "with_skill", "baseline", "trials"} <= set(item)
        assert item["trials"] == 3 and item["trials_requested"] == 3 and item["trials_completed"] == 3
        assert item["reliability"] == "high"
        assert item["with_skill"]["avg_tokens"] == TOKENS[item["eval_id"]][0]
        assert item["baseline"]["avg_tokens"] == TOKENS[item["eval_id"]][1]
    assert bench["gate"]["passed"] is True
    assert bench["model_source"]["kind"] == "scripted" and bench["model_source"]["generic_play_trials"] == 0


def test_run_folders_hold_outputs_timing_and_grading_from_the_trial_record(workspace: tuple[Path, int, int]) -> None:
    it = workspace[0] / "iteration-1"
    for eval_id in (1, 2):
        for config, with_skill in (("with_skill", True), ("without_skill", False)):
            for k in (1, 2, 3):
                run = it / f"eval-{eval_id}" / config / f"run-{k}"
                trial = load(run / "trial.json")
                assert trial["status"] == "completed" and trial["claude_code_version"] == "2.1.330"
                assert ("report-writer" in trial["plugins_loaded"]) is with_skill
                result = result_event(it / trial["recordings"] / "stream.jsonl")
                timing = load(run / "timing.json")
                usage = result["modelUsage"]
                assert timing["total_tokens"] == sum(
                    m[key] for m in usage.values()
                    for key in ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheCreationInputTokens"))
                assert timing["duration_ms"] == result["duration_ms"]
                assert timing["total_duration_seconds"] == round(result["duration_ms"] / 1000, 3)
                grading = load(run / "grading.json")
                assert grading["summary"]["total"] == len(grading["assertions"])
                assert all({"name", "passed", "evidence"} <= set(a) for a in grading["assertions"])
                assert (run / "outputs" / "final_answer.md").read_text() == result["result"]
                produced = "REPORT.md" if eval_id == 1 else "summary.json"
                assert (run / "outputs" / "files" / produced).is_file()
    llm = [a for a in load(it / "eval-1" / "with_skill" / "run-1" / "grading.json")["assertions"] if a["type"] == "llm"]
    assert llm[0]["passed"] is True and "REPORT READY" in llm[0]["evidence"]
    baseline_llm = load(it / "eval-1" / "without_skill" / "run-1" / "grading.json")["assertions"][-1]
    assert baseline_llm["passed"] is False
    assert (it / "skill-snapshot" / "SKILL.md").is_file()


def test_iteration_one_report(workspace: tuple[Path, int, int]) -> None:
    it = workspace[0] / "iteration-1"
    md = (it / "report.md").read_text()
    for section in ("### Summary", "### Regressions (Action Required)", "### Improvements",
                    "### Per-Eval Detail", "### Variance Analysis", "### Recommendations"):
        assert section in md
    assert "**Gate: PASS**" in md and "| Pass Rate | 100% |" in md
    assert "| eval-1 | 100% | 0.00 | 3 | High |" in md
    html = (it / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "Gate: PASS" in html


def test_iteration_two_regression_fails_the_gate(workspace: tuple[Path, int, int]) -> None:
    ws, _, second = workspace
    assert second == 1
    bench = load(ws / "iteration-2" / "benchmark.json")
    assert bench["iteration"] == 2
    regressions = bench["comparison"]["regressions"]
    assert [r["eval_id"] for r in regressions] == [2]
    assert regressions[0]["previous"] == "PASS" and regressions[0]["current"] == "FAIL"
    assert bench["thresholds_met"]["min_pass_rate"] is False
    checks = {f["check"]: f for f in bench["gate"]["failures"]}
    assert set(checks) == {"min_pass_rate", "regressions"}
    assert checks["min_pass_rate"]["evals"] == [2] and checks["regressions"]["evals"] == [2]
    md = (ws / "iteration-2" / "report.md").read_text()
    assert "## Iteration 2 vs 1" in md and "**Gate: FAIL**" in md
    section = md.split("### Regressions (Action Required)")[1].split("### Improvements")[0]
    assert "| eval-2 | PASS | FAIL |" in section and "counts 3 items" in section
    recommendations = md.split("### Recommendations")[1]
    assert "/skill-forge" not in md and "popkit-bench skill run" in recommendations


def test_skill_creator_reads_our_workspace(workspace: tuple[Path, int, int]) -> None:
    from skill_creator_schema import read_benchmark, read_workspace

    it = workspace[0] / "iteration-1"
    runs = read_workspace(it)
    assert len(runs["with_skill"]) == 6 and len(runs["without_skill"]) == 6
    assert all(r["pass_rate"] is not None and r["tokens"] > 0 for rs in runs.values() for r in rs)
    creator = read_benchmark(it / "skill-creator-benchmark.json")
    ours = load(it / "benchmark.json")
    assert creator["means"]["with_skill"]["pass_rate"] == ours["summary"]["with_skill"]["pass_rate"] == 1.0
    assert creator["means"]["with_skill"]["tokens"] == (TOKENS[1][0] + TOKENS[2][0]) / 2
    assert creator["means"]["without_skill"]["tokens"] == (TOKENS[1][1] + TOKENS[2][1]) / 2
    assert creator["delta"]["tokens"] == f"{(TOKENS[1][0] + TOKENS[2][0] - TOKENS[1][1] - TOKENS[2][1]) / 2:+.0f}"


def test_every_skill_run_record_validates_against_the_published_schema(workspace: tuple[Path, int, int]) -> None:
    from records import assert_valid_journal

    ws = workspace[0]
    assert assert_valid_journal(ws / "iteration-1" / "_run" / "results.jsonl") == 12
    assert assert_valid_journal(ws / "iteration-2" / "_run" / "results.jsonl") == 12
