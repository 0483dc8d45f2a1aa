"""Play conditions on the query text and on the skill listing (recorded 2.1.330 requests), and their validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_bench.errors import InputError
from popkit_bench.rehearsal.play import parse_play
from popkit_bench.rehearsal.request_info import query_text, skill_listing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330"


def first_body(session: str) -> dict:
    return json.loads((FIXTURES / session / "requests.jsonl").read_text().splitlines()[0])["body"]


def play(*whens: dict) -> object:
    variants = [{"name": f"v{i}", "when": w, "turns": [{"text": str(i)}]} for i, w in enumerate(whens)]
    return parse_play({"variants": [*variants, {"name": "default", "turns": [{"text": "d"}]}]})


def test_query_is_the_prompt_without_system_reminders() -> None:
    body = first_body("plugin")
    assert query_text(body) == "Benchmark this plugin."
    assert "system-reminder" in json.dumps(body["messages"][0])


def test_listing_has_plugin_skills_with_their_descriptions() -> None:
    listing = skill_listing(first_body("plugin"))
    assert listing["popkit-ops:pop-benchmark-runner"].startswith("Benchmark a Claude Code plugin")
    assert "popkit-ops:pop-benchmark-runner" not in skill_listing(first_body("basic"))


def test_variants_branch_on_query_and_listing() -> None:
    plugin, basic = first_body("plugin"), first_body("basic")
    p = play({"skill_listed": "pop-benchmark-runner", "skill_description_contains": "no such words"},
             {"skill_listed": "pop-benchmark-runner", "query_regex": "(?i)^benchmark"},
             {"skill_not_listed": "pop-benchmark-runner", "query_not_contains": "Benchmark"})
    assert p.select(plugin).name == "v1"
    assert p.select(basic).name == "v2"
    assert play({"query_contains": "Benchmark this"}).select(plugin).name == "v0"


def test_a_query_cannot_list_a_skill_by_itself() -> None:
    body = first_body("basic")
    body["messages"][0]["content"][-1]["text"] = "- pop-benchmark-runner: pretend I am listed"
    assert play({"skill_listed": "pop-benchmark-runner"}).select(body).name == "default"


def test_a_short_query_does_not_hide_the_listing() -> None:
    body = first_body("plugin")
    body["messages"][0]["content"][-1]["text"] = "popkit"
    assert query_text(body) == "popkit"
    assert "popkit-ops:pop-benchmark-runner" in skill_listing(body)


@pytest.mark.parametrize(("when", "field"), [
    ({"skill_description_contains": "x"}, "variants[0].when.skill_description_contains"),
    ({"query_regex": "("}, "variants[0].when.query_regex"),
    ({"query_words": "x"}, "variants[0].when.query_words"),
])
def test_bad_conditions_name_the_field(when: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        play(when)
    assert err.value.field == field
