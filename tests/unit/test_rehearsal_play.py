"""Plays: validation, variant selection on real Claude Code requests, turn counting, {cwd}."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.errors import InputError
from popkit_bench.rehearsal.play import ToolCall, generic_play, load_play, parse_play, substitute
from popkit_bench.rehearsal.request_info import (
    MAIN,
    SIDE,
    SUBAGENT,
    assistant_turns,
    classify,
    find_cwd,
    first_turn_view,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330"


def first_request(session: str) -> dict:
    """Request 0 of a recorded session (stored whole)."""
    line = (FIXTURES / session / "requests.jsonl").read_text().splitlines()[0]
    return json.loads(line)


PLAY = {
    "play": "demo",
    "variants": [
        {"name": "with-plugin", "when": {"context_contains": "popkit-ops:pop-benchmark-runner"},
         "turns": [{"text": "plugin", "tool_calls": [{"name": "Read", "input": {"file_path": "{cwd}/a.py"}}]}]},
        {"name": "regex", "when": {"context_regex": r"(?m)^- never-listed:"}, "turns": [{"text": "never"}]},
        {"name": "default", "turns": [
            {"text": "one", "tool_calls": [{"name": "Bash", "input": {"command": "ls"}}],
             "usage": {"input_tokens": 10, "output_tokens": 5}},
            {"tool_calls": [{"name": "Write", "input": {"file_path": "{cwd}/b", "content": "x"}}]},
            {"text": "done"},
        ]},
    ],
}


def test_parse_valid_play() -> None:
    play = parse_play(PLAY)
    assert play.name == "demo"
    assert [v.name for v in play.variants] == ["with-plugin", "regex", "default"]
    default = play.variant("default")
    assert default.turns[0].usage == {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 0,
                                      "cache_creation_input_tokens": 0}
    assert default.turns[1].usage is None
    assert [c.name for c in default.tool_calls()] == ["Bash", "Write"]


def test_top_level_turns_shortcut() -> None:
    play = parse_play({"turns": [{"text": "hi"}]}, default_name="x")
    assert play.name == "x" and [v.name for v in play.variants] == ["default"]


@pytest.mark.parametrize(("doc", "field"), [
    ({"play": "x"}, "variants"),
    ({"play": "x", "variants": []}, "variants"),
    ({"play": "x", "turns": [{}]}, "turns[0]"),
    ({"play": "x", "turns": [{"text": "a", "tool_calls": [{"input": {}}]}]}, "turns[0].tool_calls[0].name"),
    ({"play": "x", "turns": [{"tool_calls": [{"name": "Bash", "input": "ls"}]}]}, "turns[0].tool_calls[0].input"),
    ({"play": "x", "turns": [{"text": "a", "usage": {"input_tokens": -1}}]}, "turns[0].usage.input_tokens"),
    ({"play": "x", "turns": [{"text": "a", "usage": {"tokens": 1}}]}, "turns[0].usage.tokens"),
    ({"play": "x", "variants": [{"name": "a", "when": {"context_regex": "("}, "turns": [{"text": "a"}]}]},
     "variants[0].when.context_regex"),
    ({"play": "x", "variants": [{"name": "a", "when": {"sometimes": "y"}, "turns": [{"text": "a"}]}]},
     "variants[0].when.sometimes"),
    ({"play": "x", "variants": [{"name": "a", "turns": [{"text": "a"}]}, {"name": "a", "turns": [{"text": "b"}]}]},
     "variants[1].name"),
    ({"play": "x", "variants": [{"name": "a"}]}, "variants[0].turns"),
    ({"play": "x", "turns": [{"text": "a"}], "extra": 1}, "extra"),
    ({"play": "x", "turns": [{"text": "a"}], "fail_first": {"requests": 1, "after": -1}}, "fail_first.after"),
    ({"play": "x", "turns": [{"text": "a"}], "fail_first": {"requests": 1, "status": 200}}, "fail_first.status"),
])
def test_invalid_plays_name_the_field(doc: dict, field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_play(doc, source="demo.play.yml")
    assert info.value.field == field
    assert info.value.file == "demo.play.yml"


def test_load_yaml_and_json(tmp_path: Path) -> None:
    (tmp_path / "a.play.yml").write_text("play: a\nturns:\n  - text: hi\n")
    (tmp_path / "b.play.json").write_text(json.dumps(PLAY))
    assert load_play(tmp_path / "a.play.yml").name == "a"
    assert load_play(tmp_path / "b.play.json").name == "demo"
    (tmp_path / "bad.play.yml").write_text("play: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_play(tmp_path / "bad.play.yml")
    with pytest.raises(InputError):
        load_play(tmp_path / "missing.play.yml")


def test_repository_plays_load(repo_root: Path) -> None:
    paths = sorted(repo_root.glob("tasks/*/*.play.y*ml"))
    for path in paths:
        assert load_play(path).variants


def test_variant_switches_on_the_plugin_skill_listing() -> None:
    play = parse_play(PLAY)
    assert play.select(first_request("plugin")["body"]).name == "with-plugin"
    assert play.select(first_request("basic")["body"]).name == "default"


def test_skill_listing_regex_used_by_task_plays() -> None:
    doc = {"play": "r", "variants": [
        {"name": "with", "when": {"context_regex": r"(?m)^- popkit-ops:[\w.-]+: "}, "turns": [{"text": "a"}]},
        {"name": "without", "turns": [{"text": "b"}]}]}
    play = parse_play(doc)
    assert play.select(first_request("plugin")["body"]).name == "with"
    assert play.select(first_request("subagent")["body"]).name == "without"


def test_not_contains_and_no_match() -> None:
    play = parse_play({"play": "n", "variants": [
        {"name": "only-baseline", "when": {"context_not_contains": "popkit-ops:"}, "turns": [{"text": "a"}]}]})
    assert play.select(first_request("basic")["body"]).name == "only-baseline"
    assert play.select(first_request("plugin")["body"]) is None


def test_turn_index_counts_assistant_messages() -> None:
    body = first_request("basic")["body"]
    assert assistant_turns(body) == 0
    later = {**body, "messages": body["messages"] + [
        {"role": "assistant", "content": [{"type": "text", "text": "x"}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "y"}]},
        {"role": "user", "content": "more"},
    ]}
    assert assistant_turns(later) == 2
    assert first_turn_view(later)["messages"] == body["messages"]
    variant = parse_play(PLAY).variant("default")
    assert variant.turn(2).text == "done"
    assert variant.turn(3) is None


def test_request_kinds_and_cwd_from_recorded_requests() -> None:
    lines = (FIXTURES / "subagent" / "requests.jsonl").read_text().splitlines()
    kinds = [classify(r["headers"], r["body"]) for r in map(json.loads, lines)]
    assert kinds == [MAIN, SUBAGENT, MAIN]
    assert classify({}, {"messages": [], "max_tokens": 50}) == SIDE
    assert find_cwd(first_request("basic")["body"]) == "/tmp/popkit-fixture/basic"


def test_substitute_cwd_everywhere() -> None:
    value = {"a": "{cwd}/x", "b": ["{cwd}", 3, {"c": "no"}]}
    assert substitute(value, "/w") == {"a": "/w/x", "b": ["/w", 3, {"c": "no"}]}


def test_generic_play_runs_each_verification_command() -> None:
    play = generic_play(["python -m unittest -q", "ruff check ."])
    variant = play.variants[0]
    assert variant.tool_calls()[0] == ToolCall("Bash", {"command": "ls -la {cwd}",
                                                        "description": "List the project files"})
    assert [c.input["command"] for c in variant.tool_calls()[1:]] == ["python -m unittest -q", "ruff check ."]
    assert variant.turns[-1].tool_calls == () and variant.turns[-1].text


def test_variant_by_requested_model_and_by_context() -> None:
    """An arms run: the scripted model answers by the model asked for and by a CLAUDE.md in the context."""
    play = parse_play({"play": "arms", "variants": [
        {"name": "sonnet", "when": {"model": "claude-sonnet-4-5"}, "turns": [{"text": "sonnet"}]},
        {"name": "haiku-ish", "when": {"model_regex": "haiku"}, "turns": [{"text": "haiku"}]},
        {"name": "claude-md", "when": {"context_contains": "ARM-CLAUDE-MD", "model_regex": "opus"},
         "turns": [{"text": "md"}]},
        {"name": "default", "turns": [{"text": "plain"}]},
    ]})
    def pick(model: str, text: str = "hello") -> str:
        request = {"model": model, "system": [{"type": "text", "text": text}], "messages": []}
        return play.select(request).name
    assert pick("claude-sonnet-4-5") == "sonnet"
    assert pick("claude-haiku-5-5") == "haiku-ish"
    assert pick("claude-opus-5-5", "Contents of CLAUDE.md: ARM-CLAUDE-MD") == "claude-md"
    assert pick("claude-sonnet-4-5-x", "ARM-CLAUDE-MD") == "default"  # model is exact; regex needs opus
    assert pick("claude-opus-5-5") == "default"


def test_bad_model_regex_names_the_field() -> None:
    with pytest.raises(InputError) as err:
        parse_play({"variants": [{"name": "a", "when": {"model_regex": "("}, "turns": [{"text": "x"}]}]})
    assert err.value.field == "variants[0].when.model_regex"
def test_the_generic_play_has_a_reserved_variant_name():
    from popkit_bench.rehearsal.play import GENERIC_VARIANT, generic_play
    from popkit_bench.report.load import GENERIC_PLAY_VARIANT

    assert [v.name for v in generic_play(["true"]).variants] == [GENERIC_VARIANT] == [GENERIC_PLAY_VARIANT]
    with pytest.raises(InputError, match="reserved"):
        parse_play({"variants": [{"name": GENERIC_VARIANT, "turns": [{"text": "hi"}]}]})
