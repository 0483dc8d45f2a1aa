"""Real bubblewrap: what a hostile process inside a confined trial can and cannot do."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import psutil
import pytest
from sandbox_support import require_bwrap

from popkit_bench.sandbox.confine import Confinement, trial_writable
from popkit_bench.sandbox.paths import PACKAGE_ROOT

HOSTILE = r"""
import json, os, socket, sys
paths = json.loads(sys.argv[1])
out = {}
def attempt(name, fn):
    try:
        out[name] = ["ok", fn()]
    except Exception as exc:
        out[name] = ["fail", type(exc).__name__ + ": " + str(exc)]
attempt("read_user_secret", lambda: open(paths["secret"]).read())
attempt("list_user_repo", lambda: os.listdir(paths["repo"]))
attempt("read_results", lambda: open(paths["results"]).read())
attempt("write_plugin", lambda: open(os.path.join(paths["plugin"], "x"), "w").write("x"))
attempt("write_popkit", lambda: open(os.path.join(paths["popkit"], "tasks", "evil.yml"), "w").write("x"))
attempt("write_worktree", lambda: open("changed.txt", "w").write("mine"))
attempt("write_home", lambda: open(os.path.expanduser("~/.bashrc"), "w").write("x"))
attempt("home_listing", lambda: sorted(os.listdir(os.path.expanduser("~"))))
attempt("read_plugin", lambda: open(os.path.join(paths["plugin"], "plugin.txt")).read())
attempt("connect_host_port", lambda: socket.create_connection(("127.0.0.1", paths["port"]), timeout=3).close())
attempt("pids", lambda: sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
os.system("setsid sleep 300 " + paths["marker"] + " >/dev/null 2>&1 < /dev/null &")
print(json.dumps(out))
"""


@pytest.fixture()
def layout(tmp_path: Path) -> dict:
    """A user home with a secret, a user repository, a run folder holding the trial's worktree, a plugin."""
    paths = {"secret": tmp_path / "home" / ".ssh" / "id_rsa", "repo": tmp_path / "repo",
             "results": tmp_path / "run" / "results.jsonl", "plugin": tmp_path / "plugin",
             "worktree": tmp_path / "run" / "worktrees" / "t1", "config": tmp_path / "config"}
    for key in ("repo", "plugin", "worktree", "config"):
        paths[key].mkdir(parents=True)
    paths["secret"].parent.mkdir(parents=True)
    paths["secret"].write_text("PRIVATE KEY")
    paths["results"].write_text('{"status": "completed"}\n')
    (paths["plugin"] / "plugin.txt").write_text("plugin code")
    return paths


def listener() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    threading.Thread(target=accept_once, args=(server,), daemon=True).start()
    return server, server.getsockname()[1]


def accept_once(server: socket.socket) -> None:
    """Take one connection if one comes; the test closes the socket when done (then accept fails: fine)."""
    with contextlib.suppress(OSError):
        server.accept()


def run_hostile(confinement: Confinement, layout: dict, port: int, marker: str) -> dict:
    writable, readonly = trial_writable(layout["worktree"], layout["config"])
    args = {"secret": str(layout["secret"]), "repo": str(layout["repo"]), "results": str(layout["results"]),
            "plugin": str(layout["plugin"]), "popkit": str(PACKAGE_ROOT), "port": port, "marker": marker}
    argv, env = confinement.wrap(["/usr/bin/python3", "-c", HOSTILE, json.dumps(args)],
                                 {"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}, layout["worktree"],
                                 writable, [*readonly, layout["plugin"]], net=False)
    done = subprocess.run(argv, env=env, cwd=layout["worktree"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_hostile_process_reaches_only_its_worktree(layout: dict) -> None:
    bwrap = require_bwrap()
    confinement = Confinement(bwrap=bwrap, hidden=[layout["results"].parent])
    server, port = listener()
    marker = f"{uuid.uuid4().int % 10**6}.5"
    try:
        out = run_hostile(confinement, layout, port, marker)
    finally:
        server.close()
    for name in ("read_user_secret", "list_user_repo", "read_results", "write_plugin", "write_popkit",
                 "connect_host_port"):
        assert out[name][0] == "fail", (name, out[name])
    assert "Read-only file system" in out["write_plugin"][1] and "Read-only" in out["write_popkit"][1]
    assert out["read_plugin"] == ["ok", "plugin code"]
    assert out["write_worktree"][0] == "ok" and (layout["worktree"] / "changed.txt").read_text() == "mine"
    assert out["write_home"][0] == "ok" and out["home_listing"] == ["ok", [".bashrc"]]  # fresh and empty
    assert not (Path.home() / ".bashrc").exists() or "x" != (Path.home() / ".bashrc").read_text()
    assert max(out["pids"][1]) < 10 and os.getpid() not in out["pids"][1]  # its own pid namespace
    assert layout["results"].read_text() == '{"status": "completed"}\n'
    alive = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    assert not alive, "a daemon of the trial outlived it"


def test_network_full_reaches_the_host(layout: dict) -> None:
    bwrap = require_bwrap()
    server, port = listener()
    try:
        out = run_hostile(Confinement(bwrap=bwrap, network="full"), layout, port, "0.25")
    finally:
        server.close()
    assert out["connect_host_port"][0] == "ok"
    assert out["read_user_secret"][0] == "fail"


def test_verification_commands_run_confined(tmp_path: Path) -> None:
    from popkit_bench.execution.verification import run_command
    from popkit_bench.tasks.spec import VerificationCommand

    bwrap = require_bwrap()
    secret = tmp_path / "home" / "secret"
    secret.parent.mkdir()
    secret.write_text("x")
    worktree = tmp_path / "wt"
    worktree.mkdir()
    check = VerificationCommand(f"test ! -e {secret} && touch made-here", shell=True)
    confined = run_command(check, worktree, Confinement(bwrap=bwrap, hidden=[tmp_path]))
    assert confined.passed, confined
    assert (worktree / "made-here").exists()
    assert not run_command(check, worktree).passed  # unconfined, the secret is visible
