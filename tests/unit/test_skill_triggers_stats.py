"""Trigger detection over whole recordings, the confusion table with Wilson intervals, and the paired A/B."""

from __future__ import annotations

import random

import pytest
from scipy import stats as sps

from popkit_bench.analysis.proportions import newcombe_paired_interval, wilson_interval
from popkit_bench.record.trial_record import TrialRecord
from popkit_bench.skill.triggers.compare import compare, query_outcome
from popkit_bench.skill.triggers.detect import COUNTED, EXCLUDED, Observation, not_counted, observe
from popkit_bench.skill.triggers.queries import TriggerQuery
from popkit_bench.skill.triggers.stats import Confusion, metrics, summary
from popkit_shared.recording import Result, Session, ToolCall

SKILL, RIVALS = "csv-helper", ("json-helper",)


def recording(*calls: tuple[str, dict, bool], result: Result | None = None, commands: list[str] | None = None,
              source: str = "stream-json") -> Session:
    tool_calls = [ToolCall(f"t{i}", name, args, is_sidechain=sub) for i, (name, args, sub) in enumerate(calls)]
    return Session(source=source, tool_calls=tool_calls, result=result, commands_invoked=commands or [])


OK = Result(subtype="success", is_error=False, total_cost_usd=0.25)


def test_a_skill_call_after_other_tools_is_a_trigger() -> None:
    stream = recording(("Bash", {"command": "ls"}, False), ("Read", {"file_path": "a"}, False),
                       ("Skill", {"skill": "csv-helper:csv-helper"}, False), result=OK)
    found = observe(stream, None, SKILL, RIVALS)
    assert found.triggered and found.status == COUNTED and found.via == ("skill_tool",) and found.cost_usd == 0.25


def test_subagent_project_skill_and_slash_command_count() -> None:
    sub = observe(recording(("Skill", {"skill": "csv-helper"}, True), result=OK), None, SKILL, RIVALS)
    assert sub.triggered and sub.via == ("subagent_skill_tool",)
    transcript = recording(commands=["/csv-helper:csv-helper"], source="transcript")
    slash = observe(recording(result=OK), transcript, SKILL, RIVALS)
    assert slash.triggered and slash.via == ("slash_command",)


def test_only_the_transcript_saw_it() -> None:
    transcript = recording(("Skill", {"skill": "csv-helper:csv-helper"}, True), source="transcript")
    assert observe(recording(result=OK), transcript, SKILL, RIVALS).triggered


def test_rival_and_other_skills_are_named_and_lookalikes_are_not_the_skill() -> None:
    stream = recording(("Skill", {"skill": "json-helper:json-helper"}, False), ("Skill", {"skill": "other:csv-helper"}, False),
                       ("Read", {"file_path": "/x/.claude/skills/csv-helper/SKILL.md"}, False), result=OK)
    found = observe(stream, None, SKILL, RIVALS)
    assert not found.triggered and found.status == COUNTED
    assert found.rivals == ("json-helper",) and found.other_skills == ("other:csv-helper",)


def record(status: str, **kw: object) -> TrialRecord:
    return TrialRecord(task_id="q01", arm="skill", trial=1, status=status, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("rec", "reason"), [
    (record("timeout", status_reason="exceeded 120 s"), "timed out before any trigger"),
    (record("error", status_reason="claude exited 1 without a result event"), "error: claude exited 1"),
    (record("failed", result_subtype="success", terminal_reason="api_error"), "ended with an error (api_error)"),
    (record("contaminated", status_reason="arm 'skill' did not load its plugin"), "did not load its plugin"),
])
def test_failed_sessions_without_a_trigger_are_excluded(rec: TrialRecord, reason: str) -> None:
    found = observe(recording(), None, SKILL, RIVALS, not_counted(rec))
    assert found.status == EXCLUDED and reason in found.reason


def test_max_turns_without_trigger_counts_and_a_trigger_before_a_timeout_counts() -> None:
    assert not_counted(record("failed", result_subtype="error_max_turns")) is None
    assert not_counted(record("completed")) is None
    late = observe(recording(("Skill", {"skill": "csv-helper"}, False)), None, SKILL, RIVALS, "timed out")
    assert late.triggered and late.status == COUNTED


def obs(triggered: bool, counted: bool = True, rivals: tuple[str, ...] = ()) -> Observation:
    return Observation(triggered, COUNTED if counted else EXCLUDED, None if counted else "timed out", rivals=rivals)


