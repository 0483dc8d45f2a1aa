"""Secrets in a trial's output never reach the reports: built-in provider key formats, private keys, URL
credentials, credential variables of the environment and the user's --redact patterns; the report says
how many were redacted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from synthetic_run import RunSpec, write_run

from popkit_shared.redact import Redactor, env_secrets

SECRETS = {
    "anthropic-key": "sk-ant-api03-" + "A1b2C3d4E5" * 9,
    "openai-key": "sk-proj-" + "Zz9Yy8Xx7W" * 4,
    "aws-access-key": "AKIA" + "ABCDEFGHIJKLMNOP",
    "github-token": "ghp_" + "a1B2c3D4e5" * 4,
    "google-api-key": "AIza" + "Sy" + "B" * 33,
    "slack-token": "xoxb-" + "123456789012-abcdefABCDEF",
}
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----"
URL = "https://deploy:s3cr3t-pa55@git.example.com/team/repo.git"
CORP = "CORP-314159"


@pytest.mark.parametrize(("kind", "secret"), sorted(SECRETS.items()))
def test_each_provider_key_format_is_redacted(kind: str, secret: str) -> None:
    redactor = Redactor(secrets=[])
    out = redactor.redact(f"export KEY={secret} # from .env")
    assert secret not in out and f"[REDACTED:{kind}]" in out
    assert redactor.counts[kind] == 1


def test_private_keys_url_credentials_env_values_and_user_patterns() -> None:
    redactor = Redactor([r"CORP-\d{6}"], secrets=["my-very-own-password-123"])
    text = f"{PRIVATE_KEY}\ngit clone {URL}\npw=my-very-own-password-123 ticket {CORP}\n-----BEGIN RSA PRIVATE KEY-----\nMIIE"
    out = redactor.redact(text)
    for leaked in ("b3BlbnNzaC1rZXkt", "s3cr3t-pa55", "my-very-own-password-123", CORP, "MIIE"):
        assert leaked not in out
    assert "https://[REDACTED:url-credentials]@git.example.com/team/repo.git" in out  # the host stays readable
    assert redactor.summary()["count"] == 5 and redactor.counts["private-key"] == 2


def test_ordinary_text_is_left_alone() -> None:
    redactor = Redactor(secrets=[])
    text = "pip install scikit-learn; task-list sk-learn; see https://example.com/a:b; AKIA is a prefix; xox"
    assert redactor.redact(text) == text and redactor.total == 0


def test_environment_credentials_are_found_by_name() -> None:
    env = {"ANTHROPIC_API_KEY": "sk-ant-xyz-12345678", "MY_SERVICE_TOKEN": "tok-abcdefgh", "HOME": "/home/me-long",
           "DB_PASSWORD": "hunter22", "SHORT_KEY": "abc"}
    assert set(env_secrets(env)) == {"sk-ant-xyz-12345678", "tok-abcdefgh", "hunter22"}


def test_bad_user_pattern_is_exit_2(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "popkit_bench", "report", str(tmp_path), "--redact", "(?<=x)y"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--redact" in done.stderr and "RE2 syntax" in done.stderr


def plant(run_dir: Path) -> str:
    """Put the secrets where a trial's output lands: its conversation, verification output, stderr, reason."""
    everything = "\n".join([*SECRETS.values(), PRIVATE_KEY, URL, CORP])
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    first = records[0]
    folder = run_dir / first["trial_dir"]
    events = [json.loads(line) for line in (folder / "stream.jsonl").read_text().splitlines()]
    events.insert(2, {"type": "assistant", "message": {"content": [
        {"type": "tool_use", "id": "t9", "name": "Bash", "input": {"command": f"cat .env # {SECRETS['openai-key']}"}}]}})
    events.insert(3, {"type": "user", "message": {"content": [
        {"type": "tool_result", "tool_use_id": "t9", "content": everything}]}})
    (folder / "stream.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    first["status"] = "failed"
    first["status_reason"] = f"agent ended with error: {URL}"
    first["verification"][0]["output_tail"] = everything
    (folder / "stderr.txt").write_text(everything)
    (run_dir / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return everything


def test_report_through_the_cli_never_contains_a_planted_secret(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path / "run", RunSpec())
    plant(run_dir)
    out = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "popkit_bench", "report", str(run_dir), "--output", str(out),
                           "--redact", r"CORP-\d{6}"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "POPKIT_TEST_SECRET_TOKEN": "zq-env-secret-value"})
    assert done.returncode == 0, done.stderr
    written = {p.name: p.read_text() for p in out.iterdir()}
    assert {p.rsplit(".", 1)[-1] for p in written} == {"md", "html", "json"}
    for name, text in written.items():
        for leaked in [*SECRETS.values(), "b3BlbnNzaC1rZXkt", "s3cr3t-pa55", CORP]:
            assert leaked not in text, (name, leaked)
    report = json.loads(next(t for n, t in written.items() if n.endswith(".json") and n != "index.json"))
    redaction = report["report"]["redaction"]
    assert redaction["count"] >= 3 * 9 and redaction["user_patterns"] == 1
    assert redaction["by_kind"]["user-pattern"] >= 2
    markdown = next(t for n, t in written.items() if n.endswith(".md"))
    assert f"Secrets redacted from trial output in this report: {redaction['count']}" in markdown
    assert "[REDACTED:anthropic-key]" in markdown
