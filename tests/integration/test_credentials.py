"""Credentials in a real (paid-mode) run: they reach the API, and nowhere else.

The "API" here is our scripted model on 127.0.0.1 behind ANTHROPIC_BASE_URL, exactly as a user's proxy or
gateway would be: the run takes the path of a real run (no --rehearsal), so the user's key is passed through.
"""

from __future__ import annotations

import json
import stat
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from popkit_bench.agent.isolation import make_config_dir, remove_config_dir
from popkit_bench.cli import main
from popkit_bench.record.journal import read_journal_json
from popkit_bench.rehearsal.server import RehearsalServer

REPO = Path(__file__).resolve().parents[2]
SECRET = "sk-ant-api03-popkit-test-secret-0123456789"
OAUTH = "sk-ant-oat01-popkit-test-oauth-9876543210"


@pytest.mark.real_cli
def test_api_key_reaches_the_api_and_never_the_run_folder_or_output(
        tmp_path: Path, claude_bin: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    server = RehearsalServer(keep_requests=True)
    with server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
        monkeypatch.delenv("CLAUDE_CODE_OAUTH_TOKEN", raising=False)
        run_dir, report_dir = tmp_path / "run", tmp_path / "reports"
        code = main(["run", "pagination-off-by-one", "--trials", "1", "--parallel", "1", "--seed", "3",
                     "--run-dir", str(run_dir), "--report-dir", str(report_dir)])
        requests = server.requests()
    out = capsys.readouterr()
    assert code in (0, 3), out.err[-2000:]  # 1 trial per arm: "too little data to test" is exit 3
    records = read_journal_json(run_dir / "results.jsonl")
    assert sorted(r["arm"] for r in records) == ["baseline", "popkit-ops"]
    assert all(r["status"] == "completed" for r in records), [r.get("status_reason") for r in records]
    assert requests, "the trials never reached the API"
    messages = [r for r in requests if urlsplit(r["path"]).path.rstrip("/").endswith("/v1/messages")]
    keys = {next((v for k, v in r["headers"].items() if k.lower() == "x-api-key"), None) for r in messages}
    assert keys == {SECRET}
    assert SECRET not in out.out + out.err
    for folder in (run_dir, report_dir):
        for path in folder.rglob("*"):
            if path.is_file() and "codebases" not in path.parts:
                assert SECRET not in path.read_bytes().decode(errors="replace"), path


def test_subscription_login_is_copied_private_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    login = home / ".claude" / ".credentials.json"
    login.write_text(json.dumps({"claudeAiOauth": {"accessToken": OAUTH}}))
    monkeypatch.setenv("HOME", str(home))
    for name in ("CLAUDE_CONFIG_DIR", "ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)

    config = make_config_dir("run-credentials", "t1")
    copied = config / ".credentials.json"
    assert copied.read_text() == login.read_text()
    assert stat.S_IMODE(copied.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    assert str(tmp_path / "tmp") in str(config)  # under the temp dir, never under a run folder
    remove_config_dir(config)
    assert not config.exists()


def test_an_api_key_in_the_environment_means_no_login_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / ".credentials.json").write_text("{}")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    config = make_config_dir("run-credentials-key", "t1")
    try:
        assert not (config / ".credentials.json").exists()
    finally:
        remove_config_dir(config)
