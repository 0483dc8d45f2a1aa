"""The task model (the seed's task YAML) and its validation with file/field/line errors."""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError, is_positive_number, read_input_text
from popkit_shared.yaml_lines import YamlSyntaxError, load_with_lines

TASK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
GIT_REF_RE = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/@^~{}+-]{1,200}$")
KNOWN_CATEGORIES = ("feature-addition", "bug-fixing", "refactoring", "code-review")
DIFFICULTIES = ("easy", "medium", "hard")
REQUIRED = ("id", "category", "description", "codebase", "initial_state", "user_prompt", "verification")
OPTIONAL = (
    "expected_outcomes", "timeout_seconds", "difficulty", "tags", "shell",
    "responses", "play", "solution", "verification_timeout_seconds", "protected_paths", "allow_external_codebase",
    "network",
)
# `network`: what a confined trial may reach. gateway = only the model gateway (default); full = any host.
NETWORK_MODES = ("gateway", "full")
DEFAULT_TIMEOUT_S = 600
DEFAULT_VERIFICATION_TIMEOUT_S = 300


@dataclass(frozen=True)
class VerificationCommand:
    """One verification command; run without a shell unless `shell` is true."""

    command: str
    shell: bool = False
    timeout_seconds: int = DEFAULT_VERIFICATION_TIMEOUT_S

    def argv(self) -> list[str]:
        """The argument vector for a shell-less run."""
        return shlex.split(self.command)


