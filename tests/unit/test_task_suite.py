"""The bundled task suite: coverage, companion files, plays that end in the reference solution."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from gitstate import new_repo, sh

from popkit_bench.cli import main
from popkit_bench.tasks.discovery import BUNDLED_TASKS_DIR, discover
from popkit_bench.tasks.spec import KNOWN_CATEGORIES, TaskSpec
from popkit_bench.workspace.codebase import locate_codebase
from popkit_shared.benchmark_responses import load_responses_file

IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", ".git")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330"


def bundled() -> list[TaskSpec]:
    return [t for t in discover([]) if t.path.is_relative_to(BUNDLED_TASKS_DIR)]


TASKS = bundled()
IDS = [t.id for t in TASKS]


def test_suite_covers_every_category():
    assert len(TASKS) >= 8
    for category in KNOWN_CATEGORIES:
        assert sum(1 for t in TASKS if t.category == category) >= 2, category


def test_demo_task_is_bundled():
    demo = next(t for t in TASKS if t.id == "pagination-off-by-one")
    assert (demo.category, demo.difficulty, demo.codebase) == ("bug-fixing", "easy", "pagination-service")


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_task_has_companions(task: TaskSpec):
    assert task.path.parent.name == task.category
    assert task.difficulty is not None
    assert task.responses_path and task.play_path and task.solution_path
    load_responses_file(task.responses_path)
    path, is_bundled = locate_codebase(task)
    assert is_bundled and path.parent == BUNDLED_TASKS_DIR / "codebases"


def _copy_codebase(task: TaskSpec, dest: Path) -> Path:
    source, _ = locate_codebase(task)
    shutil.copytree(source, dest, ignore=IGNORE)
    return dest


def _solved(task: TaskSpec, dest: Path) -> Path:
    tree = _copy_codebase(task, dest)
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    subprocess.run(["git", "apply", str(task.solution_path)], cwd=tree, check=True)
    shutil.rmtree(tree / ".git")
    return tree


def _snapshot(tree: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(tree)): p.read_bytes()
        for p in sorted(tree.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".git" not in p.parts
    }


def _play_variant(variant: dict, tree: Path) -> None:
    """Apply a variant's Read/Edit/Write calls the way Claude Code does (Edit needs a prior Read)."""
    read: set[Path] = set()
    for turn in variant["turns"]:
        for call in turn.get("tool_calls", []):
            args = {k: v.replace("{cwd}", str(tree)) if isinstance(v, str) else v for k, v in call["input"].items()}
            name = call["name"]
            if name == "Bash":
                assert args["command"] and args["description"]
                continue
            path = Path(args["file_path"])
            assert path.is_relative_to(tree), path
            if name == "Read":
                assert path.is_file(), f"Read of a missing file {path}"
                read.add(path)
            elif name == "Edit":
                assert path in read, f"Edit before Read: {path}"
                text = path.read_text()
                count = text.count(args["old_string"])
                assert count == 1, f"old_string found {count} times in {path}: {args['old_string']!r}"
                path.write_text(text.replace(args["old_string"], args["new_string"]))
            elif name == "Write":
                assert not path.exists() or path in read, f"Write over an unread file: {path}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(args["content"])
                read.add(path)
            else:
                raise AssertionError(f"unexpected tool {name}")


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_play_variants_end_in_the_reference_solution(task: TaskSpec, tmp_path: Path):
    play = yaml.safe_load(task.play_path.read_text())
    variants = play["variants"]
    assert [v["name"] for v in variants] == ["with-plugin", "default"]
    assert "when" in variants[0] and "when" not in variants[1]
    expected = _snapshot(_solved(task, tmp_path / "solved"))
    counts = {}
    for variant in variants:
        tree = _copy_codebase(task, tmp_path / variant["name"])
        _play_variant(variant, tree)
        assert _snapshot(tree) == expected, variant["name"]
        assert 3 <= len(variant["turns"]) <= 9
        counts[variant["name"]] = sum(len(t.get("tool_calls", [])) for t in variant["turns"])
    assert counts["with-plugin"] < counts["default"], "the plugin variant should take fewer tool calls"


def test_non_discriminating_task_fails_the_check(tmp_path: Path, capsys):
    codebase = tmp_path / "codebases" / "always-green"
    (codebase / "tests").mkdir(parents=True)
    (codebase / "app.py").write_text("VALUE = 1\n")
    (codebase / "tests" / "test_app.py").write_text(
        "import unittest\n\nimport app\n\n\nclass T(unittest.TestCase):\n"
        "    def test_value(self):\n        self.assertEqual(app.VALUE, app.VALUE)\n"
    )
    folder = tmp_path / "bug-fixing"
    folder.mkdir()
    (folder / "always-green.yml").write_text(
        "id: always-green\ncategory: bug-fixing\ndescription: passes before any change\n"
        "codebase: always-green\ninitial_state: main\nuser_prompt: Set VALUE to 2.\n"
        "verification:\n  - python3 -m unittest discover -s tests -q\n"
    )
    (folder / "always-green.solution.patch").write_text(
        "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-VALUE = 1\n+VALUE = 2\n"
    )
    assert main(["check-task", str(folder / "always-green.yml")]) == 1
    out = capsys.readouterr().out
    assert "does not discriminate" in out and "FAIL" in out