def test_known_confusion_with_wilson_intervals() -> None:
    pos = [TriggerQuery(f"p{i}", "x", True) for i in range(10)]
    neg = [TriggerQuery(f"n{i}", "y", False) for i in range(10)]
    by_query = {q.id: [obs(i < 8)] for i, q in enumerate(pos)} | {q.id: [obs(i < 3)] for i, q in enumerate(neg)}
    block = summary(pos + neg, by_query)
    assert block["confusion"] == {"tp": 8, "fp": 3, "tn": 7, "fn": 2}
    assert block["precision"]["value"] == round(8 / 11, 6)
    assert (block["precision"]["ci"]["low"], block["precision"]["ci"]["high"]) == tuple(
        round(v, 6) for v in wilson_interval(8, 11))
    assert block["recall"]["ci"]["low"] == round(wilson_interval(8, 10)[0], 6)
    low, high = wilson_interval(8, 13)
    assert block["f1"]["value"] == round(16 / 21, 6)
    assert block["f1"]["ci"] == {"low": round(2 * low / (1 + low), 6), "high": round(2 * high / (1 + high), 6),
                                 "level": 0.95}


def test_never_triggered_precision_is_null_with_a_reason_and_excluded_runs_are_not_counted() -> None:
    queries = [TriggerQuery("p", "x", True), TriggerQuery("n", "y", False)]
    block = summary(queries, {"p": [obs(False), obs(False, counted=False)], "n": [obs(False)]})
    assert block["confusion"] == {"tp": 0, "fp": 0, "tn": 1, "fn": 1}
    assert block["precision"]["value"] is None and "never triggered" in block["precision"]["reason"]
    assert block["recall"]["value"] == 0 and block["runs_excluded"] == 1
    assert block["per_query"][0]["excluded"] == [{"run": 2, "reason": "timed out"}]
    assert metrics(Confusion(tn=3))["f1"]["value"] is None


def test_rival_fired_instead_is_per_query() -> None:
    query = TriggerQuery("p", "x", True)
    row = summary([query], {"p": [obs(False, rivals=("json-helper",)), obs(True, rivals=("json-helper",))]})
    detail = row["per_query"][0]
    assert detail["rival_fired_instead"] == {"json-helper": 1} and detail["rivals_fired"] == {"json-helper": 2}
    assert detail["trigger_rate"] == 0.5


def test_query_outcome_is_the_majority_and_ties_are_undecided() -> None:
    q = TriggerQuery("p", "x", True)
    assert query_outcome(q, [obs(True), obs(True), obs(False)]) is True
    assert query_outcome(q, [obs(True), obs(False)]) is None
    assert query_outcome(q, [obs(True, counted=False)]) is None


def planted() -> tuple[list[TriggerQuery], dict, dict]:
    queries = [TriggerQuery(f"p{i}", "x", True) for i in range(6)] + [TriggerQuery("n", "y", False)]
    good = {q.id: [obs(q.should_trigger)] for q in queries}
    bad = {q.id: [obs(q.id in ("p0", "n"))] for q in queries}  # misses p1-p5, triggers on n
    return queries, good, bad


def test_mcnemar_finds_a_planted_difference_and_swapping_mirrors_it() -> None:
    queries, good, bad = planted()
    ab, ba = compare(queries, good, bad), compare(queries, bad, good)
    assert ab["mcnemar"]["b_only_skill_correct"] == 6 and ab["mcnemar"]["c_only_compare_correct"] == 0
    assert ab["mcnemar"]["p_value"] == round(sps.binomtest(6, 6, 0.5).pvalue, 6) == 0.03125
    assert ba["mcnemar"]["b_only_skill_correct"] == 0 and ba["mcnemar"]["c_only_compare_correct"] == 6
    assert ba["mcnemar"]["p_value"] == ab["mcnemar"]["p_value"]
    for key in ("recall_difference", "precision_difference"):
        assert ab[key]["value"] == -ba[key]["value"] > 0
        assert ab[key]["ci"]["low"] == pytest.approx(-ba[key]["ci"]["high"])
    assert ab["recall_difference"]["value"] == round(5 / 6, 6)


def test_no_discordant_query_gives_a_null_p_with_a_reason() -> None:
    queries, good, _ = planted()
    result = compare(queries, good, good)["mcnemar"]
    assert result["p_value"] is None and "no discordant" in result["reason"]


def test_newcombe_paired_interval_covers_about_95_percent() -> None:
    rng, n, hits, sims = random.Random(5), 40, 0, 1500
    cells = (0.35, 0.25, 0.1, 0.3)  # a, b, c, d: p1 = 0.6, p2 = 0.45, positively correlated
    for _ in range(sims):
        counts = [0, 0, 0, 0]
        for _ in range(n):
            counts[rng.choices(range(4), cells)[0]] += 1
        low, high = newcombe_paired_interval(*counts)
        hits += low <= 0.15 <= high
    assert 0.93 <= hits / sims <= 0.975
