"""Our iteration folders read by a reader of skill-creator's documented schema (tests/skill_creator_schema.py)."""

from __future__ import annotations

import json
from pathlib import Path

from skill_creator_schema import read_benchmark, read_workspace

from popkit_bench.skill.creator_grading import creator_grading
from popkit_bench.skill.flow import build
from popkit_bench.skill.interop import CREATOR_BENCHMARK
from popkit_bench.skill.layout import write_run

RECORD = {"status": "completed", "arm": "with_skill", "trial": 1, "tools": {"Bash": 2, "Read": 1},
          "metrics": {"tokens_total": 1234, "duration_s": 12.5, "tool_calls": 3, "errors": 1, "turns": 4}}


def grading(passed: list[bool | None]) -> dict:
    results = [{"name": f"a{i}", "type": "regex", "passed": p, "evidence": "e"} for i, p in enumerate(passed)]
    done = [p for p in passed if p is not None]
    total = len(done)
    return {"assertions": results,
            "expectations": [{"text": r["name"], "passed": r["passed"], "evidence": "e"} for r in results],
            "summary": {"passed": sum(done), "failed": total - sum(done), "total": total,
                        "pass_rate": round(sum(done) / total, 4) if total else None,
                        "ungraded": len(passed) - total},
            "timing": {"total_duration_seconds": 12.5}, "trial_status": "completed"}


def write(iteration: Path, eval_id: int, config: str, k: int, passed: list[bool | None], tokens: int) -> None:
    folder = iteration / f"eval-{eval_id}" / config / f"run-{k}"
    meta = iteration / f"eval-{eval_id}" / "eval_metadata.json"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"eval_id": eval_id, "eval_name": f"e{eval_id}", "trials_requested": 2}))
    record = {**RECORD, "arm": config, "trial": k, "metrics": {**RECORD["metrics"], "tokens_total": tokens}}
    write_run(folder, record=record, grading=grading(passed), answer="done", worktree=None, run_root=iteration)


def test_grading_json_has_the_fields_skill_creators_aggregator_reads(tmp_path: Path) -> None:
    out = creator_grading(grading([True, False, None]), RECORD)
    assert out["summary"]["pass_rate"] == 0.5 and out["timing"]["total_tokens"] == 1234
    assert out["execution_metrics"] == {"tool_calls": {"Bash": 2, "Read": 1}, "total_tool_calls": 3,
                                        "errors_encountered": 1, "total_steps": 4}
    ungraded = creator_grading(grading([None]), RECORD)
    assert "pass_rate" not in ungraded["summary"]  # never null (their reader crashes) and never 0


def test_a_workspace_of_ours_reads_with_skill_creators_schema(tmp_path: Path) -> None:
    it = tmp_path / "ws" / "iteration-1"
    for k, (ws, base) in enumerate([([True, True], [True, False]), ([True, False], [False, False])], start=1):
        write(it, 1, "with_skill", k, ws, 1000)
        write(it, 1, "without_skill", k, base, 3000)
    write(it, 2, "with_skill", 1, [None], 500)  # plain-text expectation, not graded
    write(it, 2, "without_skill", 1, [None], 700)
    outcome = build(it, "my-skill", gate=True)
    runs = read_workspace(it)
    assert [r["pass_rate"] for r in runs["with_skill"]] == [1.0, 0.5, None]
    assert [r["tokens"] for r in runs["without_skill"]] == [3000, 3000, 700]
    assert runs["with_skill"][0]["tool_calls"] == 3
    creator = read_benchmark(it / CREATOR_BENCHMARK)
    assert it / CREATOR_BENCHMARK in outcome.paths
    assert creator["means"]["with_skill"] == {"pass_rate": 0.75, "time_seconds": 12.5, "tokens": 833.3333}
    assert creator["means"]["without_skill"]["pass_rate"] == 0.25
    assert creator["delta"] == {"pass_rate": "+0.50", "time_seconds": "+0.0", "tokens": "-1400"}
    ungraded = [r for r in creator["runs"] if r["eval_id"] == 2]
    assert ungraded and all(r["result"]["pass_rate"] is None for r in ungraded)
    ours = json.loads((it / "benchmark.json").read_text())
    assert ours["per_eval"][0]["with_skill"]["pass_rate"] == creator["means"]["with_skill"]["pass_rate"]