@dataclass(frozen=True)
class TaskSpec:
    """A validated benchmark task."""

    id: str
    category: str
    description: str
    codebase: str
    initial_state: str
    user_prompt: str
    verification: tuple[VerificationCommand, ...]
    path: Path
    expected_outcomes: tuple[str, ...] = ()
    timeout_seconds: int = DEFAULT_TIMEOUT_S
    difficulty: str | None = None
    tags: tuple[str, ...] = ()
    responses_path: Path | None = None
    play_path: Path | None = None
    solution_path: Path | None = None
    protected_paths: tuple[str, ...] = ()  # restored from the task's ref before verification
    allow_external_codebase: bool = False  # a non-git codebase folder outside the task's folder may be copied
    network: str = "gateway"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The folder holding the task file."""
        return self.path.parent


def parse_initial_state(value: str) -> str:
    """Take the git ref from `initial_state`; the seed's `git checkout <ref>` spelling gives `<ref>`.

    The value is never run as a command.
    """
    text = value.strip()
    parts = text.split()
    if len(parts) == 3 and parts[0] == "git" and parts[1] == "checkout":
        text = parts[2]
    elif len(parts) != 1:
        raise ValueError("a git ref such as 'main', 'v1.0' or 'git checkout v1.0'")
    if not GIT_REF_RE.match(text):
        raise ValueError("a git ref of letters, digits and ._/@^~+- (no '..', no leading '-')")
    return text


def load_task(path: str | Path) -> TaskSpec:
    """Load and validate one task YAML file; raise InputError naming file, field and line."""
    path = Path(path)
    text = read_input_text(path, "task file")
    try:
        data, lines = load_with_lines(text)
    except YamlSyntaxError as exc:
        raise InputError(f"invalid YAML: {exc}", file=path, line=exc.line) from None
    return _validate(data, lines, path)


def _validate(data: Any, lines: dict[str, int], path: Path) -> TaskSpec:
    def fail(field_name: str | None, message: str, expected: str | None = None) -> InputError:
        line = lines.get(field_name or "") if field_name else None
        return InputError(message, file=path, field=field_name, line=line, expected=expected)

    if not isinstance(data, dict):
        raise fail(None, "a task file must be a mapping of fields", "keys such as id, category, user_prompt")
    _check_keys(data, fail)

    def text_field(name: str) -> str:
        value = data[name]
        if not isinstance(value, str) or not value.strip():
            raise fail(name, f"must be a non-empty string, got {type(value).__name__}", "text")
        return value

    task_id = text_field("id")
    if not TASK_ID_RE.match(task_id):
        raise fail("id", f"invalid task id {task_id!r}", "lowercase letters, digits, '.', '_', '-' (no '/', no '..')")
    if ".." in task_id:
        raise fail("id", f"invalid task id {task_id!r}", "no '..'")
    category = text_field("category")
    if not TASK_ID_RE.match(category):
        raise fail("category", f"invalid category {category!r}", "one of " + ", ".join(KNOWN_CATEGORIES))
    try:
        ref = parse_initial_state(text_field("initial_state"))
    except ValueError as exc:
        raise fail("initial_state", f"invalid initial_state {data['initial_state']!r}", str(exc)) from None
    codebase = text_field("codebase")
    if "\x00" in codebase:
        raise fail("codebase", "contains a NUL byte", "a folder name or path")

    default_shell = data.get("shell", False)
    if not isinstance(default_shell, bool):
        raise fail("shell", "must be true or false", "a boolean")
    verification = tuple(_verification(data["verification"], default_shell, fail))

    folder = path.resolve().parent
    responses = _side_file(data, "responses", folder / f"{task_id}-responses.json", folder, fail)
    play = _side_file(data, "play", folder / f"{task_id}.play.yml", folder, fail)
    solution = _side_file(data, "solution", folder / f"{task_id}.solution.patch", folder, fail)
    return TaskSpec(
        id=task_id,
        category=category,
        description=text_field("description").strip(),
        codebase=codebase.strip(),
        initial_state=ref,
        user_prompt=text_field("user_prompt"),
        verification=verification,
        path=path.resolve(),
        responses_path=responses,
        play_path=play,
        solution_path=solution,
        **_optional_fields(data, fail),
    )


def _check_keys(data: dict[str, Any], fail: Any) -> None:
    """Unknown keys first (with the closest known one: a misspelling is both unknown and missing), then
    missing required ones."""
    unknown = sorted(str(k) for k in set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        close = difflib.get_close_matches(unknown[0], REQUIRED + OPTIONAL, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise fail(unknown[0], f"unknown field '{unknown[0]}'{hint}", "one of " + ", ".join(REQUIRED + OPTIONAL))
    for name in REQUIRED:
        if name not in data or data[name] is None or data[name] == "":
            raise fail(None, f"missing required field '{name}'", ", ".join(REQUIRED))


def _optional_fields(data: dict[str, Any], fail: Any) -> dict[str, Any]:
    """expected_outcomes, timeout_seconds, difficulty, tags and network, validated (TaskSpec keyword arguments)."""
    outcomes = data.get("expected_outcomes") or []
    if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
        raise fail("expected_outcomes", "must be a list of strings", "a YAML list of text items")
    timeout = data.get("timeout_seconds", DEFAULT_TIMEOUT_S)
    if not is_positive_number(timeout):
        raise fail("timeout_seconds", f"must be a positive finite number, got {timeout!r}", "seconds, e.g. 600")
    difficulty = data.get("difficulty")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise fail("difficulty", f"invalid difficulty {difficulty!r}", "one of " + ", ".join(DIFFICULTIES))
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise fail("tags", "must be a list of strings", "e.g. [python, http]")

    protected = _protected_paths(data.get("protected_paths"), fail)
    allow_external = data.get("allow_external_codebase", False)
    if not isinstance(allow_external, bool):
        raise fail("allow_external_codebase", "must be true or false", "a boolean")
    network = data.get("network", "gateway")
    if network not in NETWORK_MODES:
        raise fail("network", f"invalid network {network!r}", " or ".join(NETWORK_MODES))
    return {"expected_outcomes": tuple(outcomes), "timeout_seconds": int(timeout), "difficulty": difficulty,
            "tags": tuple(tags), "protected_paths": protected, "allow_external_codebase": allow_external,
            "network": network}


def _verification(value: Any, default_shell: bool, fail: Any) -> list[VerificationCommand]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise fail("verification", "must be a non-empty list of commands", "e.g. ['python -m unittest']")
    commands = []
    for index, item in enumerate(value):
        where = f"verification[{index}]"
        shell, timeout = default_shell, DEFAULT_VERIFICATION_TIMEOUT_S
        if isinstance(item, dict):
            unknown = set(item) - {"command", "shell", "timeout_seconds"}
            if unknown:
                raise fail(where, f"unknown key '{sorted(unknown)[0]}'", "command, shell, timeout_seconds")
            shell = item.get("shell", default_shell)
            timeout = item.get("timeout_seconds", timeout)
            item = item.get("command")
            if not isinstance(shell, bool):
                raise fail(where, "'shell' must be true or false", "a boolean")
            if not is_positive_number(timeout):
                raise fail(where, f"'timeout_seconds' must be a positive finite number, got {timeout!r}", "seconds")
        if not isinstance(item, str) or not item.strip():
            raise fail(where, "must be a command string", "text such as 'python -m pytest -q'")
        if not shell:
            try:
                if not shlex.split(item):
                    raise ValueError("empty")
            except ValueError as exc:
                raise fail(where, f"cannot be split into arguments: {exc}", "balanced quotes") from None
        commands.append(VerificationCommand(command=item.strip(), shell=shell, timeout_seconds=int(timeout)))
    return commands


def _protected_paths(value: Any, fail: Any) -> tuple[str, ...]:
    """`protected_paths`: files or folders of the codebase, relative, inside it (no '..', no '.git')."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise fail("protected_paths", "must be a non-empty list of paths", "e.g. [tests/, test_calc.py]")
    out = []
    for index, item in enumerate(value):
        where = f"protected_paths[{index}]"
        if not isinstance(item, str) or not item.strip() or "\x00" in item:
            raise fail(where, f"must be a path, got {item!r}", "a path relative to the codebase root")
        parts = Path(item.strip()).parts
        if Path(item.strip()).is_absolute() or ".." in parts or ".git" in parts or item.strip() in (".", "./"):
            raise fail(where, f"path {item!r} is not inside the codebase",
                       "a relative path without '..' or '.git', not the whole codebase")
        out.append(Path(item.strip()).as_posix())
    return tuple(out)


def _side_file(data: dict, key: str, default: Path, folder: Path, fail: Any) -> Path | None:
    """A companion file (responses, play, solution): explicit path inside the task folder, or the default."""
    value = data.get(key)
    if value is None:
        return default if default.exists() else None
    if not isinstance(value, str) or not value.strip():
        raise fail(key, "must be a relative file path", "a path inside the task's folder")
    candidate = Path(value)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise fail(key, f"path {value!r} escapes the task folder", "a relative path without '..'")
    resolved = folder / candidate
    if not resolved.exists():
        raise fail(key, f"file {value!r} not found beside the task", "an existing file")
    return resolved
