"""Validate task files, responses files and plays; one clear message per bad file."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from popkit_bench.errors import InputError
from popkit_bench.tasks.discovery import task_files
from popkit_bench.tasks.spec import TaskSpec, load_task
from popkit_shared.benchmark_responses import ResponsesFileError, load_responses_file


def load_responses(path: Path):
    """Load a responses file, turning its error into the engine's InputError (exit 2)."""
    try:
        return load_responses_file(path)
    except ResponsesFileError as exc:
        raise InputError(exc.detail, file=exc.file, field=exc.field, line=exc.line, expected=exc.expected) from None


def check_side_files(tasks: list) -> None:
    """Validate every task's responses file before a run starts (a bad one is exit 2, not N errored trials)."""
    for task in tasks:
        if task.responses_path:
            load_responses(task.responses_path)


def files_to_check(paths: list[str]) -> list[Path]:
    """Expand folders into their task, responses and play files."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for task in task_files(path):
                out.append(task)
            out += sorted(p for p in path.rglob("*-responses.json") if "codebases" not in p.parts)
            out += sorted(p for p in path.rglob("*.play.y*ml") if "codebases" not in p.parts)
        else:
            out.append(path)
    return out


def validate_file(path: Path, task_check: Callable[[TaskSpec], object] | None = None) -> str:
    """Validate one file by its kind; return what it is; raise InputError when bad.

    task_check (e.g. the codebase and initial_state check) runs on each valid task."""
    if not path.exists():
        raise InputError("file not found", file=path)
    name = path.name
    if name.endswith("-responses.json") or (path.suffix == ".json" and "responses" in name):
        load_responses(path)
        return "responses"
    if name.endswith((".play.yml", ".play.yaml", ".play.json")):
        try:
            play = importlib.import_module("popkit_bench.rehearsal.play")
        except ModuleNotFoundError:
            return "play (not checked: rehearsal not installed)"
        play.load_play(path)
        return "play"
    if path.suffix in (".yml", ".yaml"):
        task = load_task(path)
        if task.responses_path:
            load_responses(task.responses_path)
        if task_check is not None:
            task_check(task)
        return f"task {task.id}"
    raise InputError("unknown kind of file", file=path,
                     expected="a task .yml, a <id>-responses.json, a .play.yml, a skill benchmark config or an "
                              "eval set (evals.json)")
