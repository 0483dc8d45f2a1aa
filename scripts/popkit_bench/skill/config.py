"""The benchmark config (the seed's schema plus a few documented optional keys), validated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError, is_nonnegative_number, is_positive_number
from popkit_bench.skill.jsonio import line_of, read_json

SKILL_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
BASELINE_TYPES = ("no_skill", "previous")
DEFAULT_THRESHOLDS: dict[str, float] = {
    "min_pass_rate": 0.8,
    "max_avg_tokens": 100000,
    "max_avg_duration_seconds": 120,
    "min_improvement_ratio": 1.0,
}
SEED_KEYS = ("skill_name", "skill_path", "eval_set_path", "trials_per_eval", "baseline_type",
             "previous_benchmark", "thresholds")
EXTRA_KEYS = ("previous_skill_path", "workspace", "parallel", "timeout_seconds", "model", "llm_grader",
              "rival_skills", "trigger_play", "project_skill")  # the last three: `skill triggers`
GRADER_KEYS = ("model", "rehearsal_play", "timeout_seconds")


@dataclass(frozen=True)
class GraderConfig:
    """The optional LLM grader: Claude Code judges `llm` assertions (the scripted model with --rehearsal)."""

    model: str | None = None
    rehearsal_play: Path | None = None
    timeout_seconds: float = 300


@dataclass(frozen=True)
class BenchmarkConfig:
    """A validated benchmark config; paths are absolute (relative ones resolve against the config's folder)."""

    skill_name: str
    skill_path: Path
    eval_set_path: Path
    trials_per_eval: int = 3
    baseline_type: str = "no_skill"
    previous_benchmark: Path | None = None
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    previous_skill_path: Path | None = None
    workspace: Path | None = None
    parallel: int = 4
    timeout_seconds: float | None = None
    model: str | None = None
    llm_grader: GraderConfig | None = None
    path: Path | None = None


def load_config(path: str | Path, *, check_inputs: bool = True) -> BenchmarkConfig:
    """Read and validate a benchmark config JSON file (InputError naming file, field, line, expected).

    check_inputs=False (report, aggregate): the paths are resolved but need not exist any more; only the
    config's own values (thresholds, names, numbers) are checked.
    """
    path = Path(path).resolve()
    data, text = read_json(path)
    return parse_config(data, text, path, check_inputs=check_inputs)


def parse_config(data: Any, text: str, path: Path, *, check_inputs: bool = True) -> BenchmarkConfig:
    """Validate a decoded config; `text` is used to point at lines."""
    def fail(name: str | None, message: str, expected: str | None = None) -> InputError:
        line = line_of(text, name.split(".")[-1]) if name else None
        return InputError(message, file=path, field=name, line=line, expected=expected)

    if not isinstance(data, dict):
        raise fail(None, "a benchmark config must be a JSON object", "keys such as skill_name, skill_path")
    unknown = sorted(set(data) - set(SEED_KEYS) - set(EXTRA_KEYS))
    if unknown:
        raise fail(unknown[0], "unknown key", "one of " + ", ".join(SEED_KEYS + EXTRA_KEYS))
    for name in ("skill_name", "skill_path", "eval_set_path"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise fail(name if name in data else None,
                       f"missing or empty '{name}'" if name not in data else "must be a non-empty string",
                       "text" if name == "skill_name" else "a path (relative to the config file)")
    name = data["skill_name"]
    if not SKILL_NAME_RE.match(name):
        raise fail("skill_name", f"invalid skill name {name!r}", "lowercase letters, digits, '.', '_', '-'")
    base = path.parent

    def folder(key: str, must_be_dir: bool) -> Path:
        resolved = (base / Path(data[key]).expanduser()).resolve()
        if not check_inputs:
            return resolved
        if must_be_dir and not resolved.is_dir():
            raise fail(key, f"folder {data[key]!r} not found", "a skill folder with SKILL.md")
        if not must_be_dir and not resolved.is_file():
            raise fail(key, f"file {data[key]!r} not found", "an existing file")
        return resolved

    skill_path = folder("skill_path", True)
    if check_inputs and not (skill_path / "SKILL.md").is_file():
        raise fail("skill_path", f"{skill_path} has no SKILL.md", "a skill folder with SKILL.md")
    eval_set = folder("eval_set_path", False)
    previous = None
    if data.get("previous_benchmark") is not None:
        if not isinstance(data["previous_benchmark"], str):
            raise fail("previous_benchmark", "must be a path or null", "a benchmark.json path")
        previous = folder("previous_benchmark", False)
    previous_skill = None
    if data.get("previous_skill_path") is not None:
        if not isinstance(data["previous_skill_path"], str):
            raise fail("previous_skill_path", "must be a path or null", "a skill folder")
        previous_skill = folder("previous_skill_path", True)
    workspace = None
    if data.get("workspace") is not None:
        if not isinstance(data["workspace"], str) or not data["workspace"].strip():
            raise fail("workspace", "must be a folder path", "a path (relative to the config file)")
        workspace = (base / Path(data["workspace"]).expanduser()).resolve()
    return BenchmarkConfig(
        skill_name=name, skill_path=skill_path, eval_set_path=eval_set, previous_benchmark=previous,
        thresholds=parse_thresholds(data.get("thresholds"), fail), previous_skill_path=previous_skill,
        workspace=workspace, llm_grader=_grader(data.get("llm_grader"), base, fail), path=path,
        **_options(data, fail),
    )


def _options(data: dict[str, Any], fail: Any) -> dict[str, Any]:
    """trials_per_eval, baseline_type, parallel, timeout_seconds and model, validated."""
    trials = data.get("trials_per_eval", 3)
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise fail("trials_per_eval", f"must be a whole number >= 1, got {trials!r}", "e.g. 3")
    baseline = data.get("baseline_type", "no_skill")
    if baseline not in BASELINE_TYPES:
        raise fail("baseline_type", f"invalid baseline_type {baseline!r}", "one of " + ", ".join(BASELINE_TYPES))
    parallel = data.get("parallel", 4)
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise fail("parallel", f"must be a whole number >= 1, got {parallel!r}", "trials run at once, e.g. 4")
    timeout = data.get("timeout_seconds")
    if timeout is not None and not is_positive_number(timeout):
        raise fail("timeout_seconds", f"must be a positive finite number, got {timeout!r}", "seconds per trial")
    model = data.get("model")
    if model is not None and (not isinstance(model, str) or not model):
        raise fail("model", "must be a model name or null", "e.g. claude-sonnet-4-5")
    return {"trials_per_eval": trials, "baseline_type": baseline, "parallel": parallel,
            "timeout_seconds": timeout, "model": model}


def parse_thresholds(value: Any, fail: Any) -> dict[str, float]:
    """The four thresholds; missing ones take the seed's defaults; each must be a number >= 0."""
    out = dict(DEFAULT_THRESHOLDS)
    if value is None:
        return out
    if not isinstance(value, dict):
        raise fail("thresholds", "must be an object", ", ".join(DEFAULT_THRESHOLDS))
    for key, number in value.items():
        if key not in DEFAULT_THRESHOLDS:
            raise fail(f"thresholds.{key}", "unknown threshold", "one of " + ", ".join(DEFAULT_THRESHOLDS))
        if not is_nonnegative_number(number):
            raise fail(f"thresholds.{key}", f"must be a finite number >= 0, got {number!r}", "a number")
        if key == "min_pass_rate" and number > 1:
            raise fail("thresholds.min_pass_rate", f"must be between 0 and 1, got {number!r}", "e.g. 0.8")
        out[key] = number
    return out


def _grader(value: Any, base: Path, fail: Any) -> GraderConfig | None:
    if value is None or value is False:
        return None
    if value is True:
        return GraderConfig()
    if not isinstance(value, dict):
        raise fail("llm_grader", "must be true, false, null or an object", ", ".join(GRADER_KEYS))
    unknown = sorted(set(value) - set(GRADER_KEYS))
    if unknown:
        raise fail(f"llm_grader.{unknown[0]}", "unknown key", "one of " + ", ".join(GRADER_KEYS))
    play = value.get("rehearsal_play")
    play_path = None
    if play is not None:
        play_path = (base / str(play)).resolve()
        if not play_path.is_file():
            raise fail("llm_grader.rehearsal_play", f"file {play!r} not found", "a play file for the grader")
    timeout = value.get("timeout_seconds", 300)
    if not is_positive_number(timeout):
        raise fail("llm_grader.timeout_seconds", f"must be a positive finite number, got {timeout!r}", "seconds")
    return GraderConfig(model=value.get("model"), rehearsal_play=play_path, timeout_seconds=timeout)
