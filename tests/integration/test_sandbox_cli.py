"""The real CLI in the real sandbox, reaching the scripted model only through the gateway and the forwarder.

The scripted model is the gateway's upstream: it must see the user's key; no process of the trial may
have it (environment of every process, files written), and nested requests made with the trial's token
are counted too.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from sandbox_support import require_bwrap

from popkit_bench.agent.isolation import trial_env
from popkit_bench.gateway import Credential, ModelGateway, cli_totals, cross_check
from popkit_bench.rehearsal import RehearsalServer, parse_play
from popkit_bench.sandbox.confine import Confinement, trial_writable

pytestmark = pytest.mark.real_cli
SECRET = "sk-ant-api03-popkit-sandbox-secret-0123456789"
NESTED = ("import json, os, urllib.request as u; r = u.Request(os.environ['ANTHROPIC_BASE_URL'] + '/v1/messages', "
          "data=json.dumps({'model': 'claude-haiku-4-5', 'max_tokens': 5, 'messages': [{'role': 'user', "
          "'content': 'nested'}]}).encode(), headers={'x-api-key': os.environ['ANTHROPIC_API_KEY'], "
          "'content-type': 'application/json', 'anthropic-version': '2023-06-01'}); "
          "print('nested', u.urlopen(r).status)")
HOSTILE_SH = f"""
grep -a -l -r "{SECRET[-20:]}" /proc/*/environ 2>/dev/null | head -1 > leak.txt
python3 -c "{NESTED}"
sleep 2
"""


def claude_argv(binary: Path) -> list[str]:
    return [str(binary), "-p", "fix it", "--output-format", "stream-json", "--verbose", "--setting-sources", "",
            "--strict-mcp-config", "--permission-mode", "acceptEdits", "--allowedTools", "Bash(*)"]


def watch_environs(root_pid: int, seen: dict[int, bytes], stop: threading.Event) -> None:
    """Collect /proc/<pid>/environ of every process under `root_pid` while the trial runs."""
    while not stop.is_set():
        try:
            for proc in psutil.Process(root_pid).children(recursive=True):
                try:
                    seen.setdefault(proc.pid, Path(f"/proc/{proc.pid}/environ").read_bytes())
                except OSError:
                    pass
        except psutil.Error:
            return
        time.sleep(0.05)


def test_trial_in_sandbox_reaches_the_model_only_through_the_gateway(
        tmp_path: Path, claude_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bwrap = require_bwrap()
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)  # the harness has the key, as in a real run
    worktree, config = tmp_path / "run" / "worktrees" / "t1", tmp_path / "config"
    worktree.mkdir(parents=True)
    config.mkdir()
    (worktree / "hostile.sh").write_text(HOSTILE_SH)
    play = parse_play({"play": "p", "turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command": "sh hostile.sh", "description": "probe"}}]},
        {"text": "done"}]})
    with RehearsalServer(keep_requests=True) as model, \
            ModelGateway(model.base_url, Credential("x-api-key", SECRET)) as gateway:
        grant = gateway.issue("t1", upstream=model.base_url_for("t1", play))
        env = trial_env(config, base_url=gateway.base_url, extra=gateway.trial_env(grant))
        writable, readonly = trial_writable(worktree, config)
        confinement = Confinement(bwrap=bwrap, claude_binary=claude_bin, hidden=[tmp_path / "run"],
                                  model=gateway.model_socket())
        argv, env = confinement.wrap(claude_argv(claude_bin), env, worktree, writable, readonly)
        seen: dict[int, bytes] = {}
        stop = threading.Event()
        proc = subprocess.Popen(argv, env=env, cwd=worktree, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        watcher = threading.Thread(target=watch_environs, args=(proc.pid, seen, stop), daemon=True)
        watcher.start()
        out, err = proc.communicate(timeout=180)
        stop.set()
        watcher.join()
        gateway.revoke(grant)
        revoked = _post(gateway.base_url, grant.token)
        upstream_keys = {r["headers"].get("x-api-key") or r["headers"].get("X-Api-Key") for r in model.requests("t1")}
    events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    result = [e for e in events if e.get("type") == "result"]
    assert proc.returncode == 0 and result and result[-1]["subtype"] == "success", err.decode()[-2000:]
    assert upstream_keys == {SECRET}
    assert len(seen) >= 3 and not [pid for pid, environ in seen.items() if SECRET.encode() in environ]
    assert (worktree / "leak.txt").read_text() == ""  # nothing inside could find the key in any environ
    for folder in (worktree, config):
        for path in folder.rglob("*"):
            assert not path.is_file() or SECRET.encode() not in path.read_bytes(), path
    assert revoked == 401
    assert len(grant.requests) == len(model.requests("t1")) and grant.requests[-1]["status"] == 200
    note = cross_check(grant.tokens, cli_totals(result[-1]))
    assert note and "hooks" in note  # the nested request is counted by the gateway, not by Claude Code
    assert not [p for p in psutil.Process(os.getpid()).children(recursive=True) if p.pid in seen]


def _post(base_url: str, token: str) -> int:
    request = urllib.request.Request(base_url + "/v1/messages", data=b"{}", headers={"x-api-key": token})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_verification_runs_confined_without_network(tmp_path: Path) -> None:
    bwrap = require_bwrap()
    worktree = tmp_path / "wt"
    (worktree / "tests").mkdir(parents=True)
    (worktree / "tests" / "test_ok.py").write_text(
        "import unittest, socket\nclass T(unittest.TestCase):\n    def test_ok(self):\n"
        "        self.assertEqual(socket.if_nameindex()[0][1], 'lo')\n")
    argv, env = Confinement(bwrap=bwrap).wrap(["python3", "-m", "unittest", "discover", "-s", "tests", "-q"],
                                              {"PATH": "/usr/bin:/bin"}, worktree, [worktree], net=False)
    done = subprocess.run(argv, env=env, cwd=worktree, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_subscription_login_stays_with_the_gateway(tmp_path: Path, claude_bin: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A real run with only a login file: the gateway authenticates with it; the trial never sees it."""
    from popkit_bench.cli import main
    from popkit_bench.record.journal import read_journal_json

    require_bwrap()
    oauth = "sk-ant-oat01-popkit-login-" + "7" * 24
    login = tmp_path / "claude-home"
    login.mkdir()
    (login / ".credentials.json").write_text(json.dumps({"claudeAiOauth": {
        "accessToken": oauth, "refreshToken": "sk-ant-ort01-popkit-refresh", "expiresAt": 4102444800000,
        "scopes": ["user:inference", "user:profile"], "subscriptionType": "pro"}}))
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(login))
    probe = 'cat "$CLAUDE_CONFIG_DIR/.credentials.json"'  # the trial looks for a login in its config folder
    play = parse_play({"play": "probe", "turns": [
        {"tool_calls": [{"name": "Bash", "input": {"command": probe, "description": "probe"}}]}, {"text": "Done."}]})
    with RehearsalServer(play, keep_requests=True) as model:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", model.base_url)
        run_dir = tmp_path / "run"
        code = main(["run", "pagination-off-by-one", "--trials", "1", "--parallel", "2", "--sandbox", "bwrap",
                     "--run-dir", str(run_dir), "--report-dir", str(tmp_path / "reports")])
        auth = {r["headers"].get("authorization") or r["headers"].get("Authorization") for r in model.requests()}
    assert code in (0, 3)
    records = read_journal_json(run_dir / "results.jsonl")
    assert [r["status"] for r in records] == ["completed", "completed"], [r["status_reason"] for r in records]
    assert auth == {f"Bearer {oauth}"} and all(r["gateway"]["requests"] > 0 for r in records)
    for path in run_dir.rglob("*"):
        assert not path.is_file() or oauth not in path.read_bytes().decode(errors="replace"), path
    streams = "".join((run_dir / r["trial_dir"] / "stream.jsonl").read_text() for r in records)
    assert "credentials.json: No such file or directory" in streams  # the probe ran and found no login
