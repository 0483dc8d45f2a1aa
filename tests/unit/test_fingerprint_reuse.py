"""Fingerprints (pure, per field) and --reuse planning over earlier run folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.errors import InputError
from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.planning.fingerprint import differing_fields, fingerprint, matches
from popkit_bench.planning.reuse import load_earlier_run, plan_reuse, reused_records

TASK = {"id": "t1", "category": "bug-fixing", "user_prompt": "Fix it", "verification": ["pytest"],
        "timeout_seconds": 600, "codebase": {"commit": "abc", "digest": "d1"}, "responses_digest": "r1",
        "path": "/somewhere/t1.yml"}
PLUGIN = ArmDefinition("with-plugin", (Path("/a/plug"),), ("my-plugin",), digests={"plugin_dirs": ["p1"]})


def fp(task: dict = TASK, arm: ArmDefinition = PLUGIN, **kw: object) -> dict[str, str]:
    args = {"cli_version": "2.1.330", "model": None, "sandbox": "none", "model_endpoint": "api"} | kw
    return fingerprint(task, arm.to_json(), args["cli_version"], args["model"], args["sandbox"],
                       model_endpoint=args["model_endpoint"], limits=args.get("limits"))


def test_same_inputs_same_fingerprint_and_locations_do_not_matter() -> None:
    assert matches(fp(), fp())
    moved = ArmDefinition("renamed", (Path("/elsewhere/plug"),), ("my-plugin",), digests={"plugin_dirs": ["p1"]})
    assert matches(fp(), fp(arm=moved))  # name and path differ, contents do not
    assert matches(fp(), fp(task={**TASK, "path": "/other/t1.yml", "description": "new words"}))
    empty = ArmDefinition("none")
    assert matches(fp(arm=empty), fp(arm=ArmDefinition.from_json({"name": "baseline", "plugin_dirs": [],
                                                                   "plugin_name": None})))


@pytest.mark.parametrize(("change", "field"), [
    ({"task": {**TASK, "codebase": {"commit": "def", "digest": "d2"}}}, "codebase_commit"),
    ({"task": {**TASK, "codebase": {"commit": "def", "digest": None}}}, "codebase_commit"),
    ({"task": {**TASK, "user_prompt": "Fix it now"}}, "prompt"),
    ({"task": {**TASK, "responses_digest": "r2"}}, "responses"),
    ({"task": {**TASK, "verification": ["pytest -x"]}}, "task"),
    ({"cli_version": "2.1.329"}, "cli_version"),
    ({"model": "claude-sonnet-4-5"}, "model"),
    ({"sandbox": "bwrap"}, "sandbox"),
    ({"model_endpoint": "scripted:abcd"}, "model_endpoint"),
    ({"limits": {"max_turns": 5}}, "limits"),
    ({"arm": ArmDefinition("x", (Path("/a/plug"),), ("my-plugin",), digests={"plugin_dirs": ["p2"]})},
     "arm.plugin_dirs_digests"),
    ({"arm": ArmDefinition("x", claude_md_text="hi")}, "arm.claude_md_text"),
    ({"arm": ArmDefinition("with-plugin", (Path("/a/plug"),), ("my-plugin",), env={"A": "1"},
                           digests={"plugin_dirs": ["p1"]})}, "arm.env"),
])
def test_each_change_names_its_field(change: dict, field: str) -> None:
    differs = differing_fields(fp(**change), fp())
    assert field in differs and len(differs) <= 3, differs


def test_arm_model_counts_as_the_model_field_not_the_arm() -> None:
    """The caller passes the effective model (arm's, else the run's): a model arm differs in `model`."""
    arm = ArmDefinition("opus", model="claude-opus-4-1")
    assert differing_fields(fp(arm=arm, model="claude-opus-4-1"), fp(arm=ArmDefinition("none"))) == ["model"]


def make_run(folder: Path, run_id: str, prints: dict, records: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"run_id": run_id, "fingerprints": prints}))
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def record(arm: str, trial: int, status: str = "completed", **extra: object) -> dict:
    return {"run_id": "old", "task_id": "t1", "arm": arm, "trial": trial, "status": status,
            "ended_at": "2026-11-30T10:00:00Z", "trial_dir": f"trials/t1/{arm}/{trial}", "metrics": {"x": trial},
            **extra}


def test_plan_reuse_matches_names_differences_and_counts_once(tmp_path: Path) -> None:
    base, plug = fp(arm=ArmDefinition("none")), fp()
    old = make_run(tmp_path / "old", "old", {"t1": {"baseline": base, "my-plugin": plug}},
                   [record("baseline", 1), record("baseline", 2, "error"), record("baseline", 2),
                    record("baseline", 3), record("my-plugin", 1), record("my-plugin", 2, "contaminated")])
    again = make_run(tmp_path / "again", "again", {"t1": {"none": base}}, [record("none", 1)])
    earlier = [load_earlier_run(old), load_earlier_run(again)]
    sonnet = fp(arm=ArmDefinition("sonnet", model="claude-sonnet-4-5"), model="claude-sonnet-4-5")
    current = {"t1": {"none": base, "twin": base, "with-plugin": plug, "sonnet": sonnet}}
    plans = {p.arm: p for p in plan_reuse(current, earlier)}
    assert plans["none"].reused and plans["none"].source_run == "old" and plans["none"].source_arm == "baseline"
    assert [r["trial"] for r in plans["none"].records] == [1, 2, 3]  # the error of trial 2 is not reused
    assert plans["twin"].source_run == "again"  # old/baseline is taken: each earlier arm counts once
    assert [r["trial"] for r in plans["with-plugin"].records] == [1]  # contaminated is not reused
    assert not plans["sonnet"].reused and plans["sonnet"].differs == ["model"]
    assert "differs from" in plans["sonnet"].text() and "model" in plans["sonnet"].text()
    assert plan_reuse({"other": {"none": base}}, earlier)[0].reason == "task not in the earlier run(s)"
    three = plan_reuse({"t1": {"a": base, "b": base, "c": base}}, earlier)
    assert "already reused" in (three[2].reason or "")


def test_reused_records_renumber_and_point_back(tmp_path: Path) -> None:
    base = fp(arm=ArmDefinition("none"))
    old = make_run(tmp_path / "old", "old", {"t1": {"baseline": base}},
                   [record("baseline", 1), record("baseline", 2), record("baseline", 3)])
    plan = plan_reuse({"t1": {"none": base}}, [load_earlier_run(old)])[0]
    out = reused_records(plan, "new-run", trials=2)
    assert [(r["run_id"], r["arm"], r["trial"]) for r in out] == [("new-run", "none", 1), ("new-run", "none", 2)]
    assert out[0]["reused_from"] == {"run_id": "old", "arm": "baseline", "trial": 1, "run_dir": str(old),
                                     "ended_at": "2026-11-30T10:00:00Z"}
    assert out[1]["trial_dir"] == str(old / "trials/t1/baseline/2") and out[1]["metrics"] == {"x": 2}
    chained = reused_records(plan.__class__(**{**plan.__dict__, "records": out}), "third", trials=5)
    assert chained[0]["reused_from"]["run_id"] == "old"  # a reused record keeps its first origin


def test_reuse_needs_a_run_with_fingerprints(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no run.json"):
        load_earlier_run(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"run_id": "x"}))
    with pytest.raises(InputError, match="no fingerprints"):
        load_earlier_run(tmp_path)


def test_report_marks_reused_trials_with_their_age() -> None:
    from popkit_bench.report.trials_view import row

    origin = {"run_id": "old", "arm": "baseline", "trial": 2, "ended_at": "2026-11-28T10:00:00Z"}
    reused = row({"task_id": "t1", "arm": "none", "trial": 1, "status": "completed", "reused_from": origin},
                 "2026-11-30T10:30:00Z")
    assert reused["reused"] == "reused from run old (arm baseline, trial 2), 2 d old"
    assert reused["reused_age"] == "reused, 2 d old"
    fresh = row({"task_id": "t1", "arm": "none", "trial": 1, "status": "completed"}, "2026-11-30T10:30:00Z")
    assert fresh["reused"] == "" and fresh["reused_age"] == ""


def test_run_fingerprints_from_tasks_and_arms(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from popkit_bench.planning.run_fingerprints import model_endpoint, run_fingerprints

    responses, play = tmp_path / "r.json", tmp_path / "t.play.yml"
    responses.write_text("{}")
    play.write_text("turns: [{text: hi}]")
    task = SimpleNamespace(id="t1", category="bug-fixing", user_prompt="Fix", timeout_seconds=60,
                           verification=[SimpleNamespace(command="pytest")], responses_path=responses, play_path=play)
    codebases = {"t1": SimpleNamespace(commit="c1", digest="d1")}
    arms = [ArmDefinition("none"), ArmDefinition("sonnet", model="claude-sonnet-4-5")]

    def prints(**kw: object) -> dict:
        args = {"cli_versions": {"none": "2.1.330", "sonnet": "2.1.330"}, "run_model": None, "sandbox": None,
                "limits": {"max_turns": 5}, "rehearsal": True} | kw
        return run_fingerprints([task], codebases, arms, **args)["t1"]

    first = prints()
    assert differing_fields(first["sonnet"], first["none"]) == ["model"]
    assert prints() == first
    codebases["t1"] = SimpleNamespace(commit="other-commit", digest="d1")  # a bundled folder re-committed
    assert prints() == first
    play.write_text("turns: [{text: changed}]")
    assert differing_fields(prints()["none"], first["none"]) == ["model_endpoint"]
    assert differing_fields(prints(rehearsal=False)["none"], first["none"]) == ["model_endpoint"]
    responses.write_text('{"x": 1}')
    assert "responses" in differing_fields(prints()["none"], first["none"])
    assert model_endpoint(SimpleNamespace(play_path=None), True) == "scripted:generic"


def test_a_plugin_digest_covers_what_claude_code_loads_and_runs(tmp_path: Path) -> None:
    """Reuse matches arms on their plugin's digest: a changed MCP config or server script must run fresh;
    a virtual environment or cache inside the plugin folder does not count."""
    from popkit_bench.planning.plugin_info import plugin_digest

    plugin = tmp_path / "plugin"
    (plugin / ".claude-plugin").mkdir(parents=True)
    (plugin / ".claude-plugin" / "plugin.json").write_text('{"name": "p"}')
    (plugin / ".mcp.json").write_text('{"mcpServers": {"s": {"command": "python3", "args": ["server.py"]}}}')
    (plugin / "server.py").write_text("print('v1')\n")
    first = plugin_digest(plugin)
    (plugin / ".venv" / "lib").mkdir(parents=True)
    (plugin / ".venv" / "lib" / "x.py").write_text("cache")
    (plugin / "__pycache__").mkdir()
    (plugin / "__pycache__" / "server.cpython-311.pyc").write_bytes(b"\0")
    assert plugin_digest(plugin) == first
    (plugin / "server.py").write_text("print('v2')\n")
    second = plugin_digest(plugin)
    assert second != first
    (plugin / ".mcp.json").write_text('{"mcpServers": {"s": {"command": "python3", "args": ["other.py"]}}}')
    assert plugin_digest(plugin) not in (first, second)
