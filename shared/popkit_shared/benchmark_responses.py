"""Benchmark responses files (`<task-id>-responses.json`): how the harness answers Claude's questions.

Schema (the seed's, extended):
    {
      "responses": {"<question header or question text>": <answer>},
      "standardAutoApprove": ["<regex>", ...],
      "explicitDeclines": ["<regex>", ...],
      "defaultAnswer": "first" | "decline",        (optional; unmatched questions)
      "defaultPermission": "allow" | "deny"         (optional; tool uses no regex matched)
    }
An answer is an option label (string), a list of labels (multi-select), true/false, or {"other": "free text"}.
Matching rules: popkit_shared/answering.py and docs/responses.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_shared.safe_regex import RE2_SYNTAX, Pattern, PatternError, compile_pattern

Answer = str | list[str] | bool | dict[str, str]
TOP_LEVEL_KEYS = ("responses", "standardAutoApprove", "explicitDeclines", "description", "defaultAnswer",
                  "defaultPermission")


class ResponsesFileError(ValueError):
    """A responses file is malformed; carries file, field, line and what was expected."""

    def __init__(self, message: str, *, file: str, field: str | None = None, line: int | None = None,
                 expected: str | None = None) -> None:
        self.file, self.field, self.line, self.expected, self.detail = file, field, line, expected, message
        where = file + (f":{line}" if line else "")
        text = f"{where}: " + (f"field '{field}': " if field else "") + message
        super().__init__(text + (f" (expected {expected})" if expected else ""))


@dataclass(frozen=True)
class ResponsesFile:
    """A validated responses file."""

    path: Path | None
    responses: dict[str, Answer] = field(default_factory=dict)
    auto_approve: tuple[Pattern, ...] = ()
    declines: tuple[Pattern, ...] = ()
    default_answer: str = "first"
    default_permission: str = "allow"


def is_benchmark_mode() -> bool:
    """True when POPKIT_BENCHMARK_MODE is set to a true value (hooks answer from the responses file)."""
    return os.environ.get("POPKIT_BENCHMARK_MODE", "").strip().lower() in ("1", "true", "yes", "on")


def load_responses_file(path: str | Path | None = None) -> ResponsesFile:
    """Load and validate a responses file (default: $POPKIT_BENCHMARK_RESPONSES); raise ResponsesFileError."""
    if path is None:
        env = os.environ.get("POPKIT_BENCHMARK_RESPONSES")
        if not env:
            return ResponsesFile(path=None)
        path = env
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResponsesFileError("file not found", file=name) from None
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise ResponsesFileError(f"cannot read: {exc.__class__.__name__}", file=name) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResponsesFileError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    return parse_responses(data, name=name, text=text, path=path)


def parse_responses(data: Any, *, name: str = "<responses>", text: str = "", path: Path | None = None) -> ResponsesFile:
    """Validate already-parsed responses data."""

    def fail(field_name: str | None, message: str, expected: str | None = None) -> ResponsesFileError:
        return ResponsesFileError(message, file=name, field=field_name, line=_line_of(text, field_name),
                                  expected=expected)

    if not isinstance(data, dict):
        raise fail(None, f"top level must be an object, got {type(data).__name__}", '{"responses": {...}}')
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise fail(unknown[0], f"unknown key '{unknown[0]}'", "one of " + ", ".join(TOP_LEVEL_KEYS))
    responses = data.get("responses", {})
    if not isinstance(responses, dict):
        raise fail("responses", f"must be an object, got {type(responses).__name__}", "header -> answer")
    for key, answer in responses.items():
        if not key.strip():
            raise fail("responses", "empty question key (it would match every question)",
                        "a question header, question text or regex")
        if not _valid_answer(answer):
            raise fail(key, f"invalid answer {answer!r}",
                       'an option label, a list of labels, true/false, or {"other": "text"}')
    patterns = {}
    for key in ("standardAutoApprove", "explicitDeclines"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "must be a list of regular expressions (strings)", '["run.*tests"]')
        compiled = []
        for index, item in enumerate(value):
            try:
                compiled.append(compile_pattern(item))
            except PatternError as exc:
                raise fail(key, f"pattern {index + 1}: {exc}",
                           f"a regular expression in {RE2_SYNTAX}") from None
        patterns[key] = tuple(compiled)
    default = data.get("defaultAnswer", "first")
    if default not in ("first", "decline"):
        raise fail("defaultAnswer", f"invalid value {default!r}", "'first' or 'decline'")
    permission = data.get("defaultPermission", "allow")
    if permission not in ("allow", "deny"):
        raise fail("defaultPermission", f"invalid value {permission!r}", "'allow' or 'deny'")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail("description", f"must be a string, got {type(description).__name__}", "a short text")
    return ResponsesFile(path=path, responses=dict(responses), auto_approve=patterns["standardAutoApprove"],
                         declines=patterns["explicitDeclines"], default_answer=default,
                         default_permission=permission)


def _valid_answer(answer: Any) -> bool:
    if isinstance(answer, bool):
        return True
    if isinstance(answer, str):
        return bool(answer.strip())
    if isinstance(answer, list):
        return bool(answer) and all(isinstance(a, str) and a.strip() for a in answer)
    if isinstance(answer, dict):
        return set(answer) == {"other"} and isinstance(answer["other"], str) and bool(answer["other"].strip())
    return False


def _line_of(text: str, key: str | None) -> int | None:
    """Best-effort line of a JSON key in the raw text (JSON parsers do not keep it)."""
    if not text or not key:
        return None
    needle = json.dumps(key)
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None
