"""Two `skill run`s of the same skill in different workspaces at the same time: each has its own config
folders (named after its run folder), every trial keeps its transcript, and no config folder is left."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_orchestration_recovery import bench

from popkit_bench.agent.isolation import config_root
from popkit_bench.execution.recovery import config_key
from popkit_bench.record.journal import read_journal

pytestmark = pytest.mark.real_cli
CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "skill-bench" / "config.json"


def test_concurrent_skill_runs_share_no_config_folder_and_lose_no_transcript(tmp_path: Path) -> None:
    workspaces = [tmp_path / "ws-a", tmp_path / "ws-b"]
    runs = [ws / "iteration-1" / "_run" for ws in workspaces]
    assert config_key(runs[0]) != config_key(runs[1])
    procs = [bench("skill", "run", str(CONFIG), "--rehearsal", "--workspace", str(ws), "--parallel", "2")
             for ws in workspaces]
    for proc in procs:
        out, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0, out[-3000:]
    for run in runs:
        records = read_journal(run / "results.jsonl")
        assert len(records) == 12 and {r.status for r in records} == {"completed"}
        for record in records:
            transcript = run / record.trial_dir / "transcript" / f"{record.session_id}.jsonl"
            assert transcript.is_file(), transcript
        assert not config_root(config_key(run)).exists()
