"""Human-readable warnings for analysis.json, and whether there is enough data for a verdict."""

from __future__ import annotations

from typing import Any

from popkit_bench.analysis.metrics_catalog import VERIFY_PREFIX


def general_notes(base, treatments, tables, tasks, exclusions, trials) -> list[str]:
    """Notes on exclusions, missing arms, tiny n and null metrics."""
    notes: list[str] = []
    if exclusions["excluded"]:
        parts = ", ".join(f"{n} {why}" for why, n in exclusions["by_reason"].items())
        notes.append(f"{exclusions['excluded']} trial(s) left out of the statistics: {parts}")
    if exclusions["superseded"]:
        notes.append(f"{exclusions['superseded']} earlier record(s) replaced by a later record of the same trial")
    if trials.get(base, {}).get("usable", 0) == 0:
        notes.append(f"arm {base} (baseline) has no usable trials: treatment reported alone, no difference or ratio")
    if not treatments:
        notes.append(f"only the baseline arm ({base}) has data: nothing to compare")
    for task in tasks:
        for arm in [base] + treatments:
            table = tables.get((task, arm))
            n = table.n if table else 0
            if n < 2 and trials.get(arm, {}).get("records", 0) > 0:
                notes.append(f"n={n} in arm {arm} for task {task}: no interval")
    for arm, metrics in exclusions.get("null_metrics", {}).items():
        for metric, count in sorted(metrics.items()):
            if not metric.startswith(VERIFY_PREFIX):
                notes.append(f"{metric} is null in {count} usable trial(s) of arm {arm}: left out of its statistics")
    for arm in [base] + treatments:
        n = trials.get(arm, {}).get("usable", 0)
        if 0 < n <= 3 * max(1, len(tasks)):
            notes.append(f"arm {arm}: at most 3 trials per task; Mann-Whitney cannot reach p < 0.05 at n <= 3 "
                         "per arm and every interval is wide")
            break
    notes.append("'significant' uses Holm-adjusted p-values within each metric family (primary, secondary)")
    return notes


def _used_model(record: Any) -> bool:
    tokens = ((record.get("metrics") if isinstance(record, dict) else None) or {}).get("tokens_total")
    return isinstance(tokens, (int, float)) and not isinstance(tokens, bool) and tokens > 0


def sufficiency(base: str, treatments: list[str], trials, usable) -> dict[str, Any]:
    """{"ok", "problems"}: the conditions under which `analyze` exits 3 (docs/analysis-schema.md)."""
    problems: list[str] = []
    if not usable:
        problems.append("no usable trials (completed or failed) in results.jsonl")
    elif not any(_used_model(record) for record in usable):
        problems.append(f"none of the {len(usable)} usable trial(s) used the model (0 tokens in Claude Code's own "
                        "accounting), so they say nothing about the plugin: check the login or API key")
    if not treatments:
        problems.append(f"only one arm ({base}): nothing to compare")
    for arm in [base] + treatments:
        counts = trials.get(arm, {"usable": 0, "requested": 0})
        if counts["usable"] < 2:
            problems.append(f"arm {arm}: {counts['usable']} usable trial(s), at least 2 are needed")
        elif counts["usable"] * 2 < counts["requested"]:
            problems.append(f"arm {arm}: only {counts['usable']} of {counts['requested']} requested trials usable "
                            "(fewer than half)")
    return {"ok": not problems, "problems": problems}
