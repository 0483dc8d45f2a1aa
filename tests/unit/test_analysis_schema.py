"""docs/schema/analysis.schema.json (JSON Schema 2020-12) against real analyses of fixture runs: every shape the
analyzer writes validates, and a key the schema does not list fails, so the schema cannot drift silently."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import jsonschema
import pytest

from popkit_bench.analysis.analyze import analyze_records

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schema" / "analysis.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

_SPEC = importlib.util.spec_from_file_location("synthetic", ROOT / "tests" / "stats" / "synthetic.py")
synthetic = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(synthetic)
ARMS = ("baseline", "popkit-ops")


def analysed(records: list[dict], info: dict | None = None, **kw) -> dict:
    """analyze_records through a strict JSON round trip (what analysis.json holds)."""
    return json.loads(json.dumps(analyze_records(records, run_info=info, **kw), allow_nan=False))


def errors(analysis: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in VALIDATOR.iter_errors(analysis)]


def fixtures() -> dict[str, dict]:
    statuses = {("demo", "baseline", 2): "timeout", ("demo", "popkit-ops", 3): "contaminated",
                ("demo", "popkit-ops", 4): "failed"}
    single = synthetic.make_records(trials=5, seed=1, statuses=statuses)
    suite = synthetic.make_records(tasks=("a", "b", "c"), trials=3, seed=2, scale={"popkit-ops": 0.7})
    gap = [r for r in synthetic.make_records(tasks=("a", "b"), trials=3, seed=6)
           if not (r["task_id"] == "b" and r["arm"] == "baseline")]
    constant = [synthetic.record("t", arm, i, metrics={"tool_calls": 4, "success": 1}) for arm in ARMS
                for i in (1, 2, 3)]
    return {
        "single task": analysed(single, synthetic.run_info(["demo"], ARMS, 5), target_effect=10),
        "suite": analysed(suite, synthetic.run_info(["a", "b", "c"], ARMS, 3), target_effect=15),
        "suite, a task without its baseline": analysed(gap),
        "n = 1 per arm": analysed(synthetic.make_records(trials=1, seed=3)),
        "missing baseline arm": analysed([r for r in synthetic.make_records(trials=3, seed=4)
                                          if r["arm"] != "baseline"]),
        "only the baseline arm": analysed([r for r in synthetic.make_records(trials=3, seed=4)
                                           if r["arm"] == "baseline"]),
        "three arms": analysed(synthetic.make_records(arms=("baseline", "x", "y"), trials=3, seed=5)),
        "zero variance, no cost": analysed(constant),
        "no usable trial": analysed(synthetic.make_records(trials=2, seed=7, statuses={
            (t, a, i): "error" for t in ("demo",) for a in ARMS for i in (1, 2)})),
    }


FIXTURES = fixtures()


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", list(FIXTURES))
def test_every_fixture_analysis_validates(name: str) -> None:
    assert errors(FIXTURES[name]) == []


def _add(path: list, key: str = "unlisted_new_key"):
    def change(data: dict) -> None:
        target = data
        for step in path:
            target = target[step]
        target[key] = 1
    return change


@pytest.mark.parametrize("where", [
    [], ["arms"], ["arms", "trials", "baseline"], ["tasks", 0], ["exclusions"], ["sufficiency"],
    ["comparisons", 0], ["metrics", "tokens_total"], ["metrics", "tokens_total", "baseline"],
    ["metrics", "tokens_total", "difference"], ["metrics", "tokens_total", "tests", "welch"],
    ["metrics", "tokens_total", "ratio"], ["summary"], ["validity"], ["validity", "criteria", 0],
    ["power"], ["power", "metrics", "tokens_total"], ["outcomes"], ["outcomes", "method"],
    ["outcomes", "per_task", "demo", "popkit-ops"], ["outcomes", "per_task", "demo", "popkit-ops", "pass_at_k", 0],
    ["outcomes", "per_task", "demo", "baseline", "successful_only"],
    ["outcomes", "per_task", "demo", "baseline", "context_footprint_tokens"], ["outcomes", "overall", "baseline"],
])
def test_an_unlisted_key_fails(where: list) -> None:
    data = copy.deepcopy(FIXTURES["single task"])
    _add(where)(data)
    assert errors(data), f"a new key under {where} was accepted"


def test_an_unlisted_key_fails_in_suite_sections() -> None:
    for where in (["suite"], ["suite", "metrics", "tokens_total"], ["suite", "metrics", "tokens_total", "per_task", 0],
                  ["suite", "metrics", "tokens_total", "correlation"]):
        data = copy.deepcopy(FIXTURES["suite"])
        _add(where)(data)
        assert errors(data), where


def test_wrong_types_and_missing_keys_fail() -> None:
    data = copy.deepcopy(FIXTURES["single task"])
    data["metrics"]["tokens_total"]["p_value"] = "0.01"
    del data["outcomes"]["per_task"]["demo"]["baseline"]["cost_per_success_usd"]
    data["summary"]["verdict"] = "great"
    assert len(errors(data)) == 3
