"""`popkit-bench demo` through the real CLI and the scripted model: the whole slice, measured."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal_json

pytestmark = pytest.mark.real_cli

CORE_METRICS = (
    "tokens_total", "tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_creation",
    "context_peak_tokens", "cost_usd", "turns", "tool_calls", "errors", "error_rate", "backtracking",
    "duration_s", "duration_api_s", "verification_pass_rate",
)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, claude_bin: Path) -> tuple[Path, Path, int]:
    base = tmp_path_factory.mktemp("demo")
    run_dir, report_dir = base / "run", base / "reports"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["demo", "--trials", "3", "--run-dir", str(run_dir), "--report-dir", str(report_dir)])
    (base / "stdout.txt").write_text(printed.getvalue(), encoding="utf-8")
    return run_dir, report_dir, code


def result_event(trial_dir: Path) -> dict:
    events = [json.loads(line) for line in (trial_dir / "stream.jsonl").read_text().splitlines() if line.strip()]
    return [e for e in events if e.get("type") == "result"][-1]


def test_demo_completes_six_trials_in_two_arms(demo_run: tuple[Path, Path, int]) -> None:
    run_dir, _, code = demo_run
    assert code == 0
    records = read_journal_json(run_dir / "results.jsonl")
    assert len(records) == 6
    assert {r["status"] for r in records} == {"completed"}, [r["status_reason"] for r in records]
    assert sorted({r["arm"] for r in records}) == ["baseline", "popkit-ops"]
    for record in records:
        for name in CORE_METRICS:
            value = record["metrics"][name]
            assert isinstance(value, (int, float)) and not isinstance(value, bool), (name, record["metrics"])
        assert record["claude_code_version"] == "2.1.330"
        assert record["verification"] and all(v["passed"] for v in record["verification"])


def test_baseline_is_pure_and_treatment_loads_the_plugin(demo_run: tuple[Path, Path, int]) -> None:
    records = read_journal_json(demo_run[0] / "results.jsonl")
    for record in records:
        assert record["purity"]["ok"], record["purity"]
        if record["arm"] == "baseline":
            assert "popkit-ops" not in record["plugins_loaded"]
        else:
            assert "popkit-ops" in record["plugins_loaded"]


def test_token_totals_equal_model_usage_and_tool_calls_equal_what_the_model_sent(
    demo_run: tuple[Path, Path, int],
) -> None:
    run_dir = demo_run[0]
    for record in read_journal_json(run_dir / "results.jsonl"):
        trial_dir = run_dir / record["trial_dir"]
        usage = result_event(trial_dir)["modelUsage"]
        expected = {
            "tokens_input": sum(m["inputTokens"] for m in usage.values()),
            "tokens_output": sum(m["outputTokens"] for m in usage.values()),
            "tokens_cache_read": sum(m["cacheReadInputTokens"] for m in usage.values()),
            "tokens_cache_creation": sum(m["cacheCreationInputTokens"] for m in usage.values()),
        }
        metrics = record["metrics"]
        assert {k: metrics[k] for k in expected} == expected
        assert metrics["tokens_total"] == sum(expected.values())
        served = json.loads((trial_dir / "rehearsal.json").read_text())
        assert metrics["tool_calls"] == len(served["tool_uses"])
        assert record["tools"] == served["tool_counts"]
        assert served["usage_totals"]["input_tokens"] == expected["tokens_input"]


def test_the_plugin_changes_what_the_model_does(demo_run: tuple[Path, Path, int]) -> None:
    run_dir = demo_run[0]
    calls = {"baseline": [], "popkit-ops": []}
    for record in read_journal_json(run_dir / "results.jsonl"):
        calls[record["arm"]].append(record["metrics"]["tool_calls"])
    assert max(calls["popkit-ops"]) < min(calls["baseline"])


def test_reports_and_run_json_are_written(demo_run: tuple[Path, Path, int]) -> None:
    run_dir, report_dir, _ = demo_run
    run_json = json.loads((run_dir / "run.json").read_text())
    assert run_json["claude_code"]["version"] == "2.1.330"
    assert len(run_json["plan"]) == 6
    assert (run_dir / "analysis.json").exists()
    assert list(report_dir.glob("pagination-off-by-one-*.md"))
    assert list(report_dir.glob("pagination-off-by-one-*.json"))


def test_no_worktree_or_config_dir_is_left(demo_run: tuple[Path, Path, int]) -> None:
    run_dir = demo_run[0]
    assert not any((run_dir / "worktrees").glob("*")) if (run_dir / "worktrees").exists() else True
    from popkit_bench.agent.isolation import config_root

    root = config_root(run_dir.name)
    assert not root.exists() or not any(root.iterdir())


def test_no_secret_in_run_folder(demo_run: tuple[Path, Path, int]) -> None:
    run_dir = demo_run[0]
    for path in run_dir.rglob("*"):
        if path.is_file() and "codebases" not in path.parts:
            assert "rehearsal-no-key" not in path.read_text(errors="replace"), path


def test_init_event_lists_the_plugins_command_and_skill(demo_run: tuple[Path, Path, int]) -> None:
    run_dir = demo_run[0]
    for record in read_journal_json(run_dir / "results.jsonl"):
        events = [json.loads(x) for x in (run_dir / record["trial_dir"] / "stream.jsonl").read_text().splitlines()
                  if x.strip()]
        init = next(e for e in events if e.get("type") == "system" and e.get("subtype") == "init")
        listed = set(init.get("slash_commands", [])) | set(init.get("skills", []))
        has_plugin = {"popkit-ops:benchmark", "popkit-ops:pop-benchmark-runner"} <= listed
        assert has_plugin == (record["arm"] == "popkit-ops"), sorted(listed)


def test_console_verdict_and_report_tops_say_scripted_model(demo_run: tuple[Path, Path, int]) -> None:
    _, report_dir, _ = demo_run
    printed = (report_dir.parent / "stdout.txt").read_text(encoding="utf-8")
    verdict = next(line for line in printed.splitlines() if line.startswith("Verdict"))
    assert verdict.startswith("Verdict [scripted model (rehearsal), not a real model]: "), verdict
    assert "generic play" not in verdict  # the demo task has its own play
    md = next(report_dir.glob("pagination-off-by-one-*.md")).read_text(encoding="utf-8")
    assert "Scripted model (rehearsal)" in "\n".join(md.splitlines()[:5])
    html = next(report_dir.glob("pagination-off-by-one-*.html")).read_text(encoding="utf-8")
    assert html.split("<main>", 1)[1].lstrip().startswith('<div class="banner banner-scripted" id="model-source"')
    data = json.loads(next(report_dir.glob("pagination-off-by-one-*.json")).read_text(encoding="utf-8"))
    assert data["model_source"]["kind"] == "scripted" and data["model_source"]["generic_play_trials"] == 0
    assert "scripted model</span>" in (report_dir / "index.html").read_text(encoding="utf-8")


def test_environment_lists_the_builtin_plugins_of_both_arms(demo_run: tuple[Path, Path, int]) -> None:
    data = json.loads(next(demo_run[1].glob("pagination-off-by-one-*.json")).read_text(encoding="utf-8"))
    rows = {row["label"]: row["value"] for row in data["report"]["environment"]}
    assert "cc-plugin-" in rows["Built-in plugins (loaded in every arm)"], rows
    assert rows["Overlap with built-ins"].startswith("none: no command or skill of popkit-ops")


def test_every_demo_record_validates_against_the_published_schema(demo_run: tuple[Path, Path, int]) -> None:
    from records import assert_valid_journal

    run_dir, _, _ = demo_run
    assert assert_valid_journal(run_dir / "results.jsonl") == 6
    for record in read_journal_json(run_dir / "results.jsonl"):
        assert record["executor"] == "local" and record["terminal_reason"] and record["final_answer"]
        assert record["session_id"] == result_event(run_dir / record["trial_dir"])["session_id"]
