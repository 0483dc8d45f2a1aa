"""Scripted-model plays: load, validate, pick the variant and the turn (format: docs/formats.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from popkit_bench.errors import InputError
from popkit_bench.rehearsal.messages import USAGE_KEYS
from popkit_bench.rehearsal.when import WHEN_KEYS, Condition, RequestView, make_condition

GENERIC_VARIANT = "generic-play"  # the generic play's variant: reports label trials that ran it
PLAY_KEYS = {"play", "variants", "turns", "subagent_turns", "final_text", "fail_first", "usage_jitter",
             "turn_delay_s"}
FAIL_KEYS = {"requests", "status", "after"}
VARIANT_KEYS = {"name", "when", "turns"}
TURN_KEYS = {"text", "tool_calls", "usage"}
CALL_KEYS = {"name", "input"}
DEFAULT_FINAL_TEXT = "Done."
DEFAULT_SUBAGENT_TEXT = "Done: nothing else to report."


@dataclass(frozen=True)
class ToolCall:
    """One tool_use block the model sends."""

    name: str
    input: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """One assistant message: optional text, then tool calls; explicit usage or None (derived)."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: dict[str, int] | None = None


@dataclass(frozen=True)
class Variant:
    """A branch of a play; `when` None always matches."""

    name: str
    turns: tuple[Turn, ...]
    when: Condition | None = None

    def tool_calls(self) -> list[ToolCall]:
        """Every tool call of this variant, in order."""
        return [call for turn in self.turns for call in turn.tool_calls]

    def turn(self, index: int) -> Turn | None:
        """The turn to play after `index` assistant messages; None when the script is over."""
        return self.turns[index] if 0 <= index < len(self.turns) else None


@dataclass(frozen=True)
class FailFirst:
    """`fail_first: {requests: N, status: S, after: M}`: the server answers the first N main-loop requests
    it gets for this play (over all sessions of a server, so a retried trial then succeeds), after letting
    M through (default 0), with HTTP status S (e.g. 529 overloaded, 500, 429 rate limit, 401
    authentication) in the API's error shape and `x-should-retry: false`, so Claude Code ends the session
    with an API error instead of retrying by itself. Simulates an infrastructure failure for `run
    --retries`, or (with `after`) credentials revoked in the middle of a run."""

    requests: int
    status: int = 529
    after: int = 0


@dataclass(frozen=True)
class Play:
    """A whole play: variants in order, the subagent script and the text sent after the last turn."""

    name: str
    variants: tuple[Variant, ...]
    subagent_turns: tuple[Turn, ...] = (Turn(text=DEFAULT_SUBAGENT_TEXT),)
    final_text: str = DEFAULT_FINAL_TEXT
    source: str | None = None
    fail_first: FailFirst | None = None
    usage_jitter: float = 0.0  # each usage number varies by up to +-this fraction, per session and turn
    turn_delay_s: float = 0.0  # the server waits this long before each main-loop reply (a slow API turn)

    def select(self, first_request: Mapping[str, Any]) -> Variant | None:
        """The first variant whose `when` matches the session's first main-loop request."""
        view = RequestView.of(first_request)
        for variant in self.variants:
            if variant.when is None or variant.when.matches(view):
                return variant
        return None

    def variant(self, name: str) -> Variant:
        """The variant called `name` (KeyError if none)."""
        for variant in self.variants:
            if variant.name == name:
                return variant
        raise KeyError(name)


def substitute(value: Any, cwd: str) -> Any:
    """Replace `{cwd}` in every string of a JSON-like value."""
    if isinstance(value, str):
        return value.replace("{cwd}", cwd)
    if isinstance(value, dict):
        return {k: substitute(v, cwd) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, cwd) for v in value]
    return value


def generic_play(verification_commands: Iterable[str], name: str = "generic") -> Play:
    """A play for any task: list the cwd, read it, run each verification command with Bash, then finish.

    Its one variant is named GENERIC_VARIANT, so a trial's rehearsal.json shows that no task play ran."""
    turns = [
        Turn(text="Let me look at the project first.",
             tool_calls=(ToolCall("Bash", {"command": "ls -la {cwd}", "description": "List the project files"}),)),
    ]
    for command in verification_commands:
        turns.append(Turn(tool_calls=(ToolCall("Bash", {"command": command, "description": "Run a check"}),)))
    turns.append(Turn(text="I looked at the project and ran its checks."))
    return Play(name=name, variants=(Variant(GENERIC_VARIANT, tuple(turns)),))


