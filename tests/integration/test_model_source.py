"""A task without a play of its own runs the generic play in both arms: the console verdict, the reports and
the index say so (real CLI + scripted model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from popkit_bench.cli import main

REPO = Path(__file__).resolve().parents[2]
TASK = "pagination-off-by-one"

pytestmark = pytest.mark.real_cli


def test_a_task_without_play_is_labelled_generic_play(tmp_path: Path, claude_bin: Path, capsys) -> None:
    folder = tmp_path / "tasks" / "bug-fixing"
    folder.mkdir(parents=True)
    for name in (f"{TASK}.yml", f"{TASK}-responses.json"):  # no play file: the generic play runs
        shutil.copy(REPO / "tasks" / "bug-fixing" / name, folder / name)
    run_dir, reports = tmp_path / "run", tmp_path / "reports"
    main(["run", str(folder / f"{TASK}.yml"), "--rehearsal", "--trials", "1", "--parallel", "2",
          "--run-dir", str(run_dir), "--report-dir", str(reports)])
    printed = capsys.readouterr().out
    verdict = next(line for line in printed.splitlines() if line.startswith("Verdict"))
    assert verdict.startswith("Verdict [scripted model (rehearsal), not a real model, generic play in 2 of 2 "
                              "trials]: "), verdict
    for trial in run_dir.glob("trials/*/*/*"):
        assert json.loads((trial / "rehearsal.json").read_text())["variants"] == ["generic-play"]
    md = next(reports.glob(f"{TASK}-*.md")).read_text(encoding="utf-8")
    top = "\n".join(md.splitlines()[:5])
    assert "Scripted model (rehearsal)" in top and "Generic play in 2 of 2 trials" in top
    data = json.loads(next(reports.glob(f"{TASK}-*.json")).read_text(encoding="utf-8"))
    assert data["model_source"]["generic_play_tasks"] == [TASK]
