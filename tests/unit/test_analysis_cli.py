"""The `analyze` verb through popkit_bench.cli.main: exit codes 0, 2, 3, analysis.json, --json output."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from popkit_bench.cli import main

_SPEC = importlib.util.spec_from_file_location("synthetic", Path(__file__).parents[1] / "stats" / "synthetic.py")
synthetic = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(synthetic)

ARMS = ["baseline", "popkit-ops"]


def make_run(tmp_path: Path, trials: int = 5, **kw) -> Path:
    records = synthetic.make_records(trials=trials, scale={"popkit-ops": 0.6}, **kw)
    return synthetic.write_run(tmp_path / "run", records, synthetic.run_info(["demo"], ARMS, trials))


def test_analyze_ok_writes_analysis_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = make_run(tmp_path)
    assert main(["analyze", str(run), "--target-effect", "10"]) == 0
    out = capsys.readouterr().out
    assert "popkit-ops vs baseline" in out and "tokens_total" in out and "analysis.json" in out
    data = json.loads((run / "analysis.json").read_text())
    assert data["target_effect_pct"] == 10.0 and data["metrics"]["tokens_total"]["p_value"] is not None


def test_json_flag_prints_exactly_the_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = make_run(tmp_path)
    assert main(["analyze", str(run), "--json", "--seed", "3", "--alpha", "0.1"]) == 0
    printed = capsys.readouterr().out
    assert printed == (run / "analysis.json").read_text()
    data = json.loads(printed)
    assert data["alpha"] == 0.1 and data["seed"] == 3


def test_missing_run_dir_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["analyze", str(tmp_path / "nope")]) == 2
    assert "run folder not found" in capsys.readouterr().err


def test_folder_without_results_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["analyze", str(tmp_path)]) == 2
    assert "results.jsonl" in capsys.readouterr().err


def test_malformed_line_exits_2_naming_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = make_run(tmp_path)
    lines = (run / "results.jsonl").read_text().splitlines()
    lines[2] = "{not json"
    (run / "results.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["analyze", str(run)]) == 2
    err = capsys.readouterr().err
    assert "results.jsonl:3" in err and "Traceback" not in err


def test_record_missing_field_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = make_run(tmp_path)
    lines = (run / "results.jsonl").read_text().splitlines()
    record = json.loads(lines[1])
    del record["arm"]
    lines[1] = json.dumps(record)
    (run / "results.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["analyze", str(run)]) == 2
    assert "results.jsonl:2" in capsys.readouterr().err


def test_unknown_arm_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["analyze", str(make_run(tmp_path)), "--baseline", "nope"]) == 2
    assert "no arm named 'nope'" in capsys.readouterr().err


def test_bad_alpha_exits_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["analyze", str(make_run(tmp_path)), "--alpha", "5"])
    assert exc.value.code == 2


def test_one_trial_per_arm_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = make_run(tmp_path, trials=1)
    assert main(["analyze", str(run)]) == 3
    err = capsys.readouterr().err
    assert "at least 2 are needed" in err
    assert (run / "analysis.json").exists()  # written anyway, for the report to show why


def test_mostly_timeouts_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    statuses = {("demo", "popkit-ops", i): "timeout" for i in (1, 2, 3, 4)}
    assert main(["analyze", str(make_run(tmp_path, trials=6, statuses=statuses))]) == 3
    assert "fewer than half" in capsys.readouterr().err


def test_empty_results_exits_3(tmp_path: Path) -> None:
    run = synthetic.write_run(tmp_path / "run", [])
    assert main(["analyze", str(run)]) == 3
    assert json.loads((run / "analysis.json").read_text())["sufficiency"]["ok"] is False


def test_a_run_where_no_trial_used_the_model_gets_no_verdict(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture) -> None:
    """A run whose trials all ended without touching the model (a missing login: 0 tokens in Claude Code's
    own accounting) must not get a verdict from `analyze` or `report` either, only from `run` (exit 3)."""
    run = make_run(tmp_path)
    lines = (run / "results.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    for record in records:
        for name in list(record["metrics"]):
            if name.startswith(("tokens", "cost")):
                record["metrics"][name] = 0
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["analyze", str(run)]) == 3
    assert "used the model" in capsys.readouterr().err
    assert main(["report", str(run), "--output", str(tmp_path / "reports")]) == 3
    out = capsys.readouterr().out
    assert "No verdict" in out and "used the model" in out
