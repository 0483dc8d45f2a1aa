"""Benchmark config and eval set validation: clear errors with file, field, line and what was expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.errors import InputError
from popkit_bench.skill.config import DEFAULT_THRESHOLDS, load_config
from popkit_bench.skill.evals import load_eval_set, parse_json_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "skill-bench"


def make_skill(tmp_path: Path) -> Path:
    skill = tmp_path / "my-skill"
    (skill / "evals").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: my-skill\ndescription: d\n---\nbody\n")
    (skill / "evals" / "evals.json").write_text(json.dumps({
        "skill_name": "my-skill", "evals": [{"id": 0, "prompt": "p", "expectations": ["The output includes X"]}]}))
    return skill


def write_config(tmp_path: Path, **override: object) -> Path:
    make_skill(tmp_path)
    data = {"skill_name": "my-skill", "skill_path": "./my-skill", "eval_set_path": "./my-skill/evals/evals.json"}
    data.update(override)
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def test_seed_config_with_defaults(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path))
    assert cfg.trials_per_eval == 3 and cfg.baseline_type == "no_skill" and cfg.previous_benchmark is None
    assert cfg.thresholds == DEFAULT_THRESHOLDS
    assert cfg.skill_path == (tmp_path / "my-skill").resolve()


def test_fixture_config_loads() -> None:
    cfg = load_config(FIXTURES / "config.json")
    assert cfg.llm_grader is not None and cfg.llm_grader.rehearsal_play is not None
    evals = load_eval_set(cfg.eval_set_path, cfg.skill_path)
    assert [e.id for e in evals.evals] == [1, 2]
    assert [a.type for a in evals.evals[0].assertions] == ["file_exists", "regex", "command", "regex", "llm"]


@pytest.mark.parametrize(("override", "field", "expected"), [
    ({"trials_per_eval": 0}, "trials_per_eval", "e.g. 3"),
    ({"baseline_type": "nothing"}, "baseline_type", "no_skill, previous"),
    ({"thresholds": {"min_pass_rate": 1.5}}, "thresholds.min_pass_rate", "e.g. 0.8"),
    ({"thresholds": {"max_tokens": 1}}, "thresholds.max_tokens", "min_pass_rate"),
    ({"skill_path": "./missing"}, "skill_path", "SKILL.md"),
    ({"previous_benchmark": "./nope.json"}, "previous_benchmark", "an existing file"),
    ({"colour": "blue"}, "colour", "one of skill_name"),
])
def test_config_errors_name_file_field_line_and_expected(tmp_path: Path, override: dict, field: str,
                                                         expected: str) -> None:
    path = write_config(tmp_path, **override)
    with pytest.raises(InputError) as info:
        load_config(path)
    err = info.value
    assert err.file == str(path) and err.field == field and expected in (err.expected or "")
    assert err.line is not None and err.line > 1


def test_config_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "skill_name": "x",\n  oops\n}')
    with pytest.raises(InputError) as info:
        load_config(path)
    assert info.value.line == 3


def test_expectations_are_llm_assertions(tmp_path: Path) -> None:
    skill = make_skill(tmp_path)
    evals = load_eval_set(skill / "evals" / "evals.json", skill)
    assertion = evals.evals[0].assertions[0]
    assert assertion.type == "llm" and assertion.name == "The output includes X"


def write_evals(tmp_path: Path, evals: list) -> Path:
    path = tmp_path / "evals.json"
    path.write_text(json.dumps({"skill_name": "s", "evals": evals}, indent=2))
    return path


@pytest.mark.parametrize(("item", "field"), [
    ({"id": 1, "prompt": "p", "assertions": [{"type": "nope"}]}, "evals[0].assertions[0].type"),
    ({"id": 1, "prompt": "p", "assertions": [{"type": "regex", "pattern": "("}]}, "evals[0].assertions[0].pattern"),
    ({"id": 1, "prompt": "p", "assertions": [{"type": "file_exists", "path": "../x"}]},
     "evals[0].assertions[0].path"),
    ({"id": 1, "prompt": "p", "assertions": [{"type": "json_value", "file": "a.json", "path": "a..b"}]},
     "evals[0].assertions[0].path"),
    ({"id": 1, "prompt": "p", "assertions": [{"type": "command", "command": "x", "exit_code": "0"}]},
     "evals[0].assertions[0].exit_code"),
    ({"id": 1, "prompt": "", "assertions": ["x"]}, "evals[0].prompt"),
    ({"id": 1, "prompt": "p", "assertions": []}, "evals[0].assertions"),
    ({"id": 1, "prompt": "p", "assertions": ["x"], "files": ["missing.txt"]}, "evals[0].files[0]"),
    ({"id": "a/b", "prompt": "p", "assertions": ["x"]}, "evals[0].id"),
])
def test_eval_set_errors(tmp_path: Path, item: dict, field: str) -> None:
    with pytest.raises(InputError) as info:
        load_eval_set(write_evals(tmp_path, [item]))
    assert info.value.field == field and info.value.file == str(tmp_path / "evals.json")


def test_duplicate_eval_ids_are_refused(tmp_path: Path) -> None:
    path = write_evals(tmp_path, [{"id": 1, "prompt": "p", "assertions": ["x"]},
                                  {"id": 1, "prompt": "q", "assertions": ["y"]}])
    with pytest.raises(InputError, match="duplicate eval id"):
        load_eval_set(path)


def test_json_path_parsing() -> None:
    assert parse_json_path("a.b[0].c") == ["a", "b", 0, "c"]
    assert parse_json_path("items") == ["items"]
    with pytest.raises(ValueError):
        parse_json_path("a..b")


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "skill-bench"


def test_validate_accepts_skill_configs_and_eval_sets(capsys) -> None:
    from popkit_bench.cli import main

    assert main(["validate", str(FIXTURES / "config.json"),
                 str(FIXTURES / "report-writer" / "evals" / "evals.json")]) == 0
    out = capsys.readouterr().out
    assert "(skill benchmark config report-writer: 2 eval(s))" in out
    assert "(eval set report-writer: 2 eval(s))" in out
    assert main(["validate", str(FIXTURES)]) == 0  # a folder: configs and eval sets are found
    out = capsys.readouterr().out
    assert "config-v2.json" in out and "evals.json" in out


def test_validate_names_what_is_wrong_in_a_skill_config_and_an_eval_set(tmp_path: Path, capsys) -> None:
    from popkit_bench.cli import main

    config = json.loads((FIXTURES / "config.json").read_text())
    config["skill_path"] = str(FIXTURES / "report-writer")
    config["eval_set_path"] = str(FIXTURES / "report-writer" / "evals" / "evals.json")
    config["thresholds"]["min_pass_rate"] = 2
    (tmp_path / "config.json").write_text(json.dumps(config, indent=2))
    evals = tmp_path / "evals.json"
    evals.write_text(json.dumps({"skill_name": "x", "evals": [{"id": 1, "prompt": "p", "assertions": []}]}))
    assert main(["validate", str(tmp_path / "config.json"), str(evals)]) == 2
    err = capsys.readouterr().err
    assert "thresholds.min_pass_rate" in err and "config.json" in err
    assert "evals.json" in err and "2 of 2 file(s) invalid" in err


def test_report_config_needs_only_its_own_values(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"skill_name": "gone", "skill_path": "./gone", "eval_set_path": "./gone/evals.json",
                                  "thresholds": {"min_pass_rate": 0.5}}))
    with pytest.raises(InputError, match="not found"):
        load_config(config)
    cfg = load_config(config, check_inputs=False)
    assert cfg.thresholds["min_pass_rate"] == 0.5 and cfg.skill_path == tmp_path / "gone"
