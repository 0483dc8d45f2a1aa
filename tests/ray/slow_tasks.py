"""A bundled task whose scripted model is slow per turn (Ray tests and benchmarks/bench_ray.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from popkit_bench.tasks.discovery import BUNDLED_TASKS_DIR as TASKS


def slow_task(folder: Path, turn_delay_s: float, task_id: str = "pagination-off-by-one") -> Path:
    """A copy of a bundled task whose scripted model waits `turn_delay_s` before each turn (the trial's
    time is then spent waiting on the "API", not on the CPU). Returns the task file."""
    source = next(TASKS.glob(f"*/{task_id}.yml"))
    new_id = f"slow-{task_id}"
    folder.mkdir(parents=True, exist_ok=True)
    text = source.read_text().replace(f"id: {task_id}", f"id: {new_id}", 1)
    (folder / f"{new_id}.yml").write_text(text)
    play = source.with_name(f"{task_id}.play.yml").read_text()
    (folder / f"{new_id}.play.yml").write_text(f"turn_delay_s: {turn_delay_s}\n" + play)
    responses = source.with_name(f"{task_id}-responses.json")
    if responses.exists():
        shutil.copy(responses, folder / f"{new_id}-responses.json")
    return folder / f"{new_id}.yml"
