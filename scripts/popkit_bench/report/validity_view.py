"""The validity checklist (the seed's success criteria plus contamination and completion), formatted."""

from __future__ import annotations

from typing import Any

from popkit_bench.report import fmt


def flat_numbers(numbers: Any) -> str:
    """Top-level scalars of a numbers dict as `key: value`; nested parts summarised by size."""
    if not isinstance(numbers, dict):
        return "" if numbers is None else str(numbers)
    parts = []
    for key, value in numbers.items():
        if isinstance(value, (dict, list)):
            parts.append(f"{key}: {len(value)} item(s)")
        elif isinstance(value, float):
            parts.append(f"{key}: {fmt.number(value)}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _pairs(mapping: Any) -> str:
    if not isinstance(mapping, dict):
        return ""
    return ", ".join(f"{k} {fmt.number(v) if isinstance(v, (int, float)) else v}" for k, v in mapping.items())


def _metric_marks(metrics: Any, key: str, label: str, number=fmt.p_value) -> str:
    if not isinstance(metrics, dict):
        return ""
    out = []
    for name, item in metrics.items():
        if isinstance(item, dict):
            mark = " ✓" if item.get("counted") else ""
            out.append(f"{name} {label}{number(item.get(key))}{mark}")
    return ", ".join(out)


def criterion_numbers(cid: str, numbers: Any) -> str:
    """The numbers behind one validity criterion, short enough for a table cell."""
    if not isinstance(numbers, dict):
        return flat_numbers(numbers)
    if cid == "min_trials":
        per_task = numbers.get("per_task") or {}
        tasks = "; ".join(f"{t}: {_pairs(arms)}" for t, arms in per_task.items()) if isinstance(per_task, dict) else ""
        return f"lowest {numbers.get('lowest')} (required {numbers.get('minimum_required')})" + (
            f"; {tasks}" if tasks else "")
    if cid == "treatment_verification":
        failures = _pairs(numbers.get("failures_by_command"))
        return f"{numbers.get('trials_all_passed')} of {numbers.get('trials')} trials passed every command" + (
            f"; failures: {failures}" if failures else "")
    if cid == "significance":
        return f"{numbers.get('count')} counted (required {numbers.get('required')}); Holm p: " + _metric_marks(
            numbers.get("metrics"), "p_value_adjusted", "")
    if cid == "large_effect":
        return f"{numbers.get('count')} counted (required {numbers.get('required')}); " + _metric_marks(
            numbers.get("metrics"), "effect_size", "", lambda v: f"{v:+.2f}" if fmt.is_number(v) else fmt.MISSING)
    if cid == "consistency":
        checked = [c for c in numbers.get("checked") or [] if isinstance(c, dict)]
        failed = [f"{c.get('arm')} {c.get('metric')} {fmt.number(c.get('cv_pct'))}%" for c in checked
                  if c.get("passed") is False]
        text = f"{len(checked) - len(failed)} of {len(checked)} checks with sd < 20% of the mean"
        return text + (f"; sd in % of the mean where not: {', '.join(failed)}" if failed else "")
    if cid == "no_contamination":
        return "contaminated: " + (_pairs(numbers.get("contaminated")) or "none")
    if cid == "no_tampering":
        return "tampered: " + (_pairs(numbers.get("tampered")) or "none")
    if cid == "trials_completed":
        return "; ".join(f"{arm}: {c.get('usable')}/{c.get('requested')} usable ({c.get('completed')} completed, "
                         f"{c.get('failed')} failed)" for arm, c in numbers.items() if isinstance(c, dict))
    if cid == "sandbox":
        return "sandbox levels: " + (_pairs(numbers.get("levels")) or "none recorded")
    return flat_numbers(numbers)


def validity(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The checklist: each criterion pass / fail / n/a with its numbers."""
    if not isinstance(data, dict):
        return None
    items = []
    for item in data.get("criteria") or []:
        if not isinstance(item, dict):
            continue
        passed = item.get("passed")
        status = "pass" if passed is True else "fail" if passed is False else "n/a"
        items.append({
            "id": str(item.get("id") or ""),
            "name": str(item.get("name") or item.get("id") or ""),
            "status": status,
            "detail": str(item.get("detail") or item.get("passed_reason") or ""),
            "numbers": criterion_numbers(str(item.get("id") or ""), item.get("numbers")),
        })
    passed = data.get("passed")
    total = data.get("total")
    return {"items": items, "summary": f"{passed} of {total} criteria passed" if total is not None else ""}
