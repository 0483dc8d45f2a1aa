"""Benchmarks across a local multi-node Ray cluster (all on 127.0.0.1), real CLI + scripted model: the demo
and a 2-task suite complete on both nodes with the same verdict shape as a local run; a worker node killed
mid-run and a driver killed mid-run lose and duplicate no trial."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from slow_tasks import slow_task

from popkit_bench.cli import main
from popkit_bench.execution.ray.connect import node_label
from popkit_bench.execution.ray.local_cluster import LocalCluster
from popkit_bench.record.journal import read_journal_json
from popkit_bench.record.trial_record import FINAL_STATUSES

pytestmark = [pytest.mark.ray, pytest.mark.real_cli]
REPO = Path(__file__).resolve().parents[2]


def shape(value: Any, depth: int = 3) -> Any:
    """The keys of an analysis, nested `depth` levels (values and list lengths left out)."""
    if depth == 0:
        return None
    if isinstance(value, dict):
        return {k: shape(v, depth - 1) for k, v in value.items()}
    return "list" if isinstance(value, list) else None


def complete(run_dir: Path) -> list[dict]:
    """Every planned trial has exactly one final record, and it is `completed`."""
    plan = {(k["task_id"], k["arm"], k["trial"]) for k in json.loads((run_dir / "run.json").read_text())["plan"]}
    records = read_journal_json(run_dir / "results.jsonl")
    finals = [r for r in records if r["status"] in FINAL_STATUSES]
    keys = [(r["task_id"], r["arm"], r["trial"]) for r in finals]
    assert len(keys) == len(set(keys)), "a trial has two final records"
    assert set(keys) == plan, "a planned trial has no final record"
    assert all(r["status"] == "completed" for r in finals), [r["status_reason"] for r in finals]
    return finals


def driver(*args: str) -> subprocess.Popen:
    """popkit-bench as its own process (a driver of the cluster), JSON progress on stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "scripts"), str(REPO / "shared")])}
    return subprocess.Popen([sys.executable, "-m", "popkit_bench", *args, "--json"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_event(proc: subprocess.Popen, event: str, timeout: float = 400) -> list[dict]:
    """Read the driver's JSON lines until `event`; return the events seen."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise AssertionError(f"driver ended before {event!r}: {seen}")
        if line.startswith("{"):
            seen.append(json.loads(line))
            if seen[-1].get("event") == event:
                return seen
    raise AssertionError(f"no {event!r} in time")


def runs_claude(node: Any) -> bool:
    """True while a Claude Code process runs under the node's raylet (a trial is mid-session there)."""
    raylet = psutil.Process(node.all_processes["raylet"][0].process.pid)
    return any(p.name().startswith("claude") for p in raylet.children(recursive=True))


def test_demo_on_two_nodes_has_the_verdict_shape_of_a_local_run(ray_cluster: LocalCluster, tmp_path: Path,
                                                                  claude_bin: Path) -> None:
    on_ray, local = tmp_path / "ray", tmp_path / "local"
    assert main(["demo", "--trials", "2", "--executor", "ray", "--ray-address", ray_cluster.address,
                 "--run-dir", str(on_ray), "--report-dir", str(tmp_path / "reports")]) == 0
    finals = complete(on_ray)
    assert len(finals) == 4 and {r["executor"] for r in finals} == {"ray"}
    assert len({r["node"] for r in finals}) >= 2, [r["node"] for r in finals]
    for record in finals:  # artifacts came back into the driver's run folder
        trial = on_ray / record["trial_dir"]
        assert (trial / "stream.jsonl").stat().st_size > 0 and any((trial / "transcript").glob("*.jsonl"))
        assert (trial / "verification.json").exists() and (trial / "rehearsal.json").exists()
    run_json = json.loads((on_ray / "run.json").read_text())
    assert run_json["executor"]["name"] == "ray" and sum(run_json["executor"]["trials_per_node"].values()) == 4
    assert run_json["options"]["executor"] == "ray"
    # each node confined its trials at the run's sandbox level (bwrap where it can start: CI installs it)
    assert {r["sandbox"] for r in finals} == {run_json["options"]["sandbox"]} == {run_json["executor"]["sandbox"]}
    gate = run_json["executor"]["api_gate"]  # every session took a lease of the run's one API gate
    assert gate["granted"] == 4 and gate["peak"] <= gate["max_concurrent"] == 2 and gate["held"] == 0
    report = next((tmp_path / "reports").glob("*.md")).read_text()
    assert "Nodes" in report and all(r["node"] in report for r in finals)

    assert main(["demo", "--trials", "2", "--parallel", "2", "--run-dir", str(local), "--no-report"]) == 0
    assert main(["analyze", str(local)]) == 0
    ray_analysis = json.loads((on_ray / "analysis.json").read_text())
    local_analysis = json.loads((local / "analysis.json").read_text())
    assert shape(ray_analysis) == shape(local_analysis)
    assert ray_analysis["summary"].keys() == local_analysis["summary"].keys()


def test_suite_driver_killed_mid_run_then_resumed_finishes_on_the_cluster(ray_cluster: LocalCluster,
                                                                          tmp_path: Path, claude_bin: Path) -> None:
    run_dir = tmp_path / "suite"
    proc = driver("run", "--category", "code-review", "--trials", "2", "--rehearsal", "--executor", "ray",
                  "--ray-address", ray_cluster.address, "--run-dir", str(run_dir), "--no-report")
    try:
        wait_for_event(proc, "trial_end")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    before = read_journal_json(run_dir / "results.jsonl")
    assert 1 <= len(before) < 8
    assert main(["run", "--resume", str(run_dir), "--report-dir", str(tmp_path / "reports")]) == 0
    finals = complete(run_dir)
    assert len(finals) == 8 and len({r["task_id"] for r in finals}) == 2
    assert len({r["node"] for r in finals}) >= 2
    analysis = json.loads((run_dir / "analysis.json").read_text())
    assert analysis["unit"] == "task" and analysis["suite"]["n_tasks"] == 2


def test_worker_node_killed_mid_trial_loses_and_duplicates_nothing(ray_cluster: LocalCluster, tmp_path: Path,
                                                                    claude_bin: Path) -> None:
    doomed = ray_cluster.add_worker(1)
    doomed_label = node_label("127.0.0.1", doomed.node_id)
    task = slow_task(tmp_path / "tasks", turn_delay_s=1.5)
    run_dir = tmp_path / "run"
    proc = driver("run", str(task), "--trials", "3", "--rehearsal", "--executor", "ray", "--ray-address",
                  ray_cluster.address, "--parallel", "3", "--run-dir", str(run_dir), "--no-report")
    try:
        wait_for_event(proc, "trial_start")
        deadline = time.monotonic() + 300
        while not runs_claude(doomed) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # mid-session: the trial waits on the slow scripted model
        ray_cluster.kill(doomed)
        output, _ = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    finals = complete(run_dir)
    assert len(finals) == 6
    retried = [r for r in finals if r["earlier_attempts"]]
    assert retried, "the node was killed while it ran a trial: that trial must have been retried"
    for record in retried:
        assert record["earlier_attempts"][0]["reason"].startswith("node: the node running this trial was lost")
        assert record["node"] != doomed_label
    assert "retrying" in output


def test_skill_run_on_the_cluster_grades_the_worktrees_that_came_back(ray_cluster: LocalCluster, tmp_path: Path,
                                                                      claude_bin: Path) -> None:
    fixtures = REPO / "tests" / "fixtures" / "skill-bench"
    code = main(["skill", "run", str(fixtures / "config.json"), "--rehearsal", "--workspace", str(tmp_path),
                 "--executor", "ray", "--ray-address", ray_cluster.address])
    assert code == 0
    bench = json.loads((tmp_path / "iteration-1" / "benchmark.json").read_text())
    # the same grades as the local run of tests/integration/test_skill_benchmark.py: the assertions
    # looked at the files each agent wrote on its node
    assert bench["summary"]["with_skill"]["pass_rate"] == 1.0
    assert bench["summary"]["baseline"]["pass_rate"] == round((0.4 + 1 / 3) / 2, 4)
    records = read_journal_json(tmp_path / "iteration-1" / "_run" / "results.jsonl")
    assert len(records) == 12 and {r["status"] for r in records} == {"completed"}
    assert len({r["node"] for r in records}) >= 2


def test_sequential_demo_on_the_cluster_looks_after_each_batch(ray_cluster: LocalCluster, tmp_path: Path,
                                                              claude_bin: Path) -> None:
    """`--sequential` with the Ray executor: the scheduler looks after each batch of trials that ran on the
    nodes, stops at its decision, and every planned trial of the batches it ran has exactly one record."""
    run_dir = tmp_path / "seq"
    assert main(["demo", "--sequential", "--trials", "3", "--max-trials", "6", "--executor", "ray",
                 "--ray-address", ray_cluster.address, "--run-dir", str(run_dir), "--no-report"]) == 0
    finals = complete(run_dir)
    info = json.loads((run_dir / "run.json").read_text())
    looks = info["sequential"]["looks"]
    per_arm = looks[-1]["trials_per_arm"]
    assert info["sequential"]["design"]["design"] == "one-sided" and looks[-1]["stop"]
    assert [look["trials_per_arm"] for look in looks] == list(range(3, per_arm + 1, 3))
    assert len(finals) == 2 * per_arm and {r["executor"] for r in finals} == {"ray"}
    assert sorted((r["arm"], r["trial"]) for r in finals) == sorted(
        (arm, trial) for arm in {r["arm"] for r in finals} for trial in range(1, per_arm + 1))
