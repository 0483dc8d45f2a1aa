"""`skill triggers` inputs: QUERIES.json (skill-creator's format), the config's trigger keys, the holdout split."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from popkit_bench.errors import InputError
from popkit_bench.skill.config import load_config
from popkit_bench.skill.triggers.config import load_trigger_config
from popkit_bench.skill.triggers.queries import TriggerQuery, load_queries, split_holdout

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "skill-triggers"


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, indent=2))
    return path


def test_skill_creator_format_is_read_as_is() -> None:
    queries = load_queries(FIXTURES / "queries.json")
    assert len(queries) == 20 and sum(q.should_trigger for q in queries) == 10
    assert queries[0] == TriggerQuery("q01", "Clean up the CSV export in sales.csv", True)


def test_evals_wrapper_with_prompt_keys_and_given_ids(tmp_path: Path) -> None:
    small = load_queries(FIXTURES / "queries-small.json")
    assert [q.should_trigger for q in small] == [True, True, False, False]
    assert [q.id for q in load_queries(FIXTURES / "queries-ab.json")][:2] == ["clean", "convert"]
    extra = write(tmp_path / "q.json", [{"query": "a", "should_trigger": True, "note": "kept out of the way"}])
    assert load_queries(extra)[0].query == "a"


@pytest.mark.parametrize(("data", "field", "line"), [
    ([{"query": "a", "should_trigger": True}, {"query": "b", "should_trigger": "yes"}], "[1].should_trigger", 6),
    ([{"query": "", "should_trigger": True}], "[0].query", 2),
    ([{"id": "x", "query": "a", "should_trigger": True}, {"id": "x", "query": "b", "should_trigger": False}],
     "[1].id", 7),
    ([{"id": "../../etc", "query": "a", "should_trigger": True}], "[0].id", 2),
])
def test_bad_queries_name_field_and_line(tmp_path: Path, data: object, field: str, line: int) -> None:
    path = write(tmp_path / "q.json", data)
    with pytest.raises(InputError) as err:
        load_queries(path)
    assert err.value.field == field and err.value.line == line and err.value.file == str(path)


def test_empty_or_wrong_shape_is_refused(tmp_path: Path) -> None:
    for data in ([], {"queries": []}, "text"):
        with pytest.raises(InputError, match="non-empty list of queries"):
            load_queries(write(tmp_path / "q.json", data))


def test_holdout_is_seeded_and_stratified() -> None:
    queries = load_queries(FIXTURES / "queries.json")
    parts = split_holdout(queries, 0.3, seed=7)
    assert parts == split_holdout(queries, 0.3, seed=7)
    assert parts != split_holdout(queries, 0.3, seed=8)
    held = parts["holdout"]
    assert sum(q.should_trigger for q in held) == 3 and sum(not q.should_trigger for q in held) == 3
    assert {q.id for q in held} | {q.id for q in parts["tune"]} == {q.id for q in queries}
    assert not {q.id for q in held} & {q.id for q in parts["tune"]}


def test_trigger_config_reads_rivals_play_and_defaults() -> None:
    cfg = load_trigger_config(FIXTURES / "config.json")
    assert cfg.skill.name == "csv-helper" and cfg.skill.path == (FIXTURES / "csv-helper").resolve()
    assert [(r.name, r.path.name) for r in cfg.rivals] == [("json-helper", "json-helper")]
    assert cfg.trigger_play == (FIXTURES / "plays" / "triggers.play.yml").resolve()
    assert cfg.parallel == 2 and cfg.timeout_seconds == 120 and cfg.project_skill is False
    assert load_trigger_config(FIXTURES / "config-generic.json").rivals == ()


def test_trigger_config_defaults(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "csv-helper", tmp_path / "csv-helper")
    cfg = load_trigger_config(write(tmp_path / "c.json", {"skill_name": "csv-helper", "skill_path": "./csv-helper"}))
    assert (cfg.timeout_seconds, cfg.parallel, cfg.trigger_play, cfg.rivals) == (300, 4, None, ())


@pytest.mark.parametrize(("override", "field"), [
    ({"rival_skills": ["./nowhere"]}, "rival_skills[0]"),
    ({"rival_skills": "./csv-helper"}, "rival_skills"),
    ({"rival_skills": ["./csv-helper"]}, "rival_skills"),  # same name as the skill
    ({"trigger_play": "plays/missing.yml"}, "trigger_play"),
    ({"project_skill": "yes"}, "project_skill"),
    ({"rivals": []}, "rivals"),
])
def test_bad_trigger_config_names_the_field(tmp_path: Path, override: dict, field: str) -> None:
    shutil.copytree(FIXTURES, tmp_path / "f")
    data = json.loads((FIXTURES / "config.json").read_text()) | override
    with pytest.raises(InputError) as err:
        load_trigger_config(write(tmp_path / "f" / "bad.json", data))
    assert err.value.field == field and err.value.line is not None


def test_skill_run_accepts_the_trigger_keys(tmp_path: Path) -> None:
    skill = tmp_path / "s"
    (skill / "evals").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: s\ndescription: d\n---\n")
    (skill / "evals" / "evals.json").write_text(json.dumps({"skill_name": "s", "evals": []}))
    path = write(tmp_path / "c.json", {"skill_name": "s", "skill_path": "./s", "eval_set_path": "./s/evals/evals.json",
                                       "rival_skills": [], "project_skill": True})
    assert load_config(path).skill_name == "s"


def test_error_lines_survive_brackets_inside_query_text(tmp_path: Path) -> None:
    text = ('[\n  {"query": "Fix {the} [brackets] \\"quoted {\\" here", "should_trigger": true},\n'
            '  {"query": "b", "should_trigger": null}\n]\n')
    path = tmp_path / "q.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_queries(path)
    assert err.value.line == 3 and err.value.field == "[1].should_trigger"


@pytest.mark.parametrize(("extra", "message"), [
    (["--holdout", "1.5"], "--holdout must be a fraction between 0 and 1"),
    (["--holdout", "0.01"], "leaves a part with no query"),
])
def test_cli_bad_options_exit_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   extra: list[str], message: str) -> None:
    from popkit_bench.cli import main

    code = main(["skill", "triggers", str(FIXTURES / "config.json"), "--queries", str(FIXTURES / "queries.json"),
                 "--output", str(tmp_path / "out"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_bad_queries_file_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from popkit_bench.cli import main

    bad = write(tmp_path / "q.json", [{"query": "a", "should_trigger": True}, {"query": "b"}])
    assert main(["skill", "triggers", str(FIXTURES / "config.json"), "--queries", str(bad)]) == 2
    assert f"{bad}:6: field '[1].should_trigger'" in capsys.readouterr().err


def test_install_wraps_skill_and_rivals_and_a_resume_keeps_the_first_copy(tmp_path: Path) -> None:
    from popkit_bench.skill.triggers.install import install, variant_codebase
    from popkit_bench.workspace.git import git

    shutil.copytree(FIXTURES, tmp_path / "f")
    cfg = load_trigger_config(tmp_path / "f" / "config.json")
    cfg = type(cfg)(**{**cfg.__dict__, "project_skill": True})
    first = install(cfg, "skill", cfg.skill.path, tmp_path / "plugins")
    assert [json.loads((p / ".claude-plugin/plugin.json").read_text())["name"] for p in first.plugin_dirs] == [
        "csv-helper", "json-helper"]
    assert first.description == "Cleans, converts and repairs CSV files (tabular data)."
    (cfg.skill.path / "SKILL.md").write_text("---\nname: csv-helper\ndescription: edited meanwhile\n---\n")
    again = install(cfg, "skill", cfg.skill.path, tmp_path / "plugins")
    assert again.description == first.description
    repo = variant_codebase(again, tmp_path / "codebases").repo
    tracked = git("ls-files", cwd=repo).split()
    assert sorted(tracked) == [".claude/skills/csv-helper/SKILL.md", ".claude/skills/json-helper/SKILL.md"]
