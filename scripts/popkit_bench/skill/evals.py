"""The eval set (`evals/evals.json`, skill-creator compatible) and its assertions, validated."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError, is_positive_number
from popkit_bench.skill.jsonio import line_of, read_json

EVAL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
EVAL_KEYS = {"id", "name", "eval_name", "prompt", "files", "expected_output", "assertions", "expectations",
             "play", "timeout_seconds"}
ASSERTION_KEYS: dict[str, set[str]] = {
    "command": {"command", "exit_code", "shell", "timeout_seconds"},
    "file_exists": {"path"},
    "regex": {"pattern", "file", "flags"},
    "json_value": {"file", "path", "equals"},
    "llm": {"text"},
}
COMMON_KEYS = {"type", "name", "negate"}
REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


@dataclass(frozen=True)
class Assertion:
    """One check of a trial's result; `params` holds the type's keys (see docs/skill-benchmark.md)."""

    type: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    negate: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, **self.params, **({"negate": True} if self.negate else {})}


@dataclass(frozen=True)
class EvalCase:
    """One eval: a prompt, input files copied into the trial's folder, and assertions."""

    id: int | str
    name: str
    prompt: str
    files: tuple[Path, ...] = ()
    expected_output: str | None = None
    assertions: tuple[Assertion, ...] = ()
    play: Path | None = None
    timeout_seconds: float | None = None

    @property
    def folder_name(self) -> str:
        return f"eval-{self.id}"


@dataclass(frozen=True)
class EvalSet:
    """A validated eval set."""

    skill_name: str
    evals: tuple[EvalCase, ...]
    path: Path


def load_eval_set(path: str | Path, skill_path: Path | None = None) -> EvalSet:
    """Read `evals.json`; `files` resolve against the skill folder (skill-creator), else the file's folder."""
    path = Path(path).resolve()
    data, text = read_json(path)
    return _Parser(path, text, skill_path).eval_set(data)


