"""An eval set whose only expectations are plain text, with no LLM grader: real CLI + scripted model.

Tokens and time are still measured, the gate does not pass (unless --allow-ungraded), the generic play and the
scripted model are named, and `skill report --config` gates from the iteration's files after the skill folder
and the eval set are gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from popkit_bench.cli import main
from popkit_bench.errors import EXIT_GATE_FAILED

pytestmark = pytest.mark.real_cli


def make_skill(root: Path) -> Path:
    skill = root / "notes-skill"
    (skill / "evals").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: notes-skill\ndescription: Writes notes.\n---\nWrite NOTES.md.\n")
    (skill / "evals" / "evals.json").write_text(json.dumps({"skill_name": "notes-skill", "evals": [
        {"id": 1, "prompt": "Write NOTES.md with today's notes.",
         "expectations": ["NOTES.md exists", "The notes mention today's date"]}]}))
    config = root / "config.json"
    config.write_text(json.dumps({"skill_name": "notes-skill", "skill_path": "./notes-skill",
                                  "eval_set_path": "./notes-skill/evals/evals.json", "trials_per_eval": 1,
                                  "timeout_seconds": 120}))
    return config


def test_plain_text_expectations_without_grader_do_not_pass_the_gate(tmp_path: Path, claude_bin: Path,
                                                                      capsys) -> None:
    config = make_skill(tmp_path)
    ws = tmp_path / "ws"
    code = main(["skill", "run", str(config), "--rehearsal", "--workspace", str(ws), "--claude-bin", str(claude_bin)])
    printed = capsys.readouterr().out
    assert code == EXIT_GATE_FAILED, printed
    assert "FAIL ungraded: 1 eval(s) have no graded assertion" in printed
    assert "Gate [scripted model (rehearsal), not a real model, generic play in 2 of 2 trials]: FAIL" in printed
    it = ws / "iteration-1"
    bench = json.loads((it / "benchmark.json").read_text())
    item = bench["per_eval"][0]
    assert item["status"] == "UNGRADED" and item["graded"] is False
    for arm in ("with_skill", "baseline"):
        assert item[arm]["trials_completed"] == 1 and item[arm]["pass_rate"] is None
        assert item[arm]["avg_tokens"] > 0 and item[arm]["avg_duration_seconds"] > 0
    assert bench["model_source"]["kind"] == "scripted" and bench["model_source"]["generic_play_tasks"] == ["eval-1"]
    assert bench["gate"]["passed"] is False
    assert "Scripted model (rehearsal)" in "\n".join((it / "report.md").read_text().splitlines()[:4])

    shutil.rmtree(tmp_path / "notes-skill")  # the report gates from the iteration's own files
    assert main(["skill", "report", str(it), "--config", str(config)]) == EXIT_GATE_FAILED
    assert main(["skill", "report", str(it), "--config", str(config), "--allow-ungraded"]) == 0
    assert "Gate [scripted model (rehearsal)" in capsys.readouterr().out
