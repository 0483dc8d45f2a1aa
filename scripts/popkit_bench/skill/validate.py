"""`validate` for the skill flow's inputs: a benchmark config (and the eval set it names) or an eval set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from popkit_bench.skill.config import load_config
from popkit_bench.skill.evals import load_eval_set
from popkit_bench.skill.jsonio import read_json

CONFIG_KEYS = ("skill_path", "eval_set_path")


def skill_file_kind(path: Path) -> str | None:
    """"config", "eval set" or None, by the JSON file's top-level keys (None also when it is not JSON)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if any(key in data for key in CONFIG_KEYS):
        return "config"
    return "eval set" if "evals" in data else None


def validate_skill_file(path: Path) -> str:
    """Validate a benchmark config (with its skill folder and eval set) or an eval set; InputError when bad."""
    data, _ = read_json(path)
    if isinstance(data, dict) and any(key in data for key in CONFIG_KEYS):
        cfg = load_config(path)
        evals = load_eval_set(cfg.eval_set_path, cfg.skill_path)
        return f"skill benchmark config {cfg.skill_name}: {len(evals.evals)} eval(s)"
    skill = path.resolve().parent.parent  # skill-creator's layout: <skill>/evals/evals.json
    evals = load_eval_set(path, skill if (skill / "SKILL.md").is_file() else None)
    return f"eval set {evals.skill_name}: {len(evals.evals)} eval(s)"


def skill_files(folder: Path) -> list[Path]:
    """The benchmark configs and eval sets in a folder (codebases and run folders skipped)."""
    out = []
    for path in sorted(folder.rglob("*.json")):
        if {"codebases", "_run", ".popkit"} & set(path.parts) or path.name.endswith("-responses.json"):
            continue
        if path.name == "evals.json" or skill_file_kind(path) == "config":
            out.append(path)
    return out
