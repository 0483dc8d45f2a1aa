"""Responses-file regexes run on RE2: a catastrophically backtracking pattern cannot hang a run, and a pattern
RE2 cannot compile is a clear input error (file, field, expected) at validate and run time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from popkit_shared.answering import answer_question, decide_permission
from popkit_shared.benchmark_responses import ResponsesFileError, load_responses_file, parse_responses
from popkit_shared.safe_regex import ENGINE, PatternError, compile_pattern

EVIL = "(a+)+$"
HOSTILE_SUBJECT = "a" * 50_000 + "!"


def test_engine_is_re2_in_the_harness() -> None:
    assert ENGINE == "re2"  # google-re2 is a base dependency: the engine never falls back to `re` here


def test_backtracking_decline_pattern_against_a_long_command_finishes_fast() -> None:
    responses = parse_responses({"explicitDeclines": [EVIL], "standardAutoApprove": ["(x+x+)+y"]})
    start = time.monotonic()
    command = "a" * 1900 + "!"  # under the 2000-character subject limit, so the '!' is still there
    decision = decide_permission("Bash", {"command": command}, responses)
    assert time.monotonic() - start < 1.0  # Python's re takes longer than the age of the universe here
    assert decision.allow is True and decision.rule == "default"  # no match: the subject ends with '!'


def test_backtracking_response_key_against_a_long_question_finishes_fast() -> None:
    responses = parse_responses({"responses": {EVIL: "Yes", "(b|b)*c": "No"}})
    start = time.monotonic()
    answered = answer_question({"question": HOSTILE_SUBJECT, "header": "a" * 5000 + "!",
                                "options": [{"label": "Yes"}, {"label": "No"}]}, responses)
    assert time.monotonic() - start < 1.0
    assert answered.matched_by == "default"
    assert answer_question({"question": "aaaa", "options": [{"label": "Yes"}]}, responses).matched_by == f"regex:{EVIL}"


def test_matching_is_case_insensitive_search() -> None:
    assert compile_pattern("run.*TESTS").search("please RUN the tests") is not None
    assert compile_pattern("^rm").search("echo rm") is None


@pytest.mark.parametrize("pattern", ["(a)\\1", "foo(?=bar)", "(?<=a)b", "a{2,1}", "("])
def test_patterns_re2_cannot_compile_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)
    with pytest.raises(ResponsesFileError) as caught:
        parse_responses({"explicitDeclines": ["ok", pattern]}, name="r.json")
    message = str(caught.value)
    assert "field 'explicitDeclines'" in message and "pattern 2" in message and "RE2 syntax" in message


def test_invalid_response_key_is_skipped_not_fatal() -> None:
    responses = parse_responses({"responses": {"(?=x)Deploy": "No"}})  # not a regex for RE2: exact match only
    assert answer_question({"question": "(?=x)Deploy", "options": [{"label": "No"}]}, responses).answer == "No"


def test_lookbehind_pattern_is_exit_2_through_validate_and_run(tmp_path: Path) -> None:
    folder = tmp_path / "tasks"
    (folder / "codebases" / "sample").mkdir(parents=True)
    (folder / "codebases" / "sample" / "main.py").write_text("print(1)\n")
    responses = folder / "t-responses.json"
    responses.write_text(json.dumps({"standardAutoApprove": ["(?<=git )status"]}, indent=2))
    task = folder / "t.yml"
    task.write_text(textwrap.dedent("""\
        id: t
        category: bug-fixing
        description: d
        codebase: sample
        initial_state: main
        user_prompt: p
        verification: [python3 main.py]
        """))
    repo = Path(__file__).resolve().parents[2]
    for args in (["validate", str(responses)], ["validate", str(task)],
                 ["run", str(task), "--rehearsal", "--plugin-dir", str(repo), "--run-dir", str(tmp_path / "run")]):
        done = subprocess.run([sys.executable, "-m", "popkit_bench", *args], capture_output=True, text=True,
                              timeout=120, env=dict(os.environ), stdin=subprocess.DEVNULL)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert "t-responses.json:2: field 'standardAutoApprove'" in done.stderr, done.stderr
        assert "(?<=git )status" in done.stderr and "RE2 syntax" in done.stderr
    assert not (tmp_path / "run" / "trials").exists()


def test_loading_from_the_environment_uses_re2_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"explicitDeclines": [EVIL]}))
    monkeypatch.setenv("POPKIT_BENCHMARK_RESPONSES", str(path))
    loaded = load_responses_file()
    start = time.monotonic()
    assert loaded.declines[0].search(HOSTILE_SUBJECT) is None
    assert time.monotonic() - start < 1.0
