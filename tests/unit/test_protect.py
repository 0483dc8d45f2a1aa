"""protected_paths: restored from the run's repository before verification; every kind of change is reported,
and the restore works even when the agent sabotaged its own copy's git data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from gitstate import sh

from popkit_bench.execution.protect import TAMPERED, restore_protected, settle_tampered
from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.fingerprint import repo_fingerprint
from popkit_bench.workspace.git import commit_folder, git
from popkit_bench.workspace.worktree import create_worktree

TEST_CODE = "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"


@pytest.fixture()
def trial(tmp_path: Path) -> tuple[Codebase, Path]:
    base = tmp_path / "base"
    (base / "tests" / "data").mkdir(parents=True)
    (base / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (base / "tests" / "test_calc.py").write_text(TEST_CODE)
    (base / "tests" / "data" / "cases.txt").write_text("2 3 5\n")
    (base / "tests" / "run.sh").write_text("#!/bin/sh\npython3 -m pytest -q\n")
    (base / "tests" / "run.sh").chmod(0o755)
    (base / "conftest.py").write_text("")
    commit_folder(base, "base")
    commit = git("rev-parse", "HEAD", cwd=base).strip()
    codebase = Codebase(base, commit, "main", "test", None, repo_fingerprint(base))
    return codebase, create_worktree(codebase, tmp_path / "wt")


PATHS = ("tests", "conftest.py")


def restore(trial: tuple[Codebase, Path]) -> list[str]:
    codebase, wt = trial
    return restore_protected(wt, codebase.repo, codebase.commit, PATHS)


def assert_pristine(trial: tuple[Codebase, Path]) -> None:
    _, wt = trial
    assert (wt / "tests" / "test_calc.py").read_text() == TEST_CODE
    assert (wt / "tests" / "data" / "cases.txt").read_text() == "2 3 5\n"
    assert os.access(wt / "tests" / "run.sh", os.X_OK)
    assert (wt / "conftest.py").read_text() == ""
    assert sorted(p.relative_to(wt).as_posix() for p in (wt / "tests").rglob("*")) == [
        "tests/data", "tests/data/cases.txt", "tests/run.sh", "tests/test_calc.py"]


def test_untouched_trial_reports_nothing_and_stays_as_is(trial) -> None:
    assert restore(trial) == []
    assert_pristine(trial)


def test_honest_fix_outside_protected_paths_is_not_tampering(trial) -> None:
    _, wt = trial
    (wt / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (wt / "tests" / "__pycache__").mkdir()  # the agent ran the tests: caches are removed, not counted
    (wt / "tests" / "__pycache__" / "test_calc.cpython-311.pyc").write_bytes(b"\0")
    assert restore(trial) == []
    assert (wt / "calc.py").read_text().endswith("a + b\n")
    assert_pristine(trial)


@pytest.mark.parametrize(("attack", "reported"), [
    ("rewrite", ["tests/test_calc.py"]),
    ("delete", ["tests/test_calc.py"]),
    ("add", ["tests/test_zzz.py"]),
    ("chmod", ["tests/run.sh"]),
    ("conftest", ["conftest.py"]),
    ("symlink_file", ["tests/test_calc.py"]),
    ("symlink_dir", ["tests"]),
    ("folder_gone", ["tests/data/cases.txt", "tests/run.sh", "tests/test_calc.py"]),
    ("nested", ["tests/data/cases.txt"]),
])
def test_every_kind_of_change_is_reported_and_undone(trial, tmp_path: Path, attack: str, reported: list[str]) -> None:
    _, wt = trial
    tests = wt / "tests"
    elsewhere = tmp_path / "fake-tests"
    elsewhere.mkdir()
    (elsewhere / "test_calc.py").write_text("def test_add():\n    assert True\n")
    if attack == "rewrite":
        (tests / "test_calc.py").write_text("def test_add():\n    assert True\n")
    elif attack == "delete":
        (tests / "test_calc.py").unlink()
    elif attack == "add":
        (tests / "test_zzz.py").write_text("import pytest\npytest.skip(allow_module_level=True)\n")
    elif attack == "chmod":
        (tests / "run.sh").chmod(0o644)
    elif attack == "conftest":
        (wt / "conftest.py").write_text("def pytest_collection_modifyitems(items):\n    items.clear()\n")
    elif attack == "symlink_file":
        (tests / "test_calc.py").unlink()
        (tests / "test_calc.py").symlink_to(elsewhere / "test_calc.py")
    elif attack == "symlink_dir":
        shutil.rmtree(tests)
        tests.symlink_to(elsewhere)
    elif attack == "folder_gone":
        shutil.rmtree(tests)
    elif attack == "nested":
        (tests / "data" / "cases.txt").write_text("2 3 -1\n")
    changed = restore(trial)
    if attack == "symlink_dir":  # the folder became a symlink: the link and everything under it changed
        assert "tests" in changed and "tests/test_calc.py" in changed
    else:
        assert changed == reported
    assert_pristine(trial)
    assert (elsewhere / "test_calc.py").exists()  # a symlink's target outside the worktree is left alone


def test_restore_uses_the_run_repository_not_the_trial_git_data(trial) -> None:
    codebase, wt = trial
    (wt / "tests" / "test_calc.py").write_text("def test_add():\n    assert True\n")
    sh("git", "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qam", "weaken tests", cwd=wt)
    sh("git", "replace", "-f", codebase.commit, "HEAD", cwd=wt)  # the trial's own git now lies about the base
    shutil.rmtree(wt / ".git" / "objects" / "info")  # and no longer reaches the run's objects
    assert restore(trial) == ["tests/test_calc.py"]
    assert_pristine(trial)


def test_parent_folder_swapped_for_a_symlink_is_caught(trial, tmp_path: Path) -> None:
    codebase, wt = trial
    outside = tmp_path / "outside"
    shutil.copytree(wt / "tests", outside)
    (outside / "data" / "cases.txt").write_text("fake\n")
    shutil.rmtree(wt / "tests")
    (wt / "tests").symlink_to(outside)
    changed = restore_protected(wt, codebase.repo, codebase.commit, ("tests/data/cases.txt",))
    assert changed == ["tests", "tests/data/cases.txt"]
    assert not (wt / "tests").is_symlink()
    assert (wt / "tests" / "data" / "cases.txt").read_text() == "2 3 5\n"
    assert (outside / "data" / "cases.txt").read_text() == "fake\n"


def test_no_protected_paths_is_a_no_op(trial) -> None:
    codebase, wt = trial
    (wt / "tests" / "test_calc.py").write_text("x\n")
    assert restore_protected(wt, codebase.repo, codebase.commit, ()) == []
    assert (wt / "tests" / "test_calc.py").read_text() == "x\n"


def test_a_trial_that_changed_protected_paths_is_never_a_success() -> None:
    status, reason = settle_tampered("completed", None, ["tests/test_calc.py"])
    assert status == TAMPERED and "tests/test_calc.py" in reason
    assert settle_tampered("failed", "max turns", ["conftest.py"])[0] == TAMPERED
    assert settle_tampered("completed", None, []) == ("completed", None)
    assert settle_tampered("timeout", "exceeded 6 s", ["tests"]) == ("timeout", "exceeded 6 s")
    many = [f"tests/t{i}.py" for i in range(15)]
    assert "and 5 more" in settle_tampered("completed", None, many)[1]
