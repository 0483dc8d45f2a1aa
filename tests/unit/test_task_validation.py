"""Malformed task and responses files each give one clear error (file, field, line, expected) and exit 2."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from popkit_bench.cli import main
from popkit_bench.tasks.spec import load_task, parse_initial_state

GOOD = textwrap.dedent(
    """\
    id: sample-task
    category: bug-fixing
    description: Fix it
    codebase: sample
    initial_state: git checkout baseline-v1.0
    user_prompt: |
      Please fix the bug.
    verification:
      - python3 -m unittest -q
    expected_outcomes:
      - tests pass
    timeout_seconds: 300
    difficulty: easy
    tags: [python]
    """
)


def write(tmp_path: Path, text: str, name: str = "sample-task.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_task_loads_with_seed_spelling_of_initial_state(tmp_path: Path) -> None:
    task = load_task(write(tmp_path, GOOD))
    assert task.initial_state == "baseline-v1.0"
    assert task.verification[0].argv() == ["python3", "-m", "unittest", "-q"]
    assert task.timeout_seconds == 300 and task.difficulty == "easy" and task.tags == ("python",)


@pytest.mark.parametrize(
    "ref, expected",
    [("main", "main"), ("git checkout v1.0", "v1.0"), ("abc123", "abc123"), ("release/2.0", "release/2.0")],
)
def test_initial_state_refs(ref: str, expected: str) -> None:
    assert parse_initial_state(ref) == expected


@pytest.mark.parametrize("ref", ["git checkout v1; rm -rf /", "--upload-pack=x", "a..b", "git checkout", "x y"])
def test_initial_state_is_never_a_command(ref: str) -> None:
    with pytest.raises(ValueError):
        parse_initial_state(ref)


MALFORMED = [
    # (name, text, message fragment, line or None)
    ("yaml syntax", GOOD.replace("category: bug-fixing", "category: bug-fixing: oops"), "invalid YAML", 2),
    ("not a mapping", "- just\n- a list\n", "must be a mapping", None),
    ("missing id", GOOD.replace("id: sample-task\n", ""), "missing required field 'id'", None),
    ("bad id", GOOD.replace("id: sample-task", "id: ../escape"), "invalid task id", 1),
    ("id with slash", GOOD.replace("id: sample-task", "id: a/b"), "invalid task id", 1),
    ("bad ref", GOOD.replace("git checkout baseline-v1.0", "'git checkout x; rm -rf /'"), "initial_state", 5),
    ("empty verification", GOOD.replace("  - python3 -m unittest -q\n", "").replace("verification:", "verification: []"),
     "non-empty list", 8),
    ("verification not a string", GOOD.replace("  - python3 -m unittest -q", "  - 42"), "command string", 9),
    ("unbalanced quote", GOOD.replace("  - python3 -m unittest -q", "  - python3 -c 'print(1)"), "cannot be split", 9),
    ("timeout negative", GOOD.replace("timeout_seconds: 300", "timeout_seconds: -5"), "positive finite number", 12),
    ("difficulty", GOOD.replace("difficulty: easy", "difficulty: impossible"), "invalid difficulty", 13),
    ("unknown field", GOOD + "colour: blue\n", "unknown field 'colour'", 15),
    ("prompt not text", GOOD.replace("user_prompt: |\n  Please fix the bug.\n", "user_prompt: [1, 2]\n"),
     "non-empty string", 6),
    ("tags not list", GOOD.replace("tags: [python]", "tags: python"), "list of strings", 14),
    ("solution escapes", GOOD + "solution: ../../etc/passwd\n", "escapes the task folder", 15),
]


@pytest.mark.parametrize("name, text, fragment, line", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_task_gives_clear_error_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, fragment: str, line: int | None
) -> None:
    path = write(tmp_path, text)
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err
    assert str(path) in err
    if line is not None:
        assert f"{path}:{line}:" in err
    assert "Traceback" not in err
    assert err.count("popkit-bench: error:") == 1


RESPONSES_BAD = [
    ("bad json", '{"responses": {"a": "b",}}', "invalid JSON", 1),
    ("top level list", "[1, 2]", "top level must be an object", None),
    ("responses not object", '{"responses": ["a"]}', "must be an object", 1),
    ("bad answer type", '{\n  "responses": {\n    "Auth": 42\n  }\n}', "invalid answer 42", 3),
    ("empty multi-select", '{"responses": {"Auth": []}}', "invalid answer", 1),
    ("bad regex", '{\n "standardAutoApprove": ["run.*tests", "(unclosed"]\n}', "invalid regular expression", 2),
    ("regex list of numbers", '{"explicitDeclines": [1]}', "list of regular expressions", 1),
    ("unknown key", '{"respones": {}}', "unknown key 'respones'", 1),
    ("other with wrong key", '{"responses": {"Auth": {"text": "x"}}}', "invalid answer", 1),
]


@pytest.mark.parametrize("name, text, fragment, line", RESPONSES_BAD, ids=[r[0] for r in RESPONSES_BAD])
def test_malformed_responses_gives_clear_error_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, fragment: str, line: int | None
) -> None:
    path = write(tmp_path, text, "sample-task-responses.json")
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err and str(path) in err
    if line is not None:
        assert f"{path}:{line}:" in err
    assert "Traceback" not in err


def test_good_responses_file_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {
        "responses": {"Auth method": "JWT", "Features": ["a", "b"], "Proceed?": True, "Notes": {"other": "x"}},
        "standardAutoApprove": ["run.*tests"],
        "explicitDeclines": ["rm -rf"],
    }
    path = write(tmp_path, json.dumps(data), "sample-task-responses.json")
    assert main(["validate", str(path)]) == 0
    assert "ok" in capsys.readouterr().out


def test_missing_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_a_misspelled_key_is_unknown_with_the_closest_known_one(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, GOOD.replace("verification:", "verifcation:"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "unknown field 'verifcation' (did you mean 'verification'?)" in err and "sample-task.yml:8:" in err
    assert "missing required field" not in err


def git_codebase(tmp_path: Path) -> Path:
    import subprocess

    repo = tmp_path / "codebases" / "sample"
    repo.mkdir(parents=True)
    (repo / "a.txt").write_text("a\n")
    for argv in (["init", "-q", "-b", "main"], ["add", "."],
                 ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one"]):
        subprocess.run(["git", *argv], cwd=repo, check=True)
    return repo


def test_validate_checks_that_initial_state_exists_in_a_git_codebase(tmp_path: Path, capsys) -> None:
    git_codebase(tmp_path)
    folder = tmp_path / "t"
    folder.mkdir()
    path = write(folder, GOOD.replace("git checkout baseline-v1.0", "main"))
    assert main(["validate", str(path)]) == 0
    missing = write(folder, GOOD, "other.yml")  # baseline-v1.0 is no ref of the repository
    assert main(["validate", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "ref 'baseline-v1.0' not found" in err and "initial_state" in err and "other.yml" in err


def test_validate_reports_a_codebase_that_does_not_exist(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(write(tmp_path, GOOD))]) == 2
    assert "codebase 'sample' not found" in capsys.readouterr().err
