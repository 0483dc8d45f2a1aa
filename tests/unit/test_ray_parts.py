"""Pieces of the Ray executor that need no cluster: codebase bundles, artifact archives, the API gate, the
worker's scratch-folder run and CLI check, and the scripted model's per-turn delay."""

from __future__ import annotations

import dataclasses
import io
import tarfile
import threading
import time
from pathlib import Path

import pytest

from popkit_bench.errors import InputError
from popkit_bench.execution.ray.archive import ArchiveError, pack, unpack
from popkit_bench.execution.ray.bundle import BundleStore, create_bundle, unbundle
from popkit_bench.execution.ray.connect import is_local, node_label
from popkit_bench.execution.ray.gate import ApiGate
from popkit_bench.execution.ray.inputs import pack_plugin
from popkit_bench.execution.ray.worker import execute_here, node_cli
from popkit_bench.execution.ray.worktree_return import pack_worktree, restore_worktree
from popkit_bench.rehearsal import RehearsalServer, parse_play
from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.fingerprint import repo_fingerprint
from popkit_bench.workspace.git import commit_folder, git
from popkit_bench.workspace.worktree import check_base_unchanged, create_worktree


def make_codebase(tmp_path: Path) -> Codebase:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "app.py").write_text("print('v1')\n")
    commit_folder(repo, "v1")
    first = git("rev-parse", "HEAD", cwd=repo).strip()
    (repo / "src" / "app.py").write_text("print('v2')\n")
    git("commit", "-qam", "v2", cwd=repo)
    return Codebase(repo, first, "main", "bundled:repo", "digest")


def test_bundle_carries_the_trial_commit_and_nothing_is_left_in_the_run_repo(tmp_path: Path) -> None:
    codebase = make_codebase(tmp_path)
    codebase = dataclasses.replace(codebase, fingerprint=repo_fingerprint(codebase.repo))
    data = create_bundle(codebase.repo, codebase.commit)
    check_base_unchanged(codebase)  # the run's repository was only read
    local = unbundle(data, tmp_path / "node" / "repo", codebase)
    assert local.repo == tmp_path / "node" / "repo" and local.commit == codebase.commit
    check_base_unchanged(local)
    assert (local.source, local.ref, local.digest) == (codebase.source, codebase.ref, codebase.digest)
    shown = git("show", f"{codebase.commit}:src/app.py", cwd=local.repo)
    assert shown == "print('v1')\n"
    create_worktree(local, tmp_path / "wt")
    assert (tmp_path / "wt" / "src" / "app.py").read_text() == "print('v1')\n"


def test_bundle_store_puts_each_codebase_once(tmp_path: Path) -> None:
    codebase = make_codebase(tmp_path)
    puts: list[bytes] = []
    store = BundleStore(put=lambda data: puts.append(data) or len(puts))
    refs = {store.ref_for(codebase) for _ in range(5)}
    assert refs == {1} and len(puts) == 1 and len(store) == 1


def test_archive_round_trip_keeps_files_and_folders(tmp_path: Path) -> None:
    trial = tmp_path / "trial"
    (trial / "transcript" / "sub").mkdir(parents=True)
    (trial / "stream.jsonl").write_text('{"type": "result"}\n')
    (trial / "transcript" / "sub" / "agent.jsonl").write_bytes(b"\x00binary")
    (trial / "link").symlink_to("/etc/passwd")
    names = unpack(pack(trial), tmp_path / "out")
    assert (tmp_path / "out" / "stream.jsonl").read_text() == '{"type": "result"}\n'
    assert (tmp_path / "out" / "transcript" / "sub" / "agent.jsonl").read_bytes() == b"\x00binary"
    assert "link" not in names and not (tmp_path / "out" / "link").exists()


def hostile(member: tarfile.TarInfo, payload: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        member.size = len(payload) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(payload) if member.isfile() else None)
    return buffer.getvalue()


