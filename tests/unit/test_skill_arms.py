"""Arms of a skill benchmark: the wrapped skill, no skill, or the previous version; the eval's input repo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.errors import InputError
from popkit_bench.skill.config import load_config
from popkit_bench.skill.evals import EvalCase
from popkit_bench.skill.execute import eval_codebase, make_arms
from popkit_bench.workspace.git import git


def config(tmp_path: Path, **extra: object) -> Path:
    for name in ("my-skill", "old"):
        (tmp_path / name / "evals").mkdir(parents=True, exist_ok=True)
        (tmp_path / name / "SKILL.md").write_text(f"---\nname: my-skill\ndescription: {name}\n---\n")
    (tmp_path / "my-skill" / "evals" / "evals.json").write_text(
        json.dumps({"skill_name": "my-skill", "evals": [{"id": 0, "prompt": "p", "assertions": ["x"]}]}))
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"skill_name": "my-skill", "skill_path": "my-skill",
                                "eval_set_path": "my-skill/evals/evals.json", **extra}))
    return path


def test_no_skill_baseline(tmp_path: Path) -> None:
    it = tmp_path / "ws" / "iteration-1"
    arms = make_arms(load_config(config(tmp_path)), it)
    assert [a.name for a in arms] == ["with_skill", "without_skill"]
    assert arms[0].plugin_name == "my-skill" and arms[1].plugin_dirs == ()
    plugin = arms[0].plugin_dirs[0]
    assert json.loads((plugin / ".claude-plugin" / "plugin.json").read_text())["name"] == "my-skill"
    assert (plugin / "skills" / "my-skill" / "SKILL.md").is_file()
    assert (it / "skill-snapshot" / "SKILL.md").is_file()


def test_previous_baseline_from_path_or_previous_snapshot(tmp_path: Path) -> None:
    arms = make_arms(load_config(config(tmp_path, baseline_type="previous", previous_skill_path="old")),
                     tmp_path / "ws" / "iteration-1")
    assert [a.name for a in arms] == ["with_skill", "old_skill"]
    assert arms[1].plugin_name == "my-skill-previous"
    skill_md = arms[1].plugin_dirs[0] / "skills" / "my-skill" / "SKILL.md"
    assert "description: old" in skill_md.read_text()

    cfg = load_config(config(tmp_path, baseline_type="previous"))
    with pytest.raises(InputError, match="older version"):
        make_arms(cfg, tmp_path / "ws2" / "iteration-1")
    first = tmp_path / "ws3" / "iteration-1"
    (first / "skill-snapshot").mkdir(parents=True)
    (first / "skill-snapshot" / "SKILL.md").write_text("---\nname: my-skill\ndescription: snap\n---\n")
    arms = make_arms(cfg, tmp_path / "ws3" / "iteration-2")
    assert "snap" in (arms[1].plugin_dirs[0] / "skills" / "my-skill" / "SKILL.md").read_text()


def test_eval_codebase_commits_the_input_files(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("a\n")
    codebase = eval_codebase(EvalCase(3, "n", "p", files=(notes,)), tmp_path / "codebases")
    assert codebase.repo.name == "eval-3"
    assert git("show", f"{codebase.commit}:notes.txt", cwd=codebase.repo) == "a\n"
    empty = eval_codebase(EvalCase(4, "n", "p"), tmp_path / "codebases")
    assert len(empty.commit) == 40


def test_a_timed_out_trial_gets_no_grading_and_is_excluded(tmp_path: Path) -> None:
    from popkit_bench.planning.plan import TrialKey
    from popkit_bench.record.rundir import RunDir
    from popkit_bench.record.trial_record import TrialRecord
    from popkit_bench.skill.aggregate import aggregate
    from popkit_bench.skill.execute import finish_trial

    it = tmp_path / "iteration-1"
    run = RunDir(it / "_run")
    case = EvalCase(0, "e", "p")
    key = TrialKey("eval-0", "with_skill", 1)
    record = TrialRecord("eval-0", "with_skill", 1, status="timeout", status_reason="exceeded 5 s",
                         metrics={"tokens_total": 10, "duration_s": None}, trial_dir="trials/eval-0/with_skill/1")
    finish_trial(it, run, key, record, case, None)
    folder = it / "eval-0" / "with_skill" / "run-1"
    assert json.loads((folder / "trial.json").read_text())["status"] == "timeout"
    assert not (folder / "grading.json").exists()
    timing = json.loads((folder / "timing.json").read_text())
    assert timing["total_tokens"] == 10 and timing["duration_ms"] is None and "duration_s" in timing["null_reasons"]
    with pytest.raises(Exception, match="no eval"):
        aggregate(tmp_path / "nothing", "s")
    write_run_ok = it / "eval-0" / "with_skill" / "run-2"
    write_run_ok.mkdir(parents=True)
    (write_run_ok / "grading.json").write_text(json.dumps({"summary": {"passed": 1, "total": 1}}))
    assert aggregate(it, "s")["per_eval"][0]["with_skill"]["excluded"] == {"timeout": 1}


def test_no_completed_with_skill_trial_is_insufficient_data(tmp_path: Path) -> None:
    from popkit_bench.errors import InsufficientDataError
    from popkit_bench.skill.aggregate import aggregate

    folder = tmp_path / "iteration-1" / "eval-0" / "with_skill" / "run-1"
    folder.mkdir(parents=True)
    (folder / "trial.json").write_text(json.dumps({"status": "error"}))
    with pytest.raises(InsufficientDataError, match="no with-skill trial completed"):
        aggregate(tmp_path / "iteration-1", "s")
