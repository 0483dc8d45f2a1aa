"""Arms files: every key parsed into an ArmDefinition; bad input names file, field and line (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.errors import EXIT_BAD_INPUT, InputError
from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.planning.arms_file import arms_from_plugins, closest, load_arms_file
from popkit_bench.planning.plan import Arm
from popkit_bench.planning.plugin_info import read_plugin


def make_plugin(folder: Path, name: str) -> Path:
    (folder / ".claude-plugin").mkdir(parents=True)
    (folder / ".claude-plugin" / "plugin.json").write_text(json.dumps({"name": name}))
    (folder / "skills" / "s").mkdir(parents=True)
    (folder / "skills" / "s" / "SKILL.md").write_text("---\nname: s\ndescription: d\n---\n")
    return folder


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "arms.yml"
    path.write_text(text)
    return path


@pytest.fixture()
def inputs(tmp_path: Path) -> Path:
    make_plugin(tmp_path / "plug", "my-plugin")
    (tmp_path / "skill-a").mkdir()
    (tmp_path / "skill-a" / "SKILL.md").write_text("---\nname: skill-a\ndescription: A\n---\nbody\n")
    (tmp_path / "CLAUDE.md").write_text("Always run the tests.\n")
    (tmp_path / "settings.json").write_text(json.dumps({"env": {"X": "1"}}))
    (tmp_path / "mcp.json").write_text(json.dumps({"mcpServers": {"files": {"command": "true"}}}))
    return tmp_path


FULL = """\
baseline: none
arms:
  - name: none
  - name: with-plugin
    plugin_dirs: [plug]
    skills: [skill-a]
  - name: claude-md
    claude_md: CLAUDE.md
    settings: settings.json
    mcp_config: mcp.json
  - name: sonnet
    model: claude-sonnet-4-5
    claude_version: 2.1.329
    append_system_prompt: Be brief.
    env: {FOO: bar, N: 3}
    permission_mode: plan
    settings: {enabledPlugins: {"x@builtin": false}}
    claude_md_text: inline text