def test_bad_task_file_is_exit_2(tmp_path: Path):
    bad = tmp_path / "bad.yml"
    bad.write_text("id: bad\ncategory: bug-fixing\n")
    assert main(["check-task", str(bad)]) == 2


def test_needs_tasks_or_all():
    assert main(["check-task"]) == 2


def _first_request(session: str) -> dict:
    with open(FIXTURES / session / "requests.jsonl", encoding="utf-8") as handle:
        return json.loads(handle.readline())["body"]


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_with_plugin_variant_needs_the_plugin_listed(task: TaskSpec):
    play_module = pytest.importorskip("popkit_bench.rehearsal.play")
    play = play_module.load_play(task.play_path)
    assert play.select(_first_request("plugin")).name == "with-plugin"
    assert play.select(_first_request("basic")).name == "default"
    prompt_only = _first_request("basic")
    prompt_only["messages"] = [
        {"role": "user", "content": "Use popkit-ops (/popkit-ops:benchmark, popkit-ops:pop-benchmark-runner)."},
        *prompt_only["messages"],
    ]
    assert play.select(prompt_only).name == "default", "a mention in the prompt must not switch variants"


def test_user_repository_codebase_at_a_ref(tmp_path: Path, capsys):
    repo = new_repo(tmp_path / "service")
    (repo / "check.py").write_text("import sys\nsys.exit(0 if open('flag.txt').read() == 'on\\n' else 1)\n")
    (repo / "flag.txt").write_text("off\n")
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-q", "-m", "v1", cwd=repo)
    sh("git", "tag", "v1", cwd=repo)
    (repo / "flag.txt").write_text("later\n")  # a later commit and a dirty checkout must not matter
    sh("git", "commit", "-q", "-am", "v2", cwd=repo)
    (repo / "flag.txt").write_text("uncommitted\n")
    folder = tmp_path / "tasks" / "bug-fixing"
    folder.mkdir(parents=True)
    (folder / "flag-on.yml").write_text(
        f"id: flag-on\ncategory: bug-fixing\ndescription: turn the flag on\ncodebase: {repo}\n"
        "initial_state: git checkout v1\nuser_prompt: Turn the flag on.\nverification:\n  - python3 check.py\n"
    )
    (folder / "flag-on.solution.patch").write_text(
        "diff --git a/flag.txt b/flag.txt\n--- a/flag.txt\n+++ b/flag.txt\n@@ -1 +1 @@\n-off\n+on\n"
    )
    assert main(["check-task", str(folder / "flag-on.yml")]) == 0, capsys.readouterr().out
    assert (repo / "flag.txt").read_text() == "uncommitted\n"
    assert sh("git", "rev-parse", "--abbrev-ref", "HEAD", cwd=repo).strip() == "main"


def test_missing_solution_fails_the_check(tmp_path: Path, capsys):
    codebase = tmp_path / "codebases" / "red"
    codebase.mkdir(parents=True)
    (codebase / "check.py").write_text("raise SystemExit(1)\n")
    folder = tmp_path / "bug-fixing"
    folder.mkdir()
    (folder / "red.yml").write_text(
        "id: red\ncategory: bug-fixing\ndescription: d\ncodebase: red\ninitial_state: main\n"
        "user_prompt: p\nverification: python3 check.py\n"
    )
    assert main(["check-task", str(folder / "red.yml")]) == 1
    assert "no solution patch" in capsys.readouterr().out


def test_list_shows_id_category_difficulty_codebase_and_description(capsys: pytest.CaptureFixture[str]):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "CATEGORY", "DIFFICULTY", "CODEBASE", "DESCRIPTION"]
    rows = {line.split()[0]: line for line in lines[1:]}
    for task in TASKS:
        row = rows[task.id]
        assert row.split()[1:4] == [task.category, task.difficulty, task.codebase]
        assert task.description in row  # not a terminal: nothing is cut


def test_list_cuts_long_cells_to_the_terminal_width():
    from popkit_bench.commands.list_tasks import table

    rows = [{"id": "t", "category": "c", "difficulty": None, "codebase": "/home/me/" + "deep/" * 20 + "repo",
             "description": "word " * 60}]
    lines = table(rows, width=80).splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[1].split()[2] == "-"  # no difficulty
    assert "…p/deep/deep/deep/deep/deep/repo " in lines[1] and lines[1].endswith("…")


def test_list_by_unknown_category_names_the_known_ones(capsys: pytest.CaptureFixture[str]):
    assert main(["list", "--category", "nope"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "bug-fixing" in err and "Traceback" not in err
