"""Fingerprints of (task, arm) for `--reuse`: pure functions over plain JSON data.

Two trials are interchangeable when everything that shapes them is equal: the task (digest of its
definition), the codebase commit, the prompt, the responses file, the arm definition (contents, not paths
or its name), the Claude Code version, the model, the sandbox level, the per-trial limits and the model
endpoint (the real API, or the scripted model with a play's digest). A fingerprint keeps one short digest per
field, so a mismatch can name the field that differs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

FINGERPRINT_SCHEMA = 1
# Arm keys that name or locate things rather than define them (their contents are in other keys).
ARM_LOCATION_KEYS = ("name", "plugin_dirs", "plugin_name", "skills", "claude_md", "settings_file",
                     "mcp_config_file", "model", "claude_version")
FIELD_ORDER = ("task", "codebase_commit", "prompt", "responses", "model_endpoint", "cli_version", "model",
               "sandbox", "limits")


def digest(value: Any) -> str:
    """A short, stable digest of a JSON-like value (keys sorted)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def arm_fields(arm: dict[str, Any]) -> dict[str, Any]:
    """The parts of an arm definition (ArmDefinition.to_json) that change what a trial does.

    The model and CLI version are left out here: they are fingerprint fields of their own, as resolved.
    Empty values are dropped so a plain Arm's JSON and an empty ArmDefinition fingerprint alike.
    """
    out = {k: v for k, v in arm.items() if k not in ARM_LOCATION_KEYS and v not in (None, [], {}, "")}
    digests = out.pop("digests", None) or {}
    for key, values in digests.items():
        if values:
            out[f"{key}_digests"] = values
    if not out.get("plugin_dirs_digests") and arm.get("plugin_dirs"):
        out["plugin_dirs"] = [str(p) for p in arm["plugin_dirs"]]  # no digest known: the paths stand in
    return out


def task_fields(task: dict[str, Any]) -> dict[str, Any]:
    """What defines the task apart from its prompt, codebase and responses (run.json's task entry)."""
    keep = ("id", "verification", "timeout_seconds", "category")
    return {k: task.get(k) for k in keep}


def fingerprint(task: dict[str, Any], arm: dict[str, Any], cli_version: str | None, model: str | None,
                sandbox: str | None, *, limits: dict[str, Any] | None = None,
                model_endpoint: str | None = None) -> dict[str, str]:
    """{field: digest}: one entry per FIELD_ORDER field and one per defining arm key (`arm.<key>`).

    task: run.json's task entry (`user_prompt`, `codebase.commit`, `responses_digest`, ...); arm:
    ArmDefinition.to_json(); model: the model asked for (arm's, else the run's, None = CLI default);
    model_endpoint: "api" or "scripted:<play digest>".
    """
    codebase = task.get("codebase") or {}
    values: dict[str, Any] = {
        "task": task_fields(task),
        # a bundled folder is committed afresh in every run (a new commit id): its content digest identifies it
        "codebase_commit": codebase.get("digest") or codebase.get("commit"),
        "prompt": task.get("user_prompt"),
        "responses": task.get("responses_digest"),
        "model_endpoint": model_endpoint,
        "cli_version": cli_version,
        "model": model,
        "sandbox": sandbox or "none",
        "limits": {k: v for k, v in (limits or {}).items() if v is not None},
    }
    out = {name: digest(values[name]) for name in FIELD_ORDER}
    parts = arm_fields(arm)
    out["arm"] = digest(parts)
    for key, value in sorted(parts.items()):
        out[f"arm.{key}"] = digest(value)
    return out


def differing_fields(current: dict[str, str], earlier: dict[str, str]) -> list[str]:
    """Names of the fields that differ, FIELD_ORDER first, then `arm.<key>` (an `arm` mismatch is named by
    its keys when any key differs); [] when the fingerprints match."""
    if current == earlier:
        return []
    names = [n for n in FIELD_ORDER if current.get(n) != earlier.get(n)]
    arm_keys = sorted({k for k in (*current, *earlier) if k.startswith("arm.")})
    arm_diff = [k for k in arm_keys if current.get(k) != earlier.get(k)]
    if arm_diff:
        names += arm_diff
    elif current.get("arm") != earlier.get("arm"):
        names.append("arm")
    return names


def matches(current: dict[str, str], earlier: dict[str, str]) -> bool:
    """Equal fingerprints (same schema of fields)."""
    return not differing_fields(current, earlier)


def file_digest(data: bytes | None) -> str | None:
    """Digest of a file's bytes (responses file, play); None when there is no file."""
    return None if data is None else hashlib.sha256(data).hexdigest()[:16]
