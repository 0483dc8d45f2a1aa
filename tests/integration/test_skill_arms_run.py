"""`skill run CONFIG --arms arms.yml` through the real CLI and the scripted model: 1 eval x 3 arms x 2 trials.

Arms: `none` (the baseline: nothing), `skill` (the skill under test) and `skill-sonnet` (the skill under test
plus `model: claude-sonnet-4-5`). The scripted model answers by what it sees: no skill listed (1 of 3
assertions), the skill listed (3 of 3), the skill listed to claude-sonnet-4-5 (2 of 3). Then a trial is
marked interrupted: `--resume` with another arms file is refused, `--resume` alone reruns it with the
iteration's own arms.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal

pytestmark = pytest.mark.real_cli

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "skill-arms"
CONFIG = FIXTURE / "config.json"
TOKENS = {"none": 3115, "skill": 2200, "skill-sonnet": 1550}


@pytest.fixture(scope="module")
def iteration(tmp_path_factory: pytest.TempPathFactory, claude_bin: Path) -> dict:
    ws = tmp_path_factory.mktemp("skill-arms-ws")
    common = ["--rehearsal", "--workspace", str(ws), "--claude-bin", str(claude_bin)]
    code = main(["skill", "run", str(CONFIG), "--arms", str(FIXTURE / "arms.yml"), *common])
    return {"ws": ws, "it": ws / "iteration-1", "code": code, "common": common}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_each_arm_has_its_run_folders_records_and_purity(iteration: dict) -> None:
    assert iteration["code"] == 0
    it = iteration["it"]
    records = read_journal(it / "_run" / "results.jsonl")
    assert sorted((r.arm, r.trial) for r in records) == sorted((a, k) for a in TOKENS for k in (1, 2))
    for record in records:
        assert record.status == "completed" and record.purity is not None and record.purity.ok, record.status_reason
        loaded = "report-writer" in record.plugins_loaded
        assert loaded is (record.arm != "none"), (record.arm, record.plugins_loaded)
        assert record.purity.expected_plugin == (None if record.arm == "none" else "report-writer")
        assert (record.model == "claude-sonnet-4-5") is (record.arm == "skill-sonnet")
        variants = load(it / "_run" / record.trial_dir / "rehearsal.json")["variants"]
        assert variants == [{"none": "default", "skill": "with-skill", "skill-sonnet": "sonnet-with-skill"}[record.arm]]
        folder = it / "eval-1" / record.arm / f"run-{record.trial}"
        trial = load(folder / "trial.json")
        assert trial["arm"] == record.arm and ("report-writer" in trial["plugins_loaded"]) is (record.arm != "none")
        assert load(folder / "timing.json")["total_tokens"] == TOKENS[record.arm]
        assert (folder / "grading.json").is_file()
    info = load(it / "_run" / "run.json")
    assert info["skill_arms"]["baseline"] == "none" and info["skill_arms"]["treatments"] == ["skill", "skill-sonnet"]
    assert [a["name"] for a in info["skill_arms"]["definitions"]] == ["none", "skill", "skill-sonnet"]
    assert set(info["arm_cli"]) == set(TOKENS) and set(info["fingerprints"]["eval-1"]) == set(TOKENS)


def test_benchmark_keeps_the_first_treatment_as_with_skill_and_compares_every_arm(iteration: dict) -> None:
    bench = load(iteration["it"] / "benchmark.json")
    summary = bench["summary"]
    assert summary["with_skill"]["pass_rate"] == 1.0 and summary["with_skill"]["avg_tokens"] == TOKENS["skill"]
    assert summary["baseline"]["pass_rate"] == round(1 / 3, 4) and summary["baseline"]["avg_tokens"] == TOKENS["none"]
    assert bench["baseline_config"] == "none" and bench["gate"]["passed"] is True
    arms = bench["arms"]
    assert arms["gated"] == "skill" and arms["baseline"] == {
        "arm": "none", "description": "nothing added", "summary": summary["baseline"]}
    entries = {t["arm"]: t for t in arms["treatments"]}
    assert list(entries) == ["skill", "skill-sonnet"]
    assert entries["skill"]["summary"] == summary["with_skill"]
    sonnet = entries["skill-sonnet"]
    assert sonnet["description"] == "skill report-writer (under test) + model claude-sonnet-4-5"
    assert sonnet["summary"]["pass_rate"] == round(2 / 3, 4) and sonnet["summary"]["avg_tokens"] == TOKENS["skill-sonnet"]
    assert sonnet["token_savings_ratio"] == round(TOKENS["skill-sonnet"] / TOKENS["none"], 4)
    assert sonnet["thresholds_met"]["min_pass_rate"] is False  # shown, not gated
    creator = load(iteration["it"] / "skill-creator-benchmark.json")
    assert {r["configuration"] for r in creator["runs"]} == {"with_skill", "without_skill"}


def test_the_report_names_each_arm(iteration: dict) -> None:
    md = (iteration["it"] / "report.md").read_text()
    assert "arm `skill` (the first treatment arm" in md and "**Gate: PASS**" in md
    rows = md.split("### Arms")[1].split("###")[0]
    assert "| none | baseline | nothing added |" in rows
    assert "| skill | treatment, gated | skill report-writer (under test) | 100% |" in rows
    assert "| skill-sonnet | treatment (not gated) | skill report-writer (under test) + model claude-sonnet-4-5 | 67% |" \
        in rows
    assert "<td>skill-sonnet</td>" in (iteration["it"] / "report.html").read_text()


def test_resume_uses_the_iterations_arms_and_refuses_others(iteration: dict, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture) -> None:
    it = iteration["it"]
    journal = it / "_run" / "results.jsonl"
    lines = journal.read_text().splitlines()
    index = max(i for i, line in enumerate(lines) if json.loads(line)["arm"] == "skill-sonnet")
    record = json.loads(lines[index])
    record["status"] = "interrupted"  # as Ctrl-C leaves a running trial
    journal.write_text("\n".join(lines[:index] + [json.dumps(record)] + lines[index + 1:]) + "\n")
    other = tmp_path / "arms.yml"
    other.write_text((FIXTURE / "arms.yml").read_text().replace("claude-sonnet-4-5", "claude-haiku-4-5"))
    capsys.readouterr()
    refused = main(["skill", "run", str(CONFIG), "--resume", "--arms", str(other), *iteration["common"]])
    assert refused == 2 and "started with other arms" in capsys.readouterr().err
    assert main(["skill", "run", str(CONFIG), "--resume", *iteration["common"]]) == 0
    finals = [r for r in read_journal(journal) if r.arm == "skill-sonnet" and r.trial == record["trial"]
              and r.status == "completed"]
    assert len(finals) == 1 and finals[0].session_id != record["session_id"]
    assert finals[0].model == "claude-sonnet-4-5" and finals[0].purity.ok
    assert "report-writer" in finals[0].plugins_loaded
    assert load(it / "benchmark.json")["arms"]["treatments"][1]["summary"]["trials_completed"] == 2
