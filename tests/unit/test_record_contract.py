"""The trial record is the contract: one typed definition, a generated schema that cannot drift, one
reader, one writer, one rule for the record that counts, and specs that survive JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from records import build_record

from popkit_bench.errors import InputError
from popkit_bench.execution.spec import TrialSettings, TrialSpec
from popkit_bench.planning.plan import Arm, TrialKey
from popkit_bench.record.journal import append_record, counting_records, read_journal, repair_journal
from popkit_bench.record.schema import TRIAL_RECORD_SCHEMA, render, trial_record_schema
from popkit_bench.record.trial_record import (
    EarlierAttempt,
    Purity,
    TrialRecord,
    VerificationResult,
)
from popkit_bench.tasks.spec import load_task
from popkit_bench.workspace.codebase import Codebase

ROOT = Path(__file__).resolve().parents[2]


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(TRIAL_RECORD_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_published_schema_is_what_the_typed_definition_generates() -> None:
    assert TRIAL_RECORD_SCHEMA.read_text() == render(trial_record_schema()), \
        "docs/schema/trial-record.schema.json is stale: run `python -m popkit_bench.record.schema --write`"


def test_a_key_the_definition_lacks_fails_the_schema() -> None:
    record = build_record("t", "baseline", 1, status="completed")
    validator().validate(record)
    with pytest.raises(jsonschema.ValidationError, match="purity_checked"):
        validator().validate({**record, "purity_checked": True})
    with pytest.raises(jsonschema.ValidationError):
        validator().validate({**record, "status": "finished"})


def test_formats_md_example_validates_against_the_schema() -> None:
    text = (ROOT / "docs" / "formats.md").read_text()
    block = text.split("## results.jsonl", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    example = json.loads(re.sub(r"\s+//[^\n]*", "", block))
    validator().validate(example)
    assert set(example) == set(trial_record_schema()["properties"]), "the example shows every field"


def full_record() -> TrialRecord:
    return TrialRecord(
        task_id="t", arm="plugin", trial=2, status="failed", status_reason="agent ended with error_max_turns",
        attempts=2, earlier_attempts=[EarlierAttempt(1, "error", "API error 529", "s-0")],
        metrics={"tokens_total": 120, "cost_usd": 0.5, "success": 0, "verification_pass_rate": None},
        metrics_null_reasons={"verification_pass_rate": "no checks"}, tools={"Bash": 2},
        verification=[VerificationResult("pytest -q", exit_code=1, passed=False, duration_s=0.3, output_tail="F")],
        purity=Purity(ok=True, expected_plugin="plugin", loaded=["plugin"]), api_error_status=None,
        terminal_reason="max_turns", final_answer="I stopped.", executor="local")


def test_record_round_trips_through_json_exactly() -> None:
    record = full_record()
    again = TrialRecord.from_json(json.loads(json.dumps(record.to_json())))
    assert again == record
    validator().validate(record.to_json())


def test_spec_round_trips_through_json_exactly(tmp_path: Path) -> None:
    task = load_task(ROOT / "tasks" / "bug-fixing" / "pagination-off-by-one.yml")
    spec = TrialSpec(run_id="r", key=TrialKey(task.id, "plugin", 3), task=task,
                     arm=Arm("plugin", (tmp_path / "plugin",), "plugin"),
                     codebase=Codebase(tmp_path / "repo", "a" * 40, "main", "bundled:x", "d" * 64),
                     settings=TrialSettings(timeout_s=30.0, max_turns=5, settings={"x": [1, 2]}, sandbox="bwrap"),
                     tested_plugins=("plugin",), model_base_url="http://127.0.0.1:9/s/k", config_key="c",
                     claude_bin=tmp_path / "claude", claude_version="2.1.330")
    data = json.loads(json.dumps(spec.to_json()))
    assert TrialSpec.from_json(data) == spec
    assert spec.timeout_s == 30.0


def test_journal_writes_and_reads_typed_records_and_names_a_bad_field(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    append_record(path, full_record())
    assert read_journal(path) == [full_record()]
    with open(path, "a") as handle:
        handle.write(json.dumps({**full_record().to_json(), "trial": "two"}) + "\n")
    with pytest.raises(InputError) as err:
        read_journal(path)
    assert err.value.line == 2 and err.value.field == "trial"


def test_binary_journal_is_a_clear_input_error(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(InputError, match="not UTF-8"):
        read_journal(path)


def test_torn_last_line_is_cut_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    append_record(path, full_record())
    with open(path, "a") as handle:
        handle.write('{"task_id": "t", "arm"')
    assert len(read_journal(path)) == 1
    assert repair_journal(path) > 0
    assert (tmp_path / "results.jsonl.torn").read_text().startswith('{"task_id"')


def test_the_record_that_counts_is_the_last_final_one_else_the_last() -> None:
    def rec(trial: int, status: str, reason: str) -> TrialRecord:
        return TrialRecord("t", "a", trial, status=status, status_reason=reason)

    records = [rec(1, "completed", "first"), rec(1, "interrupted", "later but not final"),
               rec(2, "interrupted", "only interrupted"), rec(3, "error", "old"), rec(3, "completed", "new")]
    counting = counting_records(records)
    assert [(r.trial, r.status_reason) for r in counting] == [
        (1, "first"), (2, "only interrupted"), (3, "new")]
