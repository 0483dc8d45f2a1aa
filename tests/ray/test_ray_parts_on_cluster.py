"""On a real 2-node cluster (127.0.0.1): a codebase bundle put once reaches tasks on both nodes through the
object store, and one gate actor limits the whole cluster's concurrent sessions."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import ray
from ray import cloudpickle

from popkit_bench.execution.ray.bundle import BundleStore
from popkit_bench.execution.ray.connect import SLOT_RESOURCE, live_nodes, total_slots
from popkit_bench.execution.ray.gate import acquire, start_gate
from popkit_bench.execution.ray.local_cluster import LocalCluster
from popkit_bench.execution.ray.worker import this_node
from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.git import commit_folder, git

pytestmark = pytest.mark.ray
cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module


def show_file_on_node(bundle: bytes, codebase: Codebase) -> tuple[str, str]:
    from popkit_bench.execution.ray.bundle import unbundle

    with tempfile.TemporaryDirectory() as scratch:
        local = unbundle(bundle, Path(scratch) / "repo", codebase)
        shown = subprocess.run(["git", "show", f"{codebase.commit}:app.py"], cwd=local.repo,
                               capture_output=True, text=True, check=True).stdout
    time.sleep(1.0)  # hold the slot so the other node takes the next task
    return this_node()["node_id"], shown


def session_on_node(gate, lease: str) -> tuple[float, float]:
    acquire(gate, lease, "node")
    start = time.time()
    time.sleep(1.0)
    gate.release.remote(lease)
    return start, time.time()


def test_bundle_reaches_both_nodes_and_the_gate_limits_the_cluster(ray_cluster: LocalCluster,
                                                                   tmp_path: Path) -> None:
    assert total_slots() == 2 and len(live_nodes()) == 3
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("print('hello')\n")
    commit_folder(repo, "one")
    codebase = Codebase(repo, git("rev-parse", "HEAD", cwd=repo).strip(), "main", "bundled:repo")
    store = BundleStore()
    task = ray.remote(show_file_on_node).options(num_cpus=1, resources={SLOT_RESOURCE: 1})
    results = ray.get([task.remote(store.ref_for(codebase), codebase) for _ in range(4)], timeout=120)
    assert len(store) == 1
    assert {shown for _, shown in results} == {"print('hello')\n"}
    assert len({node for node, _ in results}) == 2

    gate = start_gate("test", max_concurrent=1, rate_per_min=None)
    session = ray.remote(session_on_node).options(num_cpus=1, resources={SLOT_RESOURCE: 1})
    spans = sorted(ray.get([session.remote(gate, f"lease-{i}") for i in range(3)], timeout=120))
    assert all(later[0] >= earlier[1] - 0.05 for earlier, later in zip(spans, spans[1:], strict=False)), spans
    stats = ray.get(gate.stats.remote())
    assert stats["peak"] == 1 and stats["granted"] == 3 and stats["held"] == 0


def test_a_node_with_another_cli_version_fails_the_trial_as_an_infrastructure_error(
        ray_cluster: LocalCluster, tmp_path: Path, claude_bin: Path) -> None:
    from popkit_bench.execution.ray.executor import RayExecutor
    from popkit_bench.execution.retry import infra_failure
    from popkit_bench.execution.spec import TrialSpec
    from popkit_bench.planning.plan import Arm, TrialKey
    from popkit_bench.tasks.discovery import resolve_tasks

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("print('hello')\n")
    commit_folder(repo, "one")
    codebase = Codebase(repo, git("rev-parse", "HEAD", cwd=repo).strip(), "main", "bundled:repo")
    task = resolve_tasks("pagination-off-by-one")[0]
    spec = TrialSpec(run_id="r", key=TrialKey(task.id, "baseline", 1), task=task, arm=Arm("baseline"),
                     codebase=codebase, claude_bin=claude_bin, claude_version="9.9.9")
    executor = RayExecutor()
    record = executor.run(spec, tmp_path / "trial", threading.Event())
    assert record.status == "error" and record.executor == "ray" and record.node is not None
    assert record.status_reason is not None and "the run pinned 9.9.9" in record.status_reason
    assert infra_failure(record) == record.status_reason  # the scheduler retries it
    assert len(executor.bad_nodes) == 1  # and prefers another node for the next trial
    assert executor.strategy() != "DEFAULT"