def load_play(path: str | Path) -> Play:
    """Read a play from YAML or JSON; raise InputError on any problem."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read play: {exc.strerror or exc}", file=path) from exc
    try:
        data = json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}", file=path) from exc
    return parse_play(data, source=path, default_name=path.name.split(".")[0])


def parse_play(data: Any, *, source: str | Path | None = None, default_name: str = "play") -> Play:
    """Validate a decoded play document."""
    return _Parser(source).play(data, default_name)


class _Parser:
    def __init__(self, source: str | Path | None) -> None:
        self.source = str(source) if source is not None else None

    def fail(self, where: str | None, message: str, expected: str | None = None) -> InputError:
        return InputError(message, file=self.source, field=where, expected=expected)

    def mapping(self, value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where or None, "must be a mapping", "key: value pairs")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            at = f"{where}.{unknown[0]}" if where else unknown[0]
            raise self.fail(at, "unknown key", "one of " + ", ".join(sorted(allowed)))
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, "must be a non-empty string")
        return value

    def play(self, data: Any, default_name: str) -> Play:
        data = self.mapping(data, "", PLAY_KEYS)
        name = self.text(data["play"], "play") if "play" in data else default_name
        if ("variants" in data) == ("turns" in data):
            raise self.fail("variants", "give either `variants` or `turns`", "a list of variants")
        if "turns" in data:
            variants = (Variant("default", self.turns(data["turns"], "turns")),)
        else:
            variants = self.variants(data["variants"])
        subagent = (Turn(text=DEFAULT_SUBAGENT_TEXT),)
        if "subagent_turns" in data:
            subagent = self.turns(data["subagent_turns"], "subagent_turns")
        final = self.text(data["final_text"], "final_text") if "final_text" in data else DEFAULT_FINAL_TEXT
        fail = self.fail_first(data["fail_first"]) if data.get("fail_first") is not None else None
        jitter = data.get("usage_jitter", 0.0)
        if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not 0 <= jitter <= 0.5:
            raise self.fail("usage_jitter", f"must be a fraction from 0 to 0.5, got {jitter!r}", "e.g. 0.1")
        delay = data.get("turn_delay_s", 0.0)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 600:
            raise self.fail("turn_delay_s", f"must be seconds from 0 to 600, got {delay!r}", "e.g. 2.5")
        return Play(name, variants, subagent, final, self.source, fail, float(jitter), float(delay))

    def fail_first(self, value: Any) -> FailFirst:
        value = self.mapping(value, "fail_first", FAIL_KEYS)
        requests, status, after = value.get("requests"), value.get("status", 529), value.get("after", 0)
        for where, number in (("requests", requests), ("after", after)):
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise self.fail(f"fail_first.{where}", "must be a whole number >= 0")
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise self.fail("fail_first.status", "must be an HTTP error status", "e.g. 529, 500, 429 or 401")
        return FailFirst(requests, status, after)

    def variants(self, value: Any) -> tuple[Variant, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("variants", "must be a non-empty list", "[{name, when, turns}, ...]")
        out: list[Variant] = []
        for index, item in enumerate(value):
            where = f"variants[{index}]"
            item = self.mapping(item, where, VARIANT_KEYS)
            name = self.text(item["name"], f"{where}.name") if "name" in item else f"variant-{index + 1}"
            if name == GENERIC_VARIANT:
                raise self.fail(f"{where}.name", f"the variant name '{GENERIC_VARIANT}' is reserved",
                                "another name (it marks the generic play in reports)")
            if name in (v.name for v in out):
                raise self.fail(f"{where}.name", f"duplicate variant name '{name}'")
            if "turns" not in item:
                raise self.fail(f"{where}.turns", "missing", "a list of turns")
            when = self.when(item["when"], f"{where}.when") if item.get("when") is not None else None
            out.append(Variant(name, self.turns(item["turns"], f"{where}.turns"), when))
        return tuple(out)

    def when(self, value: Any, where: str) -> Condition:
        value = self.mapping(value, where, set(WHEN_KEYS))
        if not value:
            raise self.fail(where, "is empty", "one of " + ", ".join(WHEN_KEYS))
        strings = {k: self.text(v, f"{where}.{k}") for k, v in value.items()}
        if "skill_description_contains" in strings and "skill_listed" not in strings:
            raise self.fail(f"{where}.skill_description_contains", "needs `skill_listed` in the same `when`",
                            "skill_listed: <the skill whose description must contain the text>")

        def compile_regex(key: str, pattern: str) -> re.Pattern[str]:
            try:
                return re.compile(pattern)
            except re.error as exc:
                raise self.fail(f"{where}.{key}", f"bad regular expression: {exc}") from exc

        return make_condition(strings, compile_regex)

    def turns(self, value: Any, where: str) -> tuple[Turn, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a non-empty list of turns", "[{text, tool_calls, usage}, ...]")
        return tuple(self.turn(item, f"{where}[{index}]") for index, item in enumerate(value))

    def turn(self, value: Any, where: str) -> Turn:
        value = self.mapping(value, where, TURN_KEYS)
        text = self.text(value["text"], f"{where}.text") if value.get("text") is not None else None
        calls_raw = value.get("tool_calls") or []
        if not isinstance(calls_raw, list):
            raise self.fail(f"{where}.tool_calls", "must be a list", "[{name, input}, ...]")
        calls = tuple(self.call(c, f"{where}.tool_calls[{i}]") for i, c in enumerate(calls_raw))
        if text is None and not calls:
            raise self.fail(where, "has neither text nor tool_calls")
        usage = self.usage(value["usage"], f"{where}.usage") if value.get("usage") is not None else None
        return Turn(text, calls, usage)

    def call(self, value: Any, where: str) -> ToolCall:
        value = self.mapping(value, where, CALL_KEYS)
        if "name" not in value:
            raise self.fail(f"{where}.name", "missing", "a tool name such as Read, Edit, Bash")
        name = self.text(value["name"], f"{where}.name")
        args = value.get("input") or {}
        if not isinstance(args, dict):
            raise self.fail(f"{where}.input", "must be a mapping", "the tool's input object")
        return ToolCall(name, args)

    def usage(self, value: Any, where: str) -> dict[str, int]:
        value = self.mapping(value, where, set(USAGE_KEYS))
        out = {key: 0 for key in USAGE_KEYS}
        for key, number in value.items():
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise self.fail(f"{where}.{key}", "must be a whole number >= 0")
            out[key] = number
        return out
