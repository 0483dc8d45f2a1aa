"""triggers.json assembly (parts, cost, nulls) and its markdown/HTML reports, hostile query text included."""

from __future__ import annotations

from pathlib import Path

from popkit_bench.skill.triggers.detect import COUNTED, EXCLUDED, Observation
from popkit_bench.skill.triggers.document import RunFacts, build_document
from popkit_bench.skill.triggers.install import Installation
from popkit_bench.skill.triggers.queries import TriggerQuery
from popkit_bench.skill.triggers.report import write_reports

QUERIES = [TriggerQuery("p1", "<script>alert(1)</script> | clean the CSV", True), TriggerQuery("p2", "csv 2", True),
           TriggerQuery("n1", "haiku", False), TriggerQuery("n2", "json", False)]


def inst(label: str) -> Installation:
    return Installation(label, "csv-helper", Path(f"/s/{label}"), f"{label} description", ())


def facts(**kw: object) -> RunFacts:
    base = {"skill_name": "csv-helper", "config": None, "queries_file": Path("q.json"), "runs": 1, "rehearsal": True,
            "claude_code": {"version": "2.1.330"}, "created_at": "2026-12-01T00:00:00Z", "wall_s": 3.0}
    return RunFacts(**(base | kw))  # type: ignore[arg-type]


def never(cost: float | None = 0.5) -> dict[str, list[Observation]]:
    return {q.id: [Observation(False, COUNTED, cost_usd=cost, rivals=("json-helper",) if q.id == "n2" else ())]
            for q in QUERIES}


def test_never_triggered_document_and_reports(tmp_path: Path) -> None:
    doc = build_document(facts(), QUERIES, [inst("skill")], {"skill": never()}, ["json-helper"])
    assert doc["confusion"] == {"tp": 0, "fp": 0, "tn": 2, "fn": 2} and doc["precision"]["value"] is None
    assert doc["cost"]["total_usd"] == 2.0 and doc["compare"] is None and doc["parts"] is None
    md, html = (p.read_text() for p in write_reports(tmp_path, doc))
    assert "n/a (the skill was never triggered" in md and "<script>" not in md and "<script>" not in html
    assert "&lt;script&gt;" in html and "json-helper (1)" in html
    assert "| p1 |" in md and "\\| clean the CSV" in md, "a pipe in a query must not break the markdown table"


def test_missing_cost_is_null_with_a_reason() -> None:
    obs = never()
    obs["p1"] = [Observation(False, EXCLUDED, "no result event (exit code 1)")]
    doc = build_document(facts(), QUERIES, [inst("skill")], {"skill": obs}, [])
    assert doc["cost"]["total_usd"] is None and "1 session(s) reported no cost" in doc["cost"]["reason"]
    assert doc["cost"]["known_part_usd"] == 1.5 and doc["runs_excluded"] == 1


def test_compare_with_holdout_parts(tmp_path: Path) -> None:
    right = {q.id: [Observation(q.should_trigger, COUNTED, cost_usd=0.1)] for q in QUERIES}
    holdout = {"fraction": 0.5, "seed": 1, "tune": ["p1", "n1"], "holdout": ["p2", "n2"]}
    doc = build_document(facts(holdout=holdout), QUERIES, [inst("skill"), inst("compare")],
                         {"skill": right, "compare": never(0.1)}, [])
    assert doc["parts"]["holdout"]["query_ids"] == ["p2", "n2"] and doc["compare"]["parts"]["tune"]["confusion"] == {
        "tp": 0, "fp": 0, "tn": 1, "fn": 1}
    assert doc["comparison"]["all"]["mcnemar"]["b_only_skill_correct"] == 2
    assert set(doc["comparison"]["parts"]) == {"tune", "holdout"}
    md, html = (p.read_text() for p in write_reports(tmp_path, doc))
    for text in (md, html):
        assert "skill / holdout" in text and "compare / tune" in text and "Description A/B" in text
        assert "Rival fired instead (compare)" in text and "json-helper (1)" in text
