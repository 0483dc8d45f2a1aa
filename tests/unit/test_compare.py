"""`compare`: several run folders analysed as one data set, or arm against arm across runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from records import build_record

from popkit_bench.cli import main


def make_run(folder: Path, arms: dict[str, list[float]], task: str = "t1") -> Path:
    folder.mkdir(parents=True)
    lines = []
    for arm, values in arms.items():
        for i, value in enumerate(values, start=1):
            metrics = {"tokens_total": value, "duration_s": value / 100, "success": 1, "tool_calls": 3}
            lines.append(build_record(task, arm, i, status="completed", metrics=metrics))
    (folder / "results.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    (folder / "run.json").write_text(json.dumps({"trials_requested": {task: {a: len(v) for a, v in arms.items()}}}))
    return folder


def test_merging_two_machines_pools_trials(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = make_run(tmp_path / "m1", {"baseline": [1000, 1100, 1050], "plugin": [700, 720, 690]})
    b = make_run(tmp_path / "m2", {"baseline": [1020, 980, 1010], "plugin": [710, 705, 730]})
    out = tmp_path / "merged"
    assert main(["compare", str(a), str(b), "--output", str(out), "--json"]) == 0
    analysis = json.loads(capsys.readouterr().out)
    tokens = analysis["metrics"]["tokens_total"]
    assert tokens["baseline"]["n"] == 6 and tokens["plugin"]["n"] == 6
    assert tokens["better"] is True
    assert analysis["arms"]["trials"]["baseline"]["requested"] == 6
    records = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["trial"] for r in records if r["arm"] == "plugin") == [1, 2, 3, 4, 5, 6]


def test_by_run_compares_the_same_arm_of_two_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = make_run(tmp_path / "v1", {"baseline": [1000, 1010, 990], "plugin": [900, 910, 905]})
    new = make_run(tmp_path / "v2", {"baseline": [1000, 1005, 995], "plugin": [600, 610, 590]})
    code = main(["compare", str(old), str(new), "--by-run", "--baseline", "v1:plugin", "--treatment", "v2:plugin",
                 "--output", str(tmp_path / "out"), "--json"])
    assert code == 0
    analysis = json.loads(capsys.readouterr().out)
    assert analysis["baseline"] == "v1:plugin" and analysis["treatment"] == "v2:plugin"
    assert analysis["metrics"]["tokens_total"]["improvement"] > 30


def test_same_folder_twice_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = make_run(tmp_path / "m1", {"baseline": [1, 2], "plugin": [1, 2]})
    assert main(["compare", str(a), str(a)]) == 2
    assert "twice" in capsys.readouterr().err


def test_long_arm_names_are_shown_whole_and_the_signs_are_explained(tmp_path: Path, capsys) -> None:
    old = make_run(tmp_path / "fd2", {"feature-branch-plugin": [1000, 1010, 990, 1005]})
    new = make_run(tmp_path / "fd3", {"feature-branch-plugin": [600, 610, 590, 605]})
    assert main(["compare", str(old), str(new), "--by-run", "--baseline", "fd2:feature-branch-plugin",
                 "--output", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.strip().startswith("metric"))
    assert "fd2:feature-branch-plugin" in header and "fd3:feature-branch-plugin" in header
    row = next(line for line in out.splitlines() if line.strip().startswith("tokens_total"))
    better, g = row.split()[3], float(row.split()[5])
    assert better.startswith("+") and g < 0  # fewer tokens: better (+) while Hedges' g keeps the raw sign (-)
    assert "+ is better" in out and "raw sign" in out
