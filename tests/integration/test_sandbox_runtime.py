"""The run-level pieces together: scripted model behind the gateway, a trial's access, real bubblewrap."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from sandbox_support import require_bwrap

from popkit_bench.rehearsal.endpoint import RehearsalEndpoint
from popkit_bench.sandbox.probe import SandboxChoice, resolve_sandbox
from popkit_bench.sandbox.runtime import SandboxRuntime

REQUEST = ("import json, os, urllib.request as u; r = u.Request(os.environ['ANTHROPIC_BASE_URL'] + '/v1/messages', "
           "data=json.dumps({'model': 'claude-haiku-4-5', 'max_tokens': 5, 'messages': [{'role': 'user', "
           "'content': 'hi'}]}).encode(), headers={'x-api-key': os.environ['ANTHROPIC_API_KEY'], "
           "'content-type': 'application/json'}); print(json.load(u.urlopen(r))['type'])")


def task(network: str) -> SimpleNamespace:
    return SimpleNamespace(id="demo", play_path=None, verification=(), network=network)


def run_inside(access, worktree: Path) -> subprocess.CompletedProcess:  # noqa: ANN001
    argv, env = access.confine(["/usr/bin/python3", "-c", REQUEST], {"PATH": "/usr/bin:/bin", **access.env},
                               worktree, [worktree])
    return subprocess.run(argv, env=env, cwd=worktree, capture_output=True, text=True, timeout=60)


def test_a_confined_trial_reaches_the_scripted_model_through_the_gateway_only_while_open(tmp_path: Path) -> None:
    require_bwrap()
    endpoint = RehearsalEndpoint()
    endpoint.start()
    runtime = SandboxRuntime(resolve_sandbox("bwrap"), run_dir=tmp_path / "run", claude_binary=None, route=endpoint)
    runtime.start()
    try:
        worktree = tmp_path / "run" / "wt"
        worktree.mkdir(parents=True)
        access = runtime.open_trial("t1", task("gateway"))
        assert access.level == "bwrap" and access.env["ANTHROPIC_API_KEY"].startswith("popkit-trial-")
        done = run_inside(access, worktree)
        assert done.returncode == 0 and done.stdout.strip() == "message", done.stderr
        assert len(endpoint.served("t1").replies) == 1  # the trial's own play answered
        summary = runtime.close_trial(access, None)
        assert summary["requests"] == 1 and summary["sandbox"] == "bwrap" and summary["tokens"]["output_tokens"] > 0
        assert "no token totals" in summary["cross_check_note"]
        again = run_inside(access, worktree)
        assert again.returncode != 0 and "401" in again.stderr  # revoked once the trial ended
    finally:
        runtime.stop()
        endpoint.stop()


def test_network_full_and_level_none(tmp_path: Path) -> None:
    require_bwrap()
    endpoint = RehearsalEndpoint()
    endpoint.start()
    none = SandboxRuntime(SandboxChoice("none", "none", "WARNING: no sandbox"), run_dir=tmp_path, claude_binary=None,
                          route=endpoint)
    full = SandboxRuntime(resolve_sandbox("bwrap"), run_dir=tmp_path / "run", claude_binary=None, route=endpoint)
    for runtime in (none, full):
        runtime.start()
    try:
        plain = none.open_trial("t2", task("gateway"))
        argv, _ = plain.confine(["true"], {}, tmp_path)
        assert argv == ["true"] and plain.level == "none"
        open_net = full.open_trial("t3", task("full"))
        argv, _ = open_net.confine(["true"], {}, tmp_path, [tmp_path])
        assert "--unshare-net" not in argv and argv[0].endswith("bwrap")
        (tmp_path / "wt").mkdir()
        done = run_inside(open_net, tmp_path / "wt")  # the gateway's TCP port, over the shared network
        assert done.returncode == 0, done.stderr
    finally:
        for runtime in (none, full):
            runtime.stop()
        endpoint.stop()


def test_unknown_token_is_refused(tmp_path: Path) -> None:
    endpoint = RehearsalEndpoint()
    endpoint.start()
    runtime = SandboxRuntime(SandboxChoice("none", "none"), run_dir=tmp_path, claude_binary=None, route=endpoint)
    runtime.start()
    try:
        request = urllib.request.Request(runtime.gateway.base_url + "/v1/messages", data=json.dumps({}).encode(),
                                         headers={"x-api-key": "rehearsal-no-key"})
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("an unknown token was accepted")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    finally:
        runtime.stop()
        endpoint.stop()
