"""`skill triggers` through the real CLI against the scripted model: a known confusion table, the generic play,
a description A/B with its mirror, rivals, subagents, slash commands. Sessions run 2 at a time, 1 run each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.analysis.proportions import wilson_interval

pytestmark = pytest.mark.real_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "skill-triggers"


def run_cli(tmp: Path, claude_bin: Path, config: str, queries: str, *extra: str) -> tuple[int, dict, Path]:
    from popkit_bench.cli import main

    out = tmp / config.replace(".json", "")
    code = main(["skill", "triggers", str(FIXTURES / config), "--queries", str(FIXTURES / queries), "--rehearsal",
                 "--output", str(out), "--claude-bin", str(claude_bin), *extra])
    return code, json.loads((out / "triggers.json").read_text()), out


def ci(x: int, n: int) -> dict:
    low, high = wilson_interval(x, n)
    return {"low": round(low, 6), "high": round(high, 6), "level": 0.95}


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory, claude_bin: Path) -> tuple[int, dict, Path]:
    return run_cli(tmp_path_factory.mktemp("known"), claude_bin, "config.json", "queries.json")


def test_known_confusion_table_and_intervals_exactly(known: tuple[int, dict, Path]) -> None:
    code, doc, _ = known
    assert code == 0 and doc["runs_counted"] == doc["runs_requested"] == 20
    assert doc["confusion"] == {"tp": 8, "fp": 3, "tn": 7, "fn": 2}
    assert doc["precision"] == {"value": round(8 / 11, 6), "ci": ci(8, 11), "x": 8, "n": 11}
    assert doc["recall"] == {"value": 0.8, "ci": ci(8, 10), "x": 8, "n": 10}
    assert doc["specificity"] == {"value": 0.7, "ci": ci(7, 10), "x": 7, "n": 10}
    j_low, j_high = wilson_interval(8, 13)
    assert doc["f1"]["value"] == round(16 / 21, 6)
    assert doc["f1"]["ci"] == {"low": round(2 * j_low / (1 + j_low), 6), "high": round(2 * j_high / (1 + j_high), 6),
                               "level": 0.95}
    assert doc["rehearsal"] is True and "scripted model" in doc["note"]


def test_per_query_detail_names_the_rival_and_reads_the_whole_session(known: tuple[int, dict, Path]) -> None:
    _, doc, out = known
    rows = {r["id"]: r for r in doc["per_query"]}
    assert rows["q09"]["rival_fired_instead"] == {"json-helper": 1} and rows["q09"]["trigger_rate"] == 0
    assert rows["q11"]["rival_fired_instead"] == rows["q12"]["rival_fired_instead"] == {"json-helper": 1}
    assert rows["q10"]["rival_fired_instead"] == {} and rows["q01"]["rivals_fired"] == {}
    assert rows["q05"]["runs"][0]["via"] == ["subagent_skill_tool"]  # a subagent called it
    assert rows["q04"]["runs"][0]["via"] == ["skill_tool"]
    session = out / rows["q04"]["runs"][0]["session_dir"]
    assert session == out / "_run/trials/q04/skill/1" and (session / "transcript").is_dir()
    events = [json.loads(line) for line in (session / "stream.jsonl").read_text().splitlines()]
    tools = [b["name"] for e in events if e.get("type") == "assistant" for b in e["message"]["content"]
             if b.get("type") == "tool_use"]
    assert tools == ["Bash", "Skill"], "the skill came after another tool"
    assert [r["trigger_rate"] for r in doc["per_query"]] == [1.0] * 8 + [0.0] * 9 + [1.0] * 3


def test_cost_is_claude_codes_own_and_reports_are_written(known: tuple[int, dict, Path]) -> None:
    _, doc, out = known
    costs = []
    for stream in sorted((out / "_run/trials").glob("*/skill/1/stream.jsonl")):
        results = [json.loads(x) for x in stream.read_text().splitlines() if '"type":"result"' in x.replace(" ", "")]
        costs.append(results[-1]["total_cost_usd"])
    assert len(costs) == 20 and doc["cost"]["total_usd"] == round(sum(costs), 6) > 0
    md, html = (out / "triggers.md").read_text(), (out / "triggers.html").read_text()
    for text in (md, html):
        assert "json-helper (1)" in text and "72.7%" in text and "80.0%" in text
    assert "| skill | 8 | 3 | 7 | 2 |" in md and "<script" not in html


def test_generic_play_never_triggers(tmp_path: Path, claude_bin: Path) -> None:
    code, doc, out = run_cli(tmp_path, claude_bin, "config-generic.json", "queries-small.json")
    assert code == 0 and doc["confusion"] == {"tp": 0, "fp": 0, "tn": 2, "fn": 2}
    assert doc["recall"] == {"value": 0.0, "ci": ci(0, 2), "x": 0, "n": 2}
    assert doc["precision"]["value"] is None and doc["precision"]["ci"] is None
    assert "never triggered" in doc["precision"]["reason"]
    events = [json.loads(x) for x in (out / "_run/trials/q01/skill/1/stream.jsonl").read_text().splitlines()]
    init = next(e for e in events if e.get("subtype") == "init")
    assert {"csv-helper", "csv-helper:csv-helper"} <= set(init["skills"]), "installed as plugin and project skill"


def test_description_ab_finds_the_planted_difference_and_its_mirror(tmp_path: Path, claude_bin: Path) -> None:
    code, ab, _ = run_cli(tmp_path, claude_bin, "config-ab.json", "queries-ab.json",
                          "--compare", str(FIXTURES / "csv-helper-v2"))
    code2, ba, _ = run_cli(tmp_path, claude_bin, "config-ab-swapped.json", "queries-ab.json",
                           "--compare", str(FIXTURES / "csv-helper"), "--holdout", "0.5", "--seed", "3")
    assert code == code2 == 0
    assert ab["confusion"] == ba["compare"]["confusion"] == {"tp": 5, "fp": 0, "tn": 1, "fn": 0}
    assert ba["confusion"] == ab["compare"]["confusion"] == {"tp": 0, "fp": 1, "tn": 0, "fn": 5}
    test, mirror = ab["comparison"]["all"]["mcnemar"], ba["comparison"]["all"]["mcnemar"]
    assert (test["b_only_skill_correct"], test["c_only_compare_correct"]) == (6, 0)
    assert (mirror["b_only_skill_correct"], mirror["c_only_compare_correct"]) == (0, 6)
    assert test["p_value"] == mirror["p_value"] == 0.03125 and test["verdict"].startswith("skill is right")
    for key in ("recall_difference", "precision_difference"):
        mine, theirs = ab["comparison"]["all"][key], ba["comparison"]["all"][key]
        assert mine["value"] == -theirs["value"] == 1.0
        assert (mine["ci"]["low"], mine["ci"]["high"]) == (-theirs["ci"]["high"], -theirs["ci"]["low"])
        assert mine["ci"]["low"] > 0
    parts = ba["holdout"]
    assert sorted(parts["tune"] + parts["holdout"]) == sorted(r["id"] for r in ba["per_query"])
    assert set(ba["comparison"]["parts"]) == {"tune", "holdout"}
    assert ba["parts"]["holdout"]["query_ids"] == parts["holdout"]


def test_a_slash_command_query_is_a_trigger_and_a_rerun_resumes(tmp_path: Path, claude_bin: Path) -> None:
    queries = tmp_path / "slash.json"
    queries.write_text(json.dumps([{"id": "slash", "query": "/csv-helper:csv-helper clean data.csv",
                                    "should_trigger": True}]))
    code, doc, out = run_cli(tmp_path, claude_bin, "config-generic.json", str(queries))
    run = doc["per_query"][0]["runs"][0]
    assert code == 0 and run["triggered"] is True and run["via"] == ["slash_command"]
    journal = (out / "_run" / "results.jsonl").read_text()
    code, again, _ = run_cli(tmp_path, claude_bin, "config-generic.json", str(queries))
    assert code == 0 and (out / "_run" / "results.jsonl").read_text() == journal, "nothing left to run"
    assert again["confusion"] == doc["confusion"] == {"tp": 1, "fp": 0, "tn": 0, "fn": 0}
