"""Inputs that used to crash (NaN/infinite timeouts, a binary results.jsonl, a home folder as codebase) give
exit 2 and one clear message through the real entry point `python -m popkit_bench`, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m popkit_bench args...` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "popkit_bench", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})}, cwd=cwd, stdin=subprocess.DEVNULL)


def assert_clear_exit_2(done: subprocess.CompletedProcess, *needles: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr


def task_file(folder: Path, extra: str = "", codebase: str = "sample", verification: str = "- python3 -V") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "codebases" / "sample").mkdir(parents=True, exist_ok=True)
    (folder / "codebases" / "sample" / "main.py").write_text("print('hi')\n")
    path = folder / "t.yml"
    path.write_text(textwrap.dedent(f"""\
        id: t
        category: bug-fixing
        description: d
        codebase: {codebase}
        initial_state: main
        user_prompt: p
        verification:
          {verification}
        """) + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_task_timeout_not_finite_is_exit_2(tmp_path: Path, value: str) -> None:
    path = task_file(tmp_path, f"timeout_seconds: {value}\n")
    for verb in (["validate", str(path)],
                 ["run", str(path), "--rehearsal", "--run-dir", str(tmp_path / "r"), "--plugin-dir", str(REPO)]):
        done = cli(*verb)
        assert_clear_exit_2(done, "t.yml", "timeout_seconds", "positive finite number")


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_verification_timeout_not_finite_is_exit_2(tmp_path: Path, value: str) -> None:
    path = task_file(tmp_path, verification=f"- {{command: python3 -V, timeout_seconds: {value}}}")
    done = cli("validate", str(path))
    assert_clear_exit_2(done, "verification[0]", "timeout_seconds", "positive finite number")


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_run_timeout_flag_not_finite_is_exit_2(tmp_path: Path, value: str) -> None:
    path = task_file(tmp_path)
    done = cli("run", str(path), "--rehearsal", "--timeout", value, "--run-dir", str(tmp_path / "r"))
    assert_clear_exit_2(done, "--timeout", "finite number above 0")


@pytest.mark.parametrize(("key", "raw", "field"), [
    ("timeout_seconds", "NaN", "timeout_seconds"),
    ("timeout_seconds", "Infinity", "timeout_seconds"),
    ("llm_grader", '{"rehearsal_play": "plays/grader.play.yml", "timeout_seconds": NaN}', "llm_grader.timeout_seconds"),
    ("thresholds", '{"max_avg_tokens": NaN}', "thresholds.max_avg_tokens"),
])
def test_skill_config_number_not_finite_is_exit_2(tmp_path: Path, key: str, raw: str, field: str) -> None:
    bench = tmp_path / "skill-bench"
    import shutil
    shutil.copytree(FIXTURES / "skill-bench", bench)
    config = json.loads((bench / "config.json").read_text())
    config[key] = "@@"
    (bench / "config.json").write_text(json.dumps(config, indent=2).replace('"@@"', raw))
    done = cli("skill", "run", str(bench / "config.json"), "--rehearsal", "--workspace", str(tmp_path / "ws"))
    assert_clear_exit_2(done, "config.json", field, "finite")
    assert not (tmp_path / "ws").exists() or not any((tmp_path / "ws").rglob("results.jsonl"))


def binary_run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"run_id": "x", "tasks": [], "plugins": []}))
    (run / "results.jsonl").write_bytes(b'{"task_id": "t"}\n' + bytes(range(128, 256)) * 8 + b"\n")
    return run


@pytest.mark.parametrize("verb", ["report", "analyze"])
def test_binary_results_journal_is_exit_2(tmp_path: Path, verb: str) -> None:
    run = binary_run(tmp_path)
    extra = ["--output", str(tmp_path / "reports")] if verb == "report" else []
    done = cli(verb, str(run), *extra)
    assert_clear_exit_2(done, "results.jsonl:2", "not a text journal", "not UTF-8")


def test_binary_results_journal_stops_a_resumed_run_before_any_trial(tmp_path: Path) -> None:
    run = binary_run(tmp_path)
    path = task_file(tmp_path / "tasks")
    done = cli("run", str(path), "--rehearsal", "--run-dir", str(run), "--no-report", "--plugin-dir", str(REPO))
    assert_clear_exit_2(done, "results.jsonl:2", "not UTF-8")
    assert not (run / "trials").exists()


def test_home_folder_as_codebase_is_refused_even_with_opt_in(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    path = task_file(tmp_path / "tasks", "allow_external_codebase: true\n", codebase="'~'")
    done = cli("run", str(path), "--rehearsal", "--run-dir", str(tmp_path / "run"), "--no-report",
               "--plugin-dir", str(REPO), env={"HOME": str(home)})
    assert_clear_exit_2(done, "field 'codebase'", "home folder", "never copied")
    assert not list((tmp_path / "run").rglob("id_rsa"))


def test_external_non_git_codebase_needs_opt_in(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "project"
    outside.mkdir(parents=True)
    (outside / "main.py").write_text("print('x')\n")
    path = task_file(tmp_path / "tasks", codebase=str(outside))
    done = cli("check-task", str(path))
    assert_clear_exit_2(done, "field 'codebase'", "allow_external_codebase: true")
    path.write_text(path.read_text() + "allow_external_codebase: true\n")
    done = cli("validate", str(path))
    assert done.returncode == 0, done.stderr
