"""`skill run --arms`: the arms file's arms as a skill iteration's arms, the errors, resume, and aggregation."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from popkit_bench.cli import main
from popkit_bench.errors import InputError
from popkit_bench.planning.arms_file import load_arms_file
from popkit_bench.skill.aggregate import aggregate
from popkit_bench.skill.arms import SKILL_ARMS_KEY, check_arms_file, choose_arms, skill_arms, stored_arms
from popkit_bench.skill.config import load_config
from popkit_bench.skill.interop import collect_runs, write_creator_benchmark
from popkit_bench.skill.report import context, render_markdown

ARMS = """baseline: none
arms:
  - name: none
  - name: skill
  - name: skill-opus
    model: claude-opus-4-1
  - name: notes
    claude_md_text: "Keep answers short."
"""


def setup_skill(tmp_path: Path, **extra: object) -> Path:
    skill = tmp_path / "my-skill"
    (skill / "evals").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: my-skill\ndescription: does things\n---\nBody.\n")
    (skill / "evals" / "evals.json").write_text(
        json.dumps({"skill_name": "my-skill", "evals": [{"id": 0, "prompt": "p", "assertions": ["x"]}]}))
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"skill_name": "my-skill", "skill_path": "my-skill",
                                "eval_set_path": "my-skill/evals/evals.json", **extra}))
    return path


def arms_file(tmp_path: Path, text: str = ARMS, name: str = "arms.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def plugin(tmp_path: Path, folder: str, name: str) -> Path:
    (tmp_path / folder / ".claude-plugin").mkdir(parents=True)
    (tmp_path / folder / ".claude-plugin" / "plugin.json").write_text(json.dumps({"name": name}))
    return tmp_path / folder


def test_treatments_get_the_wrapped_skill_first_and_the_baseline_only_its_own(tmp_path: Path) -> None:
    cfg = load_config(setup_skill(tmp_path))
    it = tmp_path / "ws" / "iteration-1"
    snapshot = tmp_path / "snap"
    (snapshot).mkdir()
    (snapshot / "SKILL.md").write_text("---\nname: my-skill\ndescription: snapshot\n---\n")
    chosen = skill_arms(cfg, load_arms_file(arms_file(tmp_path)), it, snapshot)
    arms = {a.name: a for a in chosen.arms}
    assert list(arms) == ["none", "skill", "skill-opus", "notes"]
    assert chosen.baseline == "none" and chosen.treatments == ["skill", "skill-opus", "notes"]
    assert arms["none"].plugin_dirs == () and arms["none"].loaded_plugin_names() == []
    for name in chosen.treatments:
        wrapped = arms[name].plugin_dirs[0]
        assert wrapped == it / "_run" / "plugins" / name and arms[name].plugin_name == "my-skill"
        assert json.loads((wrapped / ".claude-plugin" / "plugin.json").read_text())["name"] == "my-skill"
        assert "snapshot" in (wrapped / "skills" / "my-skill" / "SKILL.md").read_text()
    assert arms["skill-opus"].model == "claude-opus-4-1" and arms["notes"].claude_md_text == "Keep answers short."
    assert arms["skill"].digests["plugin_dirs"] and arms["none"].digests["plugin_dirs"] == []
    described = chosen.descriptions()
    assert described == {"none": "nothing added", "skill": "skill my-skill (under test)",
                         "skill-opus": "skill my-skill (under test) + model claude-opus-4-1",
                         "notes": "skill my-skill (under test) + CLAUDE.md"}
    stored = chosen.to_json()
    assert stored["baseline"] == "none" and stored["treatments"] == ["skill", "skill-opus", "notes"]
    again = stored_arms({SKILL_ARMS_KEY: stored})
    assert again is not None and again.arms == chosen.source.arms  # the file's own arms, not the wrapped ones


def test_a_baseline_holding_the_skill_text_as_claude_md(tmp_path: Path) -> None:
    cfg = load_config(setup_skill(tmp_path))
    text = "baseline: claude-md\narms:\n  - name: skill\n  - name: claude-md\n    claude_md: my-skill/SKILL.md\n"
    chosen = skill_arms(cfg, load_arms_file(arms_file(tmp_path, text)), tmp_path / "iteration-1",
                        tmp_path / "my-skill")
    arms = {a.name: a for a in chosen.arms}
    assert chosen.treatments == ["skill"] and arms["claude-md"].plugin_dirs == ()
    assert "Body." in (arms["claude-md"].claude_md_text or "") and arms["skill"].plugin_name == "my-skill"


def test_baseline_type_previous_with_arms_is_refused_through_the_cli(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture) -> None:
    config = setup_skill(tmp_path, baseline_type="previous")
    code = main(["skill", "run", str(config), "--arms", str(arms_file(tmp_path)), "--rehearsal",
                 "--workspace", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert code == 2 and "baseline_type 'previous' cannot be combined with --arms" in err
    assert "skills: [path/to/old-skill]" in err and "Traceback" not in err
    assert not (tmp_path / "ws").exists()  # refused before anything was written


def test_an_arm_loading_a_plugin_named_like_the_skill_is_refused(tmp_path: Path) -> None:
    cfg = load_config(setup_skill(tmp_path))
    plugin(tmp_path, "clash", "my-skill")
    text = "arms:\n  - name: none\n  - name: skill\n    plugin_dirs: [clash]\n"
    with pytest.raises(InputError, match="loads a plugin named 'my-skill'") as caught:
        check_arms_file(cfg, load_arms_file(arms_file(tmp_path, text)))
    assert caught.value.field == "arms[1].plugin_dirs"
    skills = "arms:\n  - name: my\n    skills: [my-skill]\n  - name: skill\n"
    cfg_named = replace(cfg, skill_name="my-skills")  # the `my` arm's skills plugin is `my-skills`
    with pytest.raises(InputError, match="loads a plugin named 'my-skills'") as caught:
        check_arms_file(cfg_named, load_arms_file(arms_file(tmp_path, skills, "skills.yml")))
    assert caught.value.field == "arms[0].skills"
    with pytest.raises(InputError, match="needs a treatment arm"):
        check_arms_file(cfg, load_arms_file(arms_file(tmp_path, "arms:\n  - name: none\n", "one.yml")))


def test_a_started_iteration_keeps_its_arms_and_refuses_others(tmp_path: Path) -> None:
    cfg = load_config(setup_skill(tmp_path))
    first = load_arms_file(arms_file(tmp_path))
    chosen = skill_arms(cfg, first, tmp_path / "iteration-1", tmp_path / "my-skill")
    info = {"plan": [{"task_id": "eval-0", "arm": "none", "trial": 1}], SKILL_ARMS_KEY: chosen.to_json()}
    run_json = tmp_path / "run.json"
    assert choose_arms(first, None, run_json) is first  # not started: the requested arms
    resumed = choose_arms(None, info, run_json)
    assert resumed is not None and resumed.names() == first.names() and resumed.baseline == "none"
    same = choose_arms(load_arms_file(arms_file(tmp_path, ARMS, "copy.yml")), info, run_json)
    assert same is not None and same.arms == first.arms
    other = load_arms_file(arms_file(tmp_path, ARMS.replace("claude-opus-4-1", "claude-haiku-4-5"), "other.yml"))
    with pytest.raises(InputError, match="started with other arms .*differs in: skill-opus"):
        choose_arms(other, info, run_json)
    with pytest.raises(InputError, match="started without --arms"):
        choose_arms(first, {"plan": info["plan"], "arms": [{"name": "with_skill"}]}, run_json)
    assert choose_arms(None, {"plan": info["plan"]}, run_json) is None  # a default iteration stays default


def write_run(iteration: Path, config: str, k: int, passed: int, tokens: int, seconds: float) -> None:
    folder = iteration / "eval-0" / config / f"run-{k}"
    folder.mkdir(parents=True)
    (folder / "trial.json").write_text(json.dumps({"status": "completed"}))
    (folder / "timing.json").write_text(json.dumps({"total_tokens": tokens, "total_duration_seconds": seconds}))
    (folder / "grading.json").write_text(json.dumps({
        "expectations": [{"text": f"a{i}", "passed": i < passed, "evidence": "x"} for i in range(2)],
        "summary": {"passed": passed, "failed": 2 - passed, "total": 2, "pass_rate": passed / 2},
        "timing": {"total_duration_seconds": seconds}}))


@pytest.fixture
def arms_iteration(tmp_path: Path) -> Path:
    it = tmp_path / "iteration-1"
    (it / "_run").mkdir(parents=True)
    (it / "eval-0").mkdir()
    (it / "eval-0" / "eval_metadata.json").write_text(json.dumps({"eval_id": 0, "eval_name": "e0"}))
    (it / "_run" / "run.json").write_text(json.dumps({SKILL_ARMS_KEY: {
        "baseline": "none", "treatments": ["skill", "skill-opus"],
        "descriptions": {"none": "nothing added", "skill": "skill my-skill (under test)",
                         "skill-opus": "skill my-skill (under test) + model opus"}}}))
    for k in (1, 2):
        write_run(it, "none", k, 1, 400, 40.0)
        write_run(it, "skill", k, 2, 200, 20.0)
        write_run(it, "skill-opus", k, 1 + (k == 1), 100, 10.0)
    return it


def test_benchmark_keeps_the_first_treatment_as_with_skill_and_lists_every_arm(arms_iteration: Path) -> None:
    bench = aggregate(arms_iteration, "my-skill")
    summary = bench["summary"]
    assert summary["with_skill"]["pass_rate"] == 1.0 and summary["baseline"]["pass_rate"] == 0.5
    assert summary["improvement_ratio"] == 2.0 and summary["token_savings_ratio"] == 0.5
    assert bench["baseline_config"] == "none" and bench["per_eval"][0]["with_skill"]["config"] == "skill"
    arms = bench["arms"]
    assert arms["gated"] == "skill" and arms["baseline"]["arm"] == "none"
    assert arms["baseline"]["summary"]["avg_tokens"] == 400
    entries = {t["arm"]: t for t in arms["treatments"]}
    assert [t["arm"] for t in arms["treatments"]] == ["skill", "skill-opus"]
    assert entries["skill"]["gated"] and not entries["skill-opus"]["gated"]
    assert entries["skill"]["summary"] == summary["with_skill"]
    assert entries["skill"]["improvement_ratio"] == summary["improvement_ratio"]
    opus = entries["skill-opus"]
    assert opus["summary"]["pass_rate"] == 0.75 and opus["improvement_ratio"] == 1.5
    assert opus["token_savings_ratio"] == 0.25 and opus["time_savings_ratio"] == 0.25
    assert opus["description"] == "skill my-skill (under test) + model opus"
    assert opus["thresholds_met"]["min_pass_rate"] is False and entries["skill"]["thresholds_met"]["min_pass_rate"]
    assert opus["per_eval"][0]["status"] == "FAIL" and opus["per_eval"][0]["trials_completed"] == 2


def test_skill_creator_file_and_report_name_each_arm(arms_iteration: Path) -> None:
    bench = aggregate(arms_iteration, "my-skill")
    configs = sorted({r["configuration"] for r in collect_runs(arms_iteration)})
    assert configs == ["with_skill", "without_skill"]
    creator = json.loads(write_creator_benchmark(arms_iteration, bench).read_text())
    assert creator["run_summary"]["with_skill"]["tokens"]["mean"] == 200
    assert creator["run_summary"]["without_skill"]["tokens"]["mean"] == 400
    assert any("skill-opus are in benchmark.json `arms`" in n for n in creator["notes"])
    md = render_markdown(context(bench, None, [], True))
    assert "arm `skill` (the first treatment arm" in md and "baseline arm `none`" in md
    rows = md.split("### Arms")[1].split("###")[0]
    assert "| none | baseline | nothing added |" in rows
    assert "| skill | treatment, gated | skill my-skill (under test) | 100% |" in rows
    assert "| skill-opus | treatment (not gated) | skill my-skill (under test) + model opus | 75% |" in rows
    assert "FAIL min_pass_rate" in rows


def test_default_iterations_have_no_arms_section(tmp_path: Path) -> None:
    it = tmp_path / "iteration-1"
    (it / "eval-0").mkdir(parents=True)
    write_run(it, "with_skill", 1, 2, 100, 1.0)
    write_run(it, "without_skill", 1, 1, 100, 1.0)
    bench = aggregate(it, "s")
    assert "arms" not in bench and bench["baseline_config"] == "without_skill"
    assert "### Arms" not in render_markdown(context(bench, None, [], False))


def test_trial_purity_fields_per_arm_as_run_sets_them(tmp_path: Path) -> None:
    """The baseline must not load the skill's plugin; each treatment must load it and its own parts, not another
    arm's; a claude_version arm runs its own binary (resolved by prepare_arms)."""
    from popkit_bench.execution.arms_setup import ArmsSetup
    from popkit_bench.planning.plan import Plan
    from popkit_bench.skill.execute import IterationSetup

    cfg = load_config(setup_skill(tmp_path))
    plugin(tmp_path, "extra", "extra-plugin")
    text = ("arms:\n  - name: none\n  - name: skill\n  - name: plus\n    plugin_dirs: [extra]\n"
            "    claude_version: 2.1.329\n")
    chosen = skill_arms(cfg, load_arms_file(arms_file(tmp_path, text)), tmp_path / "iteration-1", tmp_path / "my-skill")
    binaries = {"none": (Path("/cli/default"), "2.1.330"), "skill": (Path("/cli/default"), "2.1.330"),
                "plus": (Path("/cli/old"), "2.1.329")}
    setup = IterationSetup(None, None, "", Path("/cli/default"), {a.name: a for a in chosen.arms}, {}, {}, {},  # type: ignore[arg-type]
                           Plan(), chosen, ArmsSetup(chosen.source, binaries, {}))
    fields = setup.arm_fields()
    assert fields["none"]["tested_plugins"] == ("my-skill", "extra-plugin")
    assert fields["skill"]["tested_plugins"] == ("extra-plugin",)
    assert fields["plus"]["tested_plugins"] == ()
    assert fields["plus"]["claude_bin"] == Path("/cli/old") and fields["plus"]["claude_version"] == "2.1.329"
    assert fields["skill"]["claude_bin"] == Path("/cli/default")
    assert chosen.arms[2].loaded_plugin_names() == ["my-skill", "extra-plugin"]
