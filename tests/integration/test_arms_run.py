"""`run --arms` and `--reuse` through the real CLI and the scripted model.

Four arms (nothing, a plugin, a CLAUDE.md, another model): each is pure, the scripted model answers per arm,
and the analysis compares every arm with the baseline. A second run with --reuse counts the unchanged arms'
trials once instead of running them, and runs the arm whose model changed, naming the field.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal

pytestmark = pytest.mark.real_cli

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "arms-task"
TASK = FIXTURE / "arms-task.yml"
TRIALS = 2


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, claude_bin: Path) -> dict[str, object]:
    base = tmp_path_factory.mktemp("arms")
    folder = base / "inputs"
    shutil.copytree(FIXTURE, folder)  # arms files use paths relative to themselves
    changed = (folder / "arms.yml").read_text().replace("name: sonnet", "name: other-model").replace(
        "model: claude-sonnet-4-5", "model: claude-haiku-4-5")
    (folder / "arms-changed.yml").write_text(changed)
    first, second = base / "first", base / "second"
    common = ["--rehearsal", "--trials", str(TRIALS), "--parallel", "2"]
    code1 = main(["run", str(TASK), "--arms", str(folder / "arms.yml"), "--run-dir", str(first),
                  "--report-dir", str(base / "reports-first"), *common])
    code2 = main(["run", str(TASK), "--arms", str(folder / "arms-changed.yml"), "--reuse", str(first),
                  "--run-dir", str(second), "--report-dir", str(base / "reports-second"), *common])
    return {"first": first, "second": second, "codes": (code1, code2)}


def test_four_arms_are_pure_and_compared_with_the_baseline(runs: dict) -> None:
    assert runs["codes"] == (0, 0)
    records = read_journal(runs["first"] / "results.jsonl")
    assert len(records) == 4 * TRIALS
    assert all(r.status == "completed" and r.purity is not None and r.purity.ok for r in records), \
        [(r.arm, r.status_reason) for r in records]
    by_arm = {r.arm: r for r in records}
    assert by_arm["sonnet"].model == "claude-sonnet-4-5" and by_arm["none"].model != "claude-sonnet-4-5"
    assert "arms-probe" in by_arm["with-plugin"].plugins_loaded
    assert all("arms-probe" not in r.plugins_loaded for r in records if r.arm != "with-plugin")
    variants = {r.arm: json.loads((runs["first"] / r.trial_dir / "rehearsal.json").read_text())["variants"]
                for r in records}
    assert variants == {"none": ["default"], "with-plugin": ["with-plugin"], "claude-md": ["claude-md"],
                        "sonnet": ["sonnet"]}
    assert all(r.metrics["success"] == (0 if r.arm == "sonnet" else 1) for r in records)
    analysis = json.loads((runs["first"] / "analysis.json").read_text())
    assert analysis["arms"]["baseline"] == "none"
    pairs = [(c["baseline"], c["treatment"]) for c in analysis["comparisons"]]
    assert pairs == [("none", "with-plugin"), ("none", "claude-md"), ("none", "sonnet")]
    info = json.loads((runs["first"] / "run.json").read_text())
    assert info["baseline_arm"] == "none" and set(info["fingerprints"]["arms-task"]) == {a["name"] for a in info["arms"]}


def test_reuse_counts_matching_arms_once_and_runs_the_changed_one(runs: dict) -> None:
    first = {(r.arm, r.trial): r for r in read_journal(runs["first"] / "results.jsonl")}
    records = read_journal(runs["second"] / "results.jsonl")
    assert len(records) == 4 * TRIALS  # every (arm, trial) once: reused ones are not run again
    reused = [r for r in records if r.reused_from is not None]
    assert sorted({r.arm for r in reused}) == ["claude-md", "none", "with-plugin"] and len(reused) == 3 * TRIALS
    for record in reused:
        origin = first[(record.reused_from.arm, record.reused_from.trial)]
        assert record.session_id == origin.session_id and record.metrics == origin.metrics
        assert Path(record.trial_dir).is_dir() and not (runs["second"] / "trials" / "arms-task" / record.arm).exists()
    fresh = [r for r in records if r.arm == "other-model"]
    assert len(fresh) == TRIALS and all(r.reused_from is None and r.model == "claude-haiku-4-5" for r in fresh)
    plan = {e["arm"]: e for e in json.loads((runs["second"] / "run.json").read_text())["reuse"]}
    assert plan["none"]["reused"] and plan["none"]["source_arm"] == "none"
    assert not plan["other-model"]["reused"] and plan["other-model"]["differs"] == ["model"]
    analysis = json.loads((runs["second"] / "analysis.json").read_text())
    assert all(v["records"] == TRIALS for v in analysis["arms"]["trials"].values())
    report = next((runs["second"].parent / "reports-second").glob("arms-task-*.md")).read_text()
    assert "(reused, " in report and " old)" in report


def test_claude_version_arm_runs_a_second_cli_from_npm(tmp_path: Path, claude_bin: Path) -> None:
    """`claude_version: 2.1.329` (installed into the cache with npm on first use) next to the pinned 2.1.330."""
    arms = tmp_path / "arms.yml"
    arms.write_text("arms:\n  - name: pinned\n  - name: older\n    claude_version: 2.1.329\n")
    run_dir = tmp_path / "run"
    code = main(["run", str(TASK), "--arms", str(arms), "--rehearsal", "--trials", "1", "--parallel", "2",
                 "--run-dir", str(run_dir), "--no-report"])
    assert code == 0
    records = {r.arm: r for r in read_journal(run_dir / "results.jsonl")}
    assert records["older"].claude_code_version == "2.1.329" and records["pinned"].claude_code_version == "2.1.330"
    assert all(r.status == "completed" and r.purity.ok for r in records.values()), records
    version_check = next(c for c in records["older"].purity.checks if c.what == "claude_code_version")
    assert version_check.expected == version_check.found == "2.1.329"
    info = json.loads((run_dir / "run.json").read_text())
    assert info["arm_cli"]["older"]["version"] == "2.1.329" and "claude-cli-2.1.329" in info["arm_cli"]["older"]["binary"]
    prints = info["fingerprints"]["arms-task"]
    assert prints["older"]["cli_version"] != prints["pinned"]["cli_version"]


def test_a_sequential_run_reuses_every_batch_it_can(runs: dict, tmp_path: Path) -> None:
    """`--sequential --reuse`: each batch the plan grows by is taken from the earlier run where the arms
    match (before, only the first batch was): batches of 1 up to 2 trials per arm, all four arms unchanged,
    so both batches are reused, no trial runs, and the looks see every trial."""
    folder = runs["first"].parent / "inputs"
    third = tmp_path / "third"
    code = main(["run", str(TASK), "--arms", str(folder / "arms.yml"), "--reuse", str(runs["first"]),
                 "--rehearsal", "--sequential", "--trials", "1", "--max-trials", str(TRIALS), "--run-dir", str(third),
                 "--report-dir", str(tmp_path / "reports")])
    assert code == 0
    records = read_journal(third / "results.jsonl")
    assert len(records) == 4 * TRIALS and all(r.reused_from is not None for r in records)
    assert sorted({r.trial for r in records}) == list(range(1, TRIALS + 1))
    looks = json.loads((third / "run.json").read_text())["sequential"]["looks"]
    assert [look["trials_per_arm"] for look in looks] == list(range(1, TRIALS + 1))
    assert not (third / "trials").exists()  # nothing ran: every trial folder is the earlier run's