@pytest.mark.parametrize("member", [
    tarfile.TarInfo("../escape.txt"),
    tarfile.TarInfo("/tmp/absolute.txt"),
    tarfile.TarInfo("a/../../escape.txt"),
])
def test_archive_refuses_paths_leaving_the_trial_folder(tmp_path: Path, member: tarfile.TarInfo) -> None:
    with pytest.raises(ArchiveError, match="leaves the trial folder"):
        unpack(hostile(member), tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists() and not list((tmp_path / "out").iterdir())


def test_archive_refuses_links_and_oversize(tmp_path: Path) -> None:
    link = tarfile.TarInfo("passwd")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    with pytest.raises(ArchiveError, match="not a regular file"):
        unpack(hostile(link), tmp_path / "out")
    with pytest.raises(ArchiveError, match="exceed the limit"):
        unpack(hostile(tarfile.TarInfo("big"), b"y" * 100), tmp_path / "out2", limit=10)
    assert not list((tmp_path / "out2").iterdir())


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_gate_limits_concurrency_across_holders() -> None:
    gate = ApiGate(max_concurrent=2)
    assert gate.try_acquire("a", "node1") == 0 and gate.try_acquire("b", "node2") == 0
    assert gate.try_acquire("c", "node1") > 0
    assert gate.try_acquire("a", "node1") == 0  # already held: idempotent
    assert gate.release("a") and not gate.release("a")
    assert gate.try_acquire("c", "node1") == 0
    assert gate.stats() == {"held": 2, "granted": 3, "peak": 2, "max_concurrent": 2, "rate_per_min": None}


def test_gate_rate_is_a_token_bucket() -> None:
    clock = Clock()
    gate = ApiGate(rate_per_min=30, clock=clock)  # one start every 2 s
    assert gate.try_acquire("a") == 0
    assert gate.try_acquire("b") == pytest.approx(2.0)
    clock.now = 1.5
    assert gate.try_acquire("b") == pytest.approx(0.5)
    clock.now = 2.0
    assert gate.try_acquire("b") == 0
    clock.now = 100.0  # a long pause saves up at most `burst` starts
    assert gate.try_acquire("c") == 0 and gate.try_acquire("d") > 0


def test_worker_runs_in_a_scratch_folder_it_removes_and_returns_the_artifacts(tmp_path: Path) -> None:
    seen: dict[str, Path] = {}

    def work(scratch, trial_dir, stop):
        seen["scratch"] = scratch
        (trial_dir / "stream.jsonl").write_text('{"type": "result"}\n')
        (trial_dir / "transcript").mkdir()
        (trial_dir / "transcript" / "s.jsonl").write_bytes(b"session")
        return {"record": {"status": "completed"}, "worktree": None}

    out = execute_here(work, threading.Event())
    assert out["record"] == {"status": "completed"} and not seen["scratch"].exists()
    unpack(out["archive"], tmp_path / "trial")
    assert (tmp_path / "trial" / "transcript" / "s.jsonl").read_bytes() == b"session"
    assert (tmp_path / "trial" / "stream.jsonl").read_text() == '{"type": "result"}\n'


def test_worker_harness_crash_is_an_infrastructure_error() -> None:
    def work(*_args):
        raise OSError("disk full")

    out = execute_here(work, threading.Event())
    assert out == {"infra_error": "node: the trial's harness failed: OSError: disk full"}


def test_node_without_the_pinned_cli_says_why(tmp_path: Path, claude_bin: Path, monkeypatch) -> None:
    monkeypatch.setenv("POPKIT_CLAUDE_BIN", str(claude_bin))
    assert node_cli("2.1.330") == (claude_bin, None)
    assert node_cli("2.1.330", tmp_path / "driver-only" / "claude") == (claude_bin, None)  # not on this node
    binary, wrong = node_cli("9.9.9")
    assert binary is None and wrong is not None and "is version 2.1.330, the run pinned 9.9.9" in wrong
    monkeypatch.setenv("POPKIT_CLAUDE_BIN", str(tmp_path / "nope" / "claude"))
    binary, missing = node_cli("2.1.330", tmp_path / "driver-only" / "claude")
    assert binary is None and missing is not None and missing.startswith("no Claude Code CLI on this node")


def test_plugin_shipping_leaves_out_environments_and_caches(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    for rel in (".claude-plugin/plugin.json", "skills/x/SKILL.md", ".venv/lib/big.so", ".git/HEAD",
                "scripts/__pycache__/a.pyc", "node_modules/m/index.js"):
        (plugin / rel).parent.mkdir(parents=True, exist_ok=True)
        (plugin / rel).write_text("x")
    names = unpack(pack_plugin(plugin), tmp_path / "out")
    files = sorted(n for n in names if (tmp_path / "out" / n).is_file())
    assert files == [".claude-plugin/plugin.json", "skills/x/SKILL.md"]


def test_kept_worktree_comes_back_with_the_agents_changes(tmp_path: Path) -> None:
    codebase = make_codebase(tmp_path)
    node_wt = tmp_path / "node-wt"
    git("worktree", "add", "-q", "--detach", str(node_wt), codebase.commit, cwd=codebase.repo)
    (node_wt / "src" / "app.py").write_text("print('fixed')\n")
    (node_wt / "NEW.md").write_text("new\n")
    data = pack_worktree(node_wt)
    (node_wt / "src" / "app.py").unlink()
    git("worktree", "remove", "--force", str(node_wt), cwd=codebase.repo)
    driver_wt = tmp_path / "driver" / "wt"
    restore_worktree(data, codebase, driver_wt)
    status = git("status", "--porcelain", "--untracked-files=all", cwd=driver_wt)
    assert sorted(status.splitlines()) == [" M src/app.py", "?? NEW.md"]
    with pytest.raises(ArchiveError, match="may not be written"):
        unpack(hostile(tarfile.TarInfo(".git")), tmp_path / "x", refuse_top=frozenset({".git"}))


def test_addresses_and_labels() -> None:
    assert is_local(None) and is_local("127.0.0.1:6379") and is_local("ray://localhost:10001")
    assert not is_local("10.0.0.5:6379")
    assert node_label("127.0.0.1", "0123456789abcdef") == "127.0.0.1/01234567"


def test_play_turn_delay_is_validated_and_slows_main_loop_replies() -> None:
    with pytest.raises(InputError, match="turn_delay_s"):
        parse_play({"turns": [{"text": "hi"}], "turn_delay_s": -1})
    play = parse_play({"turns": [{"text": "hi"}], "turn_delay_s": 0.4})
    assert play.turn_delay_s == 0.4
    from tests.unit.test_rehearsal_server import ask

    with RehearsalServer(play) as server:
        body = {"model": "m", "max_tokens": 10, "tools": [{"name": "Bash"}],
                "messages": [{"role": "user", "content": "go"}]}
        t0 = time.monotonic()
        reply = ask(server.base_url, body)
        assert time.monotonic() - t0 >= 0.4 and reply["content"][0]["text"] == "hi"
        t0 = time.monotonic()
        ask(server.base_url, {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "t"}]})
        assert time.monotonic() - t0 < 0.4  # a side request (no tools) is not a turn