"""


def test_every_key_is_parsed(inputs: Path) -> None:
    arms = load_arms_file(write(inputs, FULL))
    assert arms.baseline == "none" and arms.names() == ["none", "with-plugin", "claude-md", "sonnet"]
    none, plugin, md, sonnet = arms.arms
    assert none == ArmDefinition("none", digests=none.digests) and none.describe() == "nothing added"
    assert plugin.plugin_dirs == ((inputs / "plug").resolve(),) and plugin.plugin_names == ("my-plugin",)
    assert plugin.skills == ((inputs / "skill-a").resolve(),)
    assert plugin.loaded_plugin_names() == ["my-plugin", "with-plugin-skills"]
    assert plugin.skill_names() == ["with-plugin-skills:skill-a"]
    assert len(plugin.digests["plugin_dirs"][0]) == 16 and len(plugin.digests["skills"][0]) == 16
    assert md.claude_md_text == "Always run the tests.\n" and md.claude_md == (inputs / "CLAUDE.md").resolve()
    assert md.settings == {"env": {"X": "1"}} and md.settings_file == (inputs / "settings.json").resolve()
    assert md.mcp_server_names() == ["files"]
    assert sonnet.model == "claude-sonnet-4-5" and sonnet.claude_version == "2.1.329"
    assert sonnet.env == {"FOO": "bar", "N": "3"} and sonnet.permission_mode == "plan"
    assert sonnet.settings == {"enabledPlugins": {"x@builtin": False}} and sonnet.claude_md_text == "inline text"


def test_json_round_trip_and_arm_compatibility(inputs: Path) -> None:
    for arm in load_arms_file(write(inputs, FULL)).arms:
        data = arm.to_json()
        assert ArmDefinition.from_json(json.loads(json.dumps(data))) == arm
    plugin = load_arms_file(write(inputs, FULL)).arm("with-plugin")
    old = Arm("with-plugin", plugin.plugin_dirs, "my-plugin").to_json()
    assert {k: plugin.to_json()[k] for k in old} == old  # Arm's keys keep their meaning
    legacy = ArmDefinition.from_json(old)
    assert legacy.plugin_names == ("my-plugin",) and legacy.plugin_dirs == plugin.plugin_dirs


def test_baseline_defaults_to_the_first_arm(inputs: Path) -> None:
    arms = load_arms_file(write(inputs, "arms:\n  - name: a\n  - name: b\n    model: claude-sonnet-4-5\n"))
    assert arms.baseline == "a"


@pytest.mark.parametrize(("text", "field", "line", "words"), [
    ("arms:\n  - name: a\n    modle: x\n", "arms[0].modle", 3, "did you mean 'model'"),
    ("arms:\n  - name: a\n    plugin_dir: [plug]\n", "arms[0].plugin_dir", 3, "did you mean 'plugin_dirs'"),
    ("baselin: a\narms:\n  - name: a\n", "baselin", 1, "did you mean 'baseline'"),
    ("arms:\n  - name: a\n  - name: a\n", "arms[1].name", 3, "duplicate arm name 'a'"),
    ("arms:\n  - name: a\n    claude_md: missing.md\n", "arms[0].claude_md", 3, "file not found"),
    ("arms:\n  - name: a\n    plugin_dirs: [nowhere]\n", "arms[0].plugin_dirs[0]", 3, "folder not found"),
    ("arms:\n  - name: a\n    skills: [plug]\n", "arms[0].skills[0]", 3, "not a skill folder"),
    ("arms:\n  - name: a\n    mcp_config: nope.json\n", "arms[0].mcp_config", 3, "file not found"),
    ("arms:\n  - name: a\n    settings: nope.json\n", "arms[0].settings", 3, "file not found"),
    ("baseline: z\narms:\n  - name: a\n", "baseline", 1, "no arm named 'z'"),
    ("arms: []\n", "arms", 1, "missing or empty"),
    ("arms:\n  - name: a\n    permission_mode: yolo\n", "arms[0].permission_mode", 3, "unknown permission mode"),
    ("arms:\n  - name: a\n    env: {ANTHROPIC_BASE_URL: x}\n", "arms[0].env.ANTHROPIC_BASE_URL", 3, "set by the harness"),
    ("arms:\n  - name: a\n    claude_version: latest\n", "arms[0].claude_version", 3, "neither an npm version"),
    ("arms:\n  - name: a b\n", "arms[0].name", 2, "invalid arm name"),
    ("arms:\n  - name: a\n    claude_md: CLAUDE.md\n    claude_md_text: x\n", "arms[0].claude_md_text", 4, "either"),
])
def test_bad_arms_files_name_file_field_line(inputs: Path, text: str, field: str, line: int, words: str) -> None:
    path = write(inputs, text)
    with pytest.raises(InputError) as err:
        load_arms_file(path)
    assert err.value.field == field and err.value.line == line and words in err.value.detail
    assert err.value.file == str(path) and err.value.exit_code == EXIT_BAD_INPUT


def test_bad_mcp_config_and_yaml(inputs: Path) -> None:
    (inputs / "bad-mcp.json").write_text('{"servers": {}}')
    with pytest.raises(InputError, match="no mcpServers"):
        load_arms_file(write(inputs, "arms:\n  - name: a\n    mcp_config: bad-mcp.json\n"))
    with pytest.raises(InputError) as err:
        load_arms_file(write(inputs, "arms:\n  - name: [a\n"))
    assert err.value.line is not None and "invalid YAML" in err.value.detail
    with pytest.raises(InputError, match="file not found"):
        load_arms_file(inputs / "no-such-arms.yml")


def test_closest_key() -> None:
    assert closest("modle", ("model", "name")) == "model"
    assert closest("zzz", ("model", "name")) is None


def test_plugin_dir_shorthand_names_arms_as_before(inputs: Path) -> None:
    plugin = read_plugin(inputs / "plug")
    arms = arms_from_plugins([plugin])
    assert arms.names() == ["baseline", "my-plugin"] and arms.baseline == "baseline"
    assert arms.arm("my-plugin").plugin_name == "my-plugin"
    assert arms.arm("my-plugin").digests["plugin_dirs"] == [plugin.digest]


def test_cli_rejects_a_bad_arms_file_with_exit_2(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from popkit_bench.cli import main

    task = Path(__file__).resolve().parents[1] / "fixtures" / "arms-task" / "arms-task.yml"
    bad = write(inputs, "arms:\n  - name: a\n    modle: x\n")
    assert main(["run", str(task), "--arms", str(bad), "--rehearsal", "--parallel", "1"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{bad}:3: field 'arms[0].modle': unknown key 'modle'; did you mean 'model'?" in err
    assert "Traceback" not in err
    both = ["run", str(task), "--arms", str(bad), "--plugin-dir", str(inputs / "plug"), "--rehearsal"]
    assert main(both) == EXIT_BAD_INPUT
    assert "either --arms or --plugin-dir" in capsys.readouterr().err
