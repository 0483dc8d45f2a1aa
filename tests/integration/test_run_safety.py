"""Timeouts kill the whole trial; the user's own repository is never touched by a run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import psutil
import pytest
from gitstate import new_repo, repo_state, sh

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal_json

pytestmark = pytest.mark.real_cli
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def processes_under(folder: Path) -> list[psutil.Process]:
    """Live processes whose working directory is inside `folder`."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            cwd = proc.cwd()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if cwd.startswith(str(folder)) and proc.status() != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def test_trial_over_its_timeout_is_recorded_timeout_and_nothing_survives(tmp_path: Path, claude_bin: Path) -> None:
    run_dir = tmp_path / "run"
    code = main(["run", str(FIXTURES / "slow-task" / "slow-task.yml"), "--rehearsal", "--trials", "1",
                 "--run-dir", str(run_dir), "--no-report", "--parallel", "1"])
    assert code == 0
    records = read_journal_json(run_dir / "results.jsonl")
    assert len(records) == 2
    for record in records:
        assert record["status"] == "timeout", record["status_reason"]
        assert "6" in record["status_reason"]
        assert record["agent_wall_s"] < 60
    assert processes_under(run_dir) == []
    worktrees = run_dir / "worktrees"
    assert not worktrees.exists() or not any(worktrees.iterdir())


def test_user_repository_is_unchanged_after_a_run(tmp_path: Path, claude_bin: Path) -> None:
    repo = new_repo(tmp_path / "my-project")
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    sh("git", "add", ".", cwd=repo)
    sh("git", "commit", "-q", "-m", "first", cwd=repo)
    sh("git", "tag", "v1", cwd=repo)
    sh("git", "checkout", "-q", "-b", "wip", cwd=repo)
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b  # staged\n")
    sh("git", "add", "calc.py", cwd=repo)
    (repo / "calc.py").write_text("def add(a, b):\n    return 0  # unstaged\n")
    task = tmp_path / "tasks" / "my-task.yml"
    task.parent.mkdir()
    task.write_text(textwrap.dedent(f"""\
        id: my-task
        category: bug-fixing
        description: Uses the user's own repository at a tag
        codebase: {repo}
        initial_state: git checkout v1
        user_prompt: Check the calculator.
        verification:
          - python3 -c "import calc; assert calc.add(2, 3) == 5"
        """))
    before = repo_state(repo)
    run_dir = tmp_path / "run"
    code = main(["run", str(task), "--rehearsal", "--trials", "1", "--run-dir", str(run_dir), "--no-report"])
    assert code == 0
    records = read_journal_json(run_dir / "results.jsonl")
    assert [r["status"] for r in records] == ["completed", "completed"]
    assert all(r["verification"][0]["passed"] for r in records)  # the tag's code, not the user's edits
    assert repo_state(repo) == before
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return 0  # unstaged\n"
