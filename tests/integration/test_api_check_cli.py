"""A real run (no --rehearsal) checks the API before any trial and stops on refused credentials.

The "API" is the scripted model on 127.0.0.1 behind ANTHROPIC_BASE_URL, as a user's gateway would be, or a
closed local port; the real CLI makes every request.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal_json
from popkit_bench.rehearsal import RehearsalServer, parse_play

REPO = Path(__file__).resolve().parents[2]
TASK = "pagination-off-by-one"
CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens


def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, claude_bin: Path) -> None:
    """No key, no token, no login file: a HOME of its own (the CLI is still found by its path)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("POPKIT_CLAUDE_BIN", str(claude_bin))
    for name in ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)


def run_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["run", TASK, "--trials", "1", "--parallel", "1", "--run-dir", str(tmp_path / "run"),
            "--report-dir", str(tmp_path / "reports"), *extra]


@pytest.mark.real_cli
def test_no_login_stops_the_run_before_any_trial(tmp_path: Path, claude_bin: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    no_credentials(monkeypatch, tmp_path, claude_bin)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", CLOSED_PORT_URL)
    code = main(run_args(tmp_path))
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    assert "not logged in" in err and "ANTHROPIC_API_KEY" in err and "/login" in err
    assert "Traceback" not in err
    assert not (tmp_path / "run" / "results.jsonl").exists()  # no trial ran
    assert not (tmp_path / "reports").exists()  # no verdict


@pytest.mark.real_cli
def test_a_refused_key_stops_the_run_before_any_trial(tmp_path: Path, claude_bin: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    play = parse_play({"play": "refuses", "turns": [{"text": "ok"}],
                       "fail_first": {"requests": 1000, "status": 401}})
    with RehearsalServer(play, keep_requests=True) as server:
        no_credentials(monkeypatch, tmp_path, claude_bin)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-revoked-key-0000")
        code = main(run_args(tmp_path))
        requests = server.requests()
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    assert "authentication failed" in err and "HTTP 401" in err and "Fix:" in err
    assert len([r for r in requests if "/v1/messages" in r["path"]]) == 1  # the one preflight request
    assert not (tmp_path / "run" / "results.jsonl").exists()


@pytest.mark.real_cli
def test_an_unknown_model_is_named_before_any_trial(tmp_path: Path, claude_bin: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    play = parse_play({"play": "no-such-model", "turns": [{"text": "ok"}],
                       "fail_first": {"requests": 1000, "status": 404}})
    with RehearsalServer(play) as server:
        no_credentials(monkeypatch, tmp_path, claude_bin)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-0000")
        code = main(run_args(tmp_path, "--model", "claude-nonexistent-9"))
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    assert "unknown model" in err and "claude-nonexistent-9" in err and "--model" in err


@pytest.mark.real_cli
def test_an_auth_failure_in_the_middle_of_a_run_stops_it_without_a_verdict(
        tmp_path: Path, claude_bin: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # A one-text-turn play: each session is one main-loop request. The preflight and two trials get through,
    # then the key is refused (revoked mid-run).
    play = parse_play({"play": "revoked-mid-run", "turns": [{"text": "Looked at it."}],
                       "fail_first": {"after": 3, "requests": 1000, "status": 401}})
    with RehearsalServer(play) as server:
        no_credentials(monkeypatch, tmp_path, claude_bin)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-soon-revoked-0000")
        code = main(run_args(tmp_path)[:2] + ["--trials", "4"] + run_args(tmp_path)[4:])
    err = capsys.readouterr().err
    assert code == 2, err[-3000:]
    assert "3 trials in a row ended on API errors" in err and "authentication failed" in err
    assert "resume with" in err and "Traceback" not in err
    records = read_journal_json(tmp_path / "run" / "results.jsonl")
    assert [r["status"] for r in records] == ["completed", "completed", "error", "error", "error"]
    assert all("HTTP 401" in r["status_reason"] for r in records[2:])
    assert not (tmp_path / "reports").exists()  # no verdict, no report
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert "authentication failed" in json.dumps(info.get("stopped_early"))


@pytest.mark.real_cli
def test_a_real_skill_run_checks_the_login_first(tmp_path: Path, claude_bin: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    no_credentials(monkeypatch, tmp_path, claude_bin)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", CLOSED_PORT_URL)
    workspace = tmp_path / "workspace"
    code = main(["skill", "run", str(REPO / "tests" / "fixtures" / "skill-bench" / "config.json"),
                 "--workspace", str(workspace)])
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    assert "not logged in" in err and "ANTHROPIC_API_KEY" in err
    assert not list(workspace.rglob("results.jsonl"))  # no trial ran