def test_a_node_failure_is_an_infrastructure_failure_the_scheduler_retries() -> None:
    from popkit_bench.execution.retry import infra_failure
    from popkit_bench.record.trial_record import TrialRecord

    lost = TrialRecord("t", "baseline", 1, status="error",
                       status_reason="node: the node running this trial was lost (NodeDiedError)")
    assert infra_failure(lost) == lost.status_reason
    harness = TrialRecord("t", "baseline", 1, status="error", status_reason="harness: OSError: x")
    assert infra_failure(harness) is None


def test_ray_options_need_the_ray_executor_and_exclude_watch(capsys) -> None:
    from popkit_bench.cli import main

    assert main(["demo", "--ray-address", "127.0.0.1:6379", "--no-report"]) == 2
    assert "need --executor ray" in capsys.readouterr().err
    assert main(["demo", "--executor", "ray", "--watch", "--no-report"]) == 2
    assert "not with --executor ray" in capsys.readouterr().err


def test_report_environment_lists_the_nodes_from_the_records(tmp_path: Path) -> None:
    from popkit_bench.report.load import RunData
    from popkit_bench.report.run_view import environment

    records = [{"node": "127.0.0.1/aaaa0000", "status": "completed"}, {"node": "127.0.0.1/aaaa0000"},
               {"node": "127.0.0.1/bbbb1111"}]
    run = RunData(tmp_path, {"executor": {"name": "ray", "address": "127.0.0.1:6379"}}, records)
    rows = {row["label"]: row["value"] for row in environment(run, None)}
    assert rows["Executor"] == "ray, cluster 127.0.0.1:6379"
    assert rows["Nodes"] == "127.0.0.1/aaaa0000 (2 trials), 127.0.0.1/bbbb1111 (1 trial)"
    local = RunData(tmp_path, {"executor": {"name": "local"}}, [{"status": "completed"}])
    assert "Nodes" not in {row["label"] for row in environment(local, None)}


