"""A real `demo` run (real CLI + scripted model): pass@k, cost per success and the context footprint are in
every trial record, analysis.json (valid against docs/schema/analysis.schema.json) and the reports."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal_json

pytestmark = pytest.mark.real_cli
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schema" / "analysis.schema.json"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, claude_bin: Path) -> tuple[Path, Path, int]:
    base = tmp_path_factory.mktemp("numbers-demo")
    run_dir, report_dir = base / "run", base / "reports"
    code = main(["demo", "--trials", "2", "--run-dir", str(run_dir), "--report-dir", str(report_dir)])
    return run_dir, report_dir, code


def first_request_context(trial_dir: Path) -> int:
    """input + cache read + cache creation of the first main-loop assistant event in stream.jsonl."""
    for line in (trial_dir / "stream.jsonl").read_text().splitlines():
        event = json.loads(line) if line.strip() else {}
        if event.get("type") == "assistant" and not event.get("parent_tool_use_id"):
            usage = event["message"]["usage"]
            return usage["input_tokens"] + usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"]
    raise AssertionError("no assistant event")


def test_records_carry_the_context_footprint(demo: tuple[Path, Path, int]) -> None:
    run_dir, _, code = demo
    assert code == 0
    records = read_journal_json(run_dir / "results.jsonl")
    assert len(records) == 4
    for record in records:
        footprint = record["metrics"]["context_footprint_tokens"]
        assert isinstance(footprint, int) and footprint > 0, record["metrics_null_reasons"]
        assert footprint == first_request_context(run_dir / record["trial_dir"])
        assert footprint <= record["metrics"]["context_peak_tokens"]


def test_analysis_json_has_the_numbers_and_matches_the_schema(demo: tuple[Path, Path, int]) -> None:
    run_dir = demo[0]
    analysis = json.loads((run_dir / "analysis.json").read_text())
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(analysis)
    records = read_journal_json(run_dir / "results.jsonl")
    outcomes = analysis["outcomes"]["per_task"]["pagination-off-by-one"]
    for arm in ("baseline", "popkit-ops"):
        mine = [r for r in records if r["arm"] == arm]
        entry = outcomes[arm]
        successes = sum(r["metrics"]["success"] for r in mine)
        assert entry["successes"] == successes and entry["outcome_known"] == 2
        assert [e["k"] for e in entry["pass_at_k"]] == [1, 2] and [e["k"] for e in entry["pass_hat_k"]] == [1, 2]
        assert entry["pass_at_k"][0]["estimate"] == successes / 2
        cost = sum(r["metrics"]["cost_usd"] for r in mine)
        assert entry["cost_total_usd"] == pytest.approx(cost)
        assert entry["cost_per_success_usd"] == pytest.approx(cost / successes)
        footprints = [r["metrics"]["context_footprint_tokens"] for r in mine]
        assert entry["context_footprint_tokens"]["mean"] == pytest.approx(sum(footprints) / 2)
    versus = outcomes["popkit-ops"]["context_footprint_tokens"]["difference_vs_baseline"]
    expected = outcomes["popkit-ops"]["context_footprint_tokens"]["mean"] - outcomes["baseline"]["context_footprint_tokens"]["mean"]
    assert versus == pytest.approx(expected)
    assert "context_footprint_tokens" in analysis["metrics"]


def test_reports_show_the_numbers(demo: tuple[Path, Path, int]) -> None:
    reports = {p.suffix: p for p in demo[1].iterdir() if p.name != "index.html"}
    for suffix in (".md", ".html"):
        text = reports[suffix].read_text()
        assert "Outcomes per task and arm" in text and "pass@1" in text and "Cost per success" in text
        assert "among successful trials only" in text
    data = json.loads(reports[".json"].read_text())
    assert {r["arm"] for r in data["report"]["outcomes"]["rows"]} == {"baseline", "popkit-ops"}
    assert data["analysis"]["outcomes"]["per_task"]
