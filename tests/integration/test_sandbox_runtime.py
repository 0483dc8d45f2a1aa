"""The run-level pieces together: scripted model behind the gateway, a trial's access, real bubblewrap."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_support import require_bwrap

from popkit_bench.rehearsal.play import parse_play
from popkit_bench.rehearsal.server import RehearsalServer
from popkit_bench.sandbox.probe import SandboxChoice, resolve_sandbox
from popkit_bench.sandbox.runtime import SandboxRuntime

# A request as a hook or a nested `claude` would make it: the base URL only (the token is in its path).
REQUEST = ("import json, os, urllib.request as u; r = u.Request(os.environ['ANTHROPIC_BASE_URL'] + '/v1/messages', "
           "data=json.dumps({'model': 'claude-haiku-4-5', 'max_tokens': 5, 'messages': [{'role': 'user', "
           "'content': 'hi'}]}).encode(), headers={'x-api-key': 'anything', "
           "'content-type': 'application/json'}); print(json.load(u.urlopen(r))['type'])")


@pytest.fixture()
def model() -> Iterator[RehearsalServer]:
    with RehearsalServer(parse_play({"play": "p", "turns": [{"text": "hello"}]})) as server:
        yield server


def run_inside(access, worktree: Path) -> subprocess.CompletedProcess:  # noqa: ANN001
    argv, env = access.wrapper.wrap(["/usr/bin/python3", "-c", REQUEST],
                                    {"PATH": "/usr/bin:/bin", "ANTHROPIC_BASE_URL": access.base_url},
                                    cwd=worktree, writable=[worktree], readonly=[])
    return subprocess.run(argv, env=env, cwd=worktree, capture_output=True, text=True, timeout=60)


def test_a_confined_trial_reaches_its_scripted_model_through_the_gateway_only_while_open(
        tmp_path: Path, model: RehearsalServer) -> None:
    require_bwrap()
    runtime = SandboxRuntime(resolve_sandbox("bwrap"), run_dir=tmp_path / "run", claude_binary=None, scripted=True)
    runtime.start()
    try:
        worktree = tmp_path / "run" / "wt"
        worktree.mkdir(parents=True)
        access = runtime.open_trial("t1", upstream=model.base_url_for("t1"))
        assert access.level == "bwrap" and "/t/popkit-trial-" in access.base_url
        done = run_inside(access, worktree)
        assert done.returncode == 0 and done.stdout.strip() == "message", done.stderr
        assert len(model.served("t1").replies) == 1  # the trial's own play answered
        summary = runtime.close_trial(access, None)
        assert summary["requests"] == 1 and summary["sandbox"] == "bwrap" and summary["tokens"]["output_tokens"] > 0
        assert access.grant.token not in str(summary)
        assert "no token totals" in summary["cross_check_note"]
        again = run_inside(access, worktree)
        assert again.returncode != 0 and "401" in again.stderr  # revoked once the trial ended
    finally:
        runtime.stop()


def test_network_full_and_level_none(tmp_path: Path, model: RehearsalServer) -> None:
    require_bwrap()
    none = SandboxRuntime(SandboxChoice("none", "none", "WARNING: no sandbox"), run_dir=tmp_path,
                          claude_binary=None, scripted=True)
    full = SandboxRuntime(resolve_sandbox("bwrap"), run_dir=tmp_path / "run", claude_binary=None, scripted=True)
    for runtime in (none, full):
        runtime.start()
    try:
        plain = none.open_trial("t2", upstream=model.base_url_for("t2"))
        argv, _ = plain.wrapper.wrap(["true"], {}, cwd=tmp_path, writable=[], readonly=[])
        assert argv == ["true"] and plain.level == "none"
        open_net = full.open_trial("t3", network="full", upstream=model.base_url_for("t3"))
        argv, _ = open_net.wrapper.wrap(["true"], {}, cwd=tmp_path, writable=[tmp_path], readonly=[])
        assert "--unshare-net" not in argv and argv[0].endswith("bwrap")
        (tmp_path / "wt").mkdir()
        done = run_inside(open_net, tmp_path / "wt")  # the gateway's TCP port, over the shared network
        assert done.returncode == 0, done.stderr
    finally:
        for runtime in (none, full):
            runtime.stop()


def test_a_wrapper_needs_a_started_gateway(tmp_path: Path) -> None:
    runtime = SandboxRuntime(SandboxChoice("bwrap", "bwrap", None, "bwrap"), run_dir=tmp_path, claude_binary=None,
                             scripted=True)
    with pytest.raises(RuntimeError):
        runtime.wrapper("gateway")