def test_a_cancelled_trial_stops_and_its_processes_are_killed_on_the_node() -> None:
    import _thread
    import subprocess

    started: dict[str, object] = {}

    def work(scratch, trial_dir, stop):
        started["proc"] = subprocess.Popen(["sleep", "60"])
        started["scratch"] = scratch
        stop.wait(30)
        started["stopped"] = stop.is_set()
        return {"record": {"status": "interrupted"}}

    threading.Timer(0.5, _thread.interrupt_main).start()  # what ray.cancel does to the task's thread
    with pytest.raises(KeyboardInterrupt):
        execute_here(work, threading.Event())
    proc = started["proc"]
    assert proc.poll() is not None  # killed (and reaped) long before its 60 s  # type: ignore[union-attr]
    assert started["stopped"] is True and not started["scratch"].exists()  # type: ignore[union-attr]


def test_arm_inputs_travel_and_land_in_the_trial_scratch_folder(tmp_path: Path) -> None:
    from popkit_bench.execution.ray.inputs import InputStore, localize_inputs
    from popkit_bench.execution.spec import TrialSpec
    from popkit_bench.planning.arm_definition import ArmDefinition
    from popkit_bench.planning.plan import TrialKey
    from popkit_bench.tasks.discovery import resolve_tasks

    plugin, skill = tmp_path / "my-plugin", tmp_path / "my-skill"
    (plugin / ".claude-plugin").mkdir(parents=True)
    (plugin / ".claude-plugin" / "plugin.json").write_text('{"name": "p"}')
    skill.mkdir()
    (skill / "SKILL.md").write_text("---\nname: my-skill\n---\n")
    task = resolve_tasks("pagination-off-by-one")[0]
    arm = ArmDefinition("treat", plugin_dirs=(plugin,), plugin_names=("p",), skills=(skill,))
    spec = TrialSpec(run_id="r", key=TrialKey(task.id, "treat", 1), task=task, arm=arm,
                     codebase=make_codebase(tmp_path))
    objects: list[bytes] = []
    store = InputStore(put=lambda data: objects.append(data) or len(objects) - 1)
    inputs = store.inputs_for(spec)
    assert store.inputs_for(spec) == inputs and len(objects) == 2  # each folder packed and put once
    local = localize_inputs(spec, inputs, tmp_path / "scratch", lambda ref: objects[ref])
    assert (local.arm.plugin_dirs[0] / ".claude-plugin" / "plugin.json").read_text() == '{"name": "p"}'
    assert (local.arm.skills[0] / "SKILL.md").exists() and local.arm.skills[0].name == "my-skill"
    assert str(local.arm.plugin_dirs[0]).startswith(str(tmp_path / "scratch"))
    assert local.task.responses_path is not None and local.task.responses_path.parent == tmp_path / "scratch" / "inputs"
    assert local.task.responses_path.read_bytes() == task.responses_path.read_bytes()  # type: ignore[union-attr]
