"""The plan printed before a paid run: expected cost and time from earlier real runs of the same tasks."""

from __future__ import annotations

import json
from pathlib import Path

from records import build_record

from popkit_bench.planning.estimate import estimate, history
from popkit_bench.planning.plan import make_plan


def write_run(base: Path, name: str, rehearsal: bool, records: list[dict]) -> None:
    folder = base / name
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"rehearsal": rehearsal}))
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + '{"torn')


def record(task: str, cost: float, wall: float, status: str = "completed") -> dict:
    return build_record(task, "baseline", 1, status=status, wall_s=wall, metrics={"cost_usd": cost})


def test_estimate_from_earlier_real_runs(tmp_path: Path) -> None:
    write_run(tmp_path, "a", False, [record("t1", 0.10, 30), record("t1", 0.30, 50), record("t1", 9, 9, "error")])
    write_run(tmp_path, "b", True, [record("t1", 100.0, 1000)])  # scripted-model runs do not count
    past = history([tmp_path])
    assert len(past["t1"]) == 2
    plan = make_plan(["t1", "t2"], ["baseline", "plugin"], 3, seed=0)
    guess = estimate(plan, len(plan.keys), 2, past)
    assert abs(guess.cost_usd - 0.2 * 6) < 1e-9 and guess.trial_s == 40 * 6 and guess.wall_s == 40 * 6 / 2
    assert guess.unknown_tasks == ["t2"]
    text = guess.text(2)
    assert "cost ~$1.20" in text and "2.0 min at --parallel 2" in text and "no history for t2" in text


def test_no_history_says_how_to_cap_spending(tmp_path: Path) -> None:
    plan = make_plan(["t1"], ["baseline", "plugin"], 1, seed=0)
    guess = estimate(plan, 2, 1, history([tmp_path / "none"]))
    assert guess.cost_usd is None and "--budget-usd" in guess.text(1)
