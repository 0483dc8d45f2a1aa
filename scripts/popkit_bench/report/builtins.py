"""Built-in plugins Claude Code loads in every arm, and where they overlap the plugin under test.

Claude Code 2.1.330 loads built-in plugins (`cc-plugin-*`, path `builtin` in the init event) whatever the
flags; they are part of both arms. A command or skill of the plugin under test with the same name as a
built-in one competes with it, which a reader of the results should know.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from popkit_bench.report.load import RunData

BUILTIN_PREFIX = "cc-plugin-"
INIT_SAMPLE = 3      # init events read per arm (they list the same components in every trial of an arm)
INIT_LINES = 50      # lines of a stream read while looking for its init event


def read_init(stream: Path) -> dict[str, Any] | None:
    """The first `system/init` event of a stream-json file (read from its first lines only), or None."""
    try:
        with open(stream, encoding="utf-8", errors="replace") as handle:
            for _, line in zip(range(INIT_LINES), handle, strict=False):
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict) and event.get("type") == "system" and event.get("subtype") == "init":
                    return event
    except OSError:
        return None
    return None


def is_builtin(plugin: dict[str, Any]) -> bool:
    return plugin.get("path") == "builtin" or str(plugin.get("source") or "").endswith("@builtin")


def _inits(run: RunData, arm: str) -> list[dict[str, Any]]:
    out = []
    for record in run.records:
        if record.get("arm") == arm and len(out) < INIT_SAMPLE:
            init = read_init(run.trial_dir(record) / "stream.jsonl")
            if init is not None:
                out.append(init)
    return out


def builtin_plugins(run: RunData, arm: str, inits: list[dict[str, Any]]) -> list[str]:
    """Built-in plugins seen in an arm: from its init events, else `cc-plugin-*` names in its records."""
    names = {str(p.get("name")) for i in inits for p in i.get("plugins") or [] if isinstance(p, dict)
             and is_builtin(p) and p.get("name")}
    names |= {str(n) for r in run.records if r.get("arm") == arm for n in r.get("plugins_loaded") or []
              if str(n).startswith(BUILTIN_PREFIX)}
    return sorted(names)


def overlaps(tested: list[str], inits: list[dict[str, Any]]) -> list[str]:
    """`plugin:name` commands and skills of the plugins under test whose bare name is also listed unprefixed."""
    listed = {str(n) for i in inits for key in ("slash_commands", "skills") for n in i.get(key) or []}
    bare = {n for n in listed if ":" not in n}
    out = []
    for qualified in sorted(listed):
        plugin, _, name = qualified.partition(":")
        if name and plugin in tested and name in bare:
            out.append(f"{qualified} has the same name as the built-in `{name}`")
    return out


def builtin_rows(run: RunData) -> list[tuple[str, str]]:
    """Environment rows: built-in plugins per arm (one row when the arms agree) and overlaps."""
    info = run.run_json or {}
    tested = [str(p.get("name")) for p in info.get("plugins") or [] if isinstance(p, dict) and p.get("name")]
    per_arm, all_inits = {}, []
    for arm in run.arm_names():
        inits = _inits(run, arm)
        all_inits += inits
        per_arm[arm] = builtin_plugins(run, arm, inits)
    if not any(per_arm.values()):
        return [("Built-in plugins", "none seen in the trials' init events")] if all_inits else []
    values = {tuple(v) for v in per_arm.values()}
    if len(values) == 1:
        rows = [("Built-in plugins (loaded in every arm)", ", ".join(next(iter(values))))]
    else:
        rows = [(f"Built-in plugins, arm {arm}", ", ".join(names) or "none") for arm, names in per_arm.items()]
    found = overlaps(tested, all_inits)
    if tested:
        rows.append(("Overlap with built-ins", "; ".join(found) + " (both load: the model may pick either)"
                     if found else f"none: no command or skill of {', '.join(tested)} shares a built-in name"))
    return rows