class _Parser:
    def __init__(self, path: Path, text: str, skill_path: Path | None) -> None:
        self.path, self.text = path, text
        self.roots = [r for r in (skill_path, path.parent, path.parent.parent) if r is not None]
        self.cursor = 0

    def fail(self, name: str | None, message: str, expected: str | None = None) -> InputError:
        line = line_of(self.text, name.split(".")[-1].split("[")[0], self.cursor) if name else None
        return InputError(message, file=self.path, field=name, line=line, expected=expected)

    def eval_set(self, data: Any) -> EvalSet:
        if not isinstance(data, dict):
            raise self.fail(None, "an eval set must be a JSON object", '{"skill_name", "evals": [...]}')
        skill_name = data.get("skill_name")
        if not isinstance(skill_name, str) or not skill_name:
            raise self.fail("skill_name", "missing or empty", "the skill's name")
        evals = data.get("evals")
        if not isinstance(evals, list) or not evals:
            raise self.fail("evals", "must be a non-empty list", "[{id, name, prompt, assertions}, ...]")
        out: list[EvalCase] = []
        for index, item in enumerate(evals):
            case = self.case(item, f"evals[{index}]", index)
            if any(str(c.id) == str(case.id) for c in out):
                raise self.fail(f"evals[{index}].id", f"duplicate eval id {case.id!r}", "unique ids")
            out.append(case)
        return EvalSet(skill_name, tuple(out), self.path)

    def case(self, item: Any, where: str, index: int) -> EvalCase:
        if not isinstance(item, dict):
            raise self.fail(where, "must be an object", "{id, name, prompt, files, expected_output, assertions}")
        found = re.compile(r'"prompt"\s*:').search(self.text, self.cursor)
        unknown = sorted(set(item) - EVAL_KEYS)
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}", "unknown key", "one of " + ", ".join(sorted(EVAL_KEYS)))
        eval_id = item.get("id", index)
        if isinstance(eval_id, bool) or not isinstance(eval_id, (int, str)) or not EVAL_ID_RE.match(str(eval_id)):
            raise self.fail(f"{where}.id", f"invalid id {eval_id!r}", "an integer or letters, digits, '.', '_', '-'")
        prompt = item.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise self.fail(f"{where}.prompt", "missing or empty", "the task text given to Claude Code")
        name = item.get("name", item.get("eval_name", f"eval-{eval_id}"))
        if not isinstance(name, str) or not name:
            raise self.fail(f"{where}.name", "must be a non-empty string", "a short name")
        if "assertions" in item and "expectations" in item:
            raise self.fail(f"{where}.expectations", "give `assertions` or `expectations`, not both",
                            "one list of assertions")
        raw = item.get("assertions", item.get("expectations", []))
        key = "assertions" if "assertions" in item else "expectations"
        if not isinstance(raw, list):
            raise self.fail(f"{where}.{key}", "must be a list", "assertion objects or statements")
        assertions = tuple(self.assertion(a, f"{where}.{key}[{i}]", i) for i, a in enumerate(raw))
        if not assertions:
            raise self.fail(f"{where}.{key}", "no assertions: nothing would be graded", "at least one assertion")
        files = tuple(self.file(f, f"{where}.files[{i}]") for i, f in enumerate(item.get("files") or []))
        expected = item.get("expected_output")
        if expected is not None and not isinstance(expected, str):
            raise self.fail(f"{where}.expected_output", "must be text", "a description of success")
        play = self.file(item["play"], f"{where}.play") if item.get("play") is not None else None
        timeout = item.get("timeout_seconds")
        if timeout is not None and not is_positive_number(timeout):
            raise self.fail(f"{where}.timeout_seconds", "must be a positive finite number", "seconds")
        if found:
            self.cursor = found.end()
        return EvalCase(eval_id, name, prompt, files, expected, assertions, play, timeout)

    def file(self, value: Any, where: str) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "must be a relative path", "a path relative to the skill folder")
        for root in self.roots:
            candidate = (root / value).resolve()
            if candidate.exists():
                return candidate
        raise self.fail(where, f"file {value!r} not found", "a path relative to the skill folder or evals.json")

    def assertion(self, value: Any, where: str, index: int) -> Assertion:
        if isinstance(value, str):
            if not value.strip():
                raise self.fail(where, "empty statement", "a statement for the LLM grader")
            return Assertion("llm", value, {"text": value})
        if not isinstance(value, dict):
            raise self.fail(where, "must be an object or a statement", "{type, name, ...}")
        kind = value.get("type")
        if kind not in ASSERTION_KEYS:
            raise self.fail(f"{where}.type", f"unknown assertion type {kind!r}", "one of " + ", ".join(ASSERTION_KEYS))
        allowed = ASSERTION_KEYS[kind] | COMMON_KEYS
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(f"{where}.{unknown[0]}", "unknown key", "one of " + ", ".join(sorted(allowed)))
        params = {k: v for k, v in value.items() if k not in COMMON_KEYS}
        negate = value.get("negate", False)
        if not isinstance(negate, bool):
            raise self.fail(f"{where}.negate", "must be true or false", "a boolean")
        getattr(self, f"check_{kind}")(params, where)
        name = value.get("name") or default_name(kind, params, index)
        if not isinstance(name, str):
            raise self.fail(f"{where}.name", "must be text", "a short label")
        return Assertion(kind, name, params, negate)

    def text_key(self, params: dict, key: str, where: str, expected: str) -> str:
        value = params.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", "missing or empty", expected)
        return value

    def rel_path(self, params: dict, key: str, where: str) -> None:
        value = self.text_key(params, key, where, "a path relative to the trial's folder")
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise self.fail(f"{where}.{key}", f"path {value!r} escapes the trial's folder", "a relative path")

    def check_command(self, params: dict, where: str) -> None:
        command = self.text_key(params, "command", where, "a command such as 'python -m pytest -q'")
        code = params.setdefault("exit_code", 0)
        if isinstance(code, bool) or not isinstance(code, int):
            raise self.fail(f"{where}.exit_code", "must be a whole number", "the expected exit code, e.g. 0")
        shell = params.setdefault("shell", False)
        if not isinstance(shell, bool):
            raise self.fail(f"{where}.shell", "must be true or false", "a boolean")
        timeout = params.setdefault("timeout_seconds", 120)
        if not is_positive_number(timeout):
            raise self.fail(f"{where}.timeout_seconds", "must be a positive finite number", "seconds")
        if not shell:
            try:
                shlex.split(command)
            except ValueError as exc:
                raise self.fail(f"{where}.command", f"cannot be split into arguments: {exc}", "balanced quotes") from None

    def check_file_exists(self, params: dict, where: str) -> None:
        self.rel_path(params, "path", where)

    def check_regex(self, params: dict, where: str) -> None:
        pattern = self.text_key(params, "pattern", where, "a Python regular expression")
        flags = params.get("flags", "")
        if not isinstance(flags, str) or set(flags) - set(REGEX_FLAGS):
            raise self.fail(f"{where}.flags", f"invalid flags {flags!r}", "letters from 'ims'")
        try:
            re.compile(pattern, regex_flags(flags))
        except re.error as exc:
            raise self.fail(f"{where}.pattern", f"bad regular expression: {exc}", "a Python regular expression") from None
        if "file" in params:
            self.rel_path(params, "file", where)

    def check_json_value(self, params: dict, where: str) -> None:
        self.rel_path(params, "file", where)
        path = self.text_key(params, "path", where, "a dotted path such as 'summary.total' or 'items[0].id'")
        try:
            parse_json_path(path)
        except ValueError as exc:
            raise self.fail(f"{where}.path", str(exc), "a dotted path such as 'summary.total'") from None

    def check_llm(self, params: dict, where: str) -> None:
        self.text_key(params, "text", where, "a statement for the LLM grader to judge")


def regex_flags(letters: str) -> int:
    """`"im"` -> re.IGNORECASE | re.MULTILINE."""
    flags = 0
    for letter in letters:
        flags |= REGEX_FLAGS[letter]
    return flags


JSON_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_json_path(path: str) -> list[str | int]:
    """'a.b[0].c' -> ['a', 'b', 0, 'c']; ValueError when malformed."""
    parts: list[str | int] = []
    position = 0
    for chunk in path.split("."):
        if not chunk:
            raise ValueError(f"empty segment in path {path!r}")
        matched = 0
        for match in JSON_PATH_PART.finditer(chunk):
            if match.start() != matched:
                raise ValueError(f"cannot parse path {path!r}")
            parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
            matched = match.end()
        if matched != len(chunk):
            raise ValueError(f"cannot parse path {path!r}")
        position += len(chunk) + 1
    return parts


def default_name(kind: str, params: dict, index: int) -> str:
    """A readable default label for an assertion without `name`."""
    if kind == "command":
        return f"`{params['command']}` exits {params.get('exit_code', 0)}"
    if kind == "file_exists":
        return f"{params['path']} exists"
    if kind == "regex":
        return f"/{params['pattern']}/ in {params.get('file', 'the final answer')}"
    if kind == "json_value":
        return f"{params['file']}:{params['path']}" + (f" == {params['equals']!r}" if "equals" in params else " exists")
    return params.get("text") or f"assertion {index + 1}"
