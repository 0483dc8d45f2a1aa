"""Outcomes per task and arm (analysis.json `outcomes`): pass@k / pass^k, cost and tokens per success, the
efficiency of successful trials only (with its caveat) and the context footprint against the baseline."""

from __future__ import annotations

from typing import Any

from popkit_bench.report import fmt


def _share(x: Any) -> str:
    return f"{x * 100:.0f}%" if fmt.is_number(x) else fmt.MISSING


def _estimate(entry: dict[str, Any] | None) -> str:
    """`60% [23%, 88%]` of one pass@k entry."""
    if not isinstance(entry, dict):
        return fmt.MISSING
    return f"{_share(entry.get('estimate'))} {fmt.ci(entry.get('ci'), _share)}"


def _or_reason(data: dict[str, Any], key: str, unit: str) -> str:
    """The value, else `n/a (why)` with the reason cut at its first colon (the full text is in analysis.json)."""
    value = data.get(key)
    if fmt.is_number(value):
        return fmt.value(value, unit)
    reason = str(data.get(f"{key}_reason") or "").split(":")[0]
    return f"{fmt.MISSING} ({reason})" if reason else fmt.MISSING


def _footprint(data: dict[str, Any]) -> tuple[str, str]:
    foot = data.get("context_footprint_tokens") or {}
    mean = _or_reason(foot, "mean", "tokens")
    diff = foot.get("difference_vs_baseline")
    if fmt.is_number(diff):
        pct = foot.get("difference_vs_baseline_pct")
        extra = f" ({pct:+.1f}%)" if fmt.is_number(pct) else ""
        return mean, fmt.signed_value(diff, "tokens") + extra
    return mean, "baseline" if "baseline arm" in str(foot.get("difference_vs_baseline_reason")) else fmt.MISSING


def _curve(data: dict[str, Any]) -> str:
    """`k=1 60% / 60% · k=2 90% / 30%`: pass@k / pass^k for every k."""
    hats = {e.get("k"): e for e in data.get("pass_hat_k") or [] if isinstance(e, dict)}
    parts = [f"k={e.get('k')} {_share(e.get('estimate'))} / {_share((hats.get(e.get('k')) or {}).get('estimate'))}"
             for e in data.get("pass_at_k") or [] if isinstance(e, dict)]
    return " · ".join(parts) or str(data.get("pass_at_k_reason") or fmt.MISSING)


def _efficiency(data: dict[str, Any]) -> dict[str, str]:
    only = data.get("successful_only") or {}
    out = {"n": fmt.number(only.get("n"))}
    for name, unit in (("tokens_total", "tokens"), ("cost_usd", "USD"), ("duration_s", "s")):
        entry = only.get(name) or {}
        out[name] = fmt.value(entry.get("mean"), unit)
        out[f"{name}_median"] = fmt.value(entry.get("median"), unit)
    return out


def outcome_rows(analysis: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per task and arm, every number formatted."""
    section = (analysis or {}).get("outcomes")
    if not isinstance(section, dict):
        return []
    rows = []
    for task, arms in (section.get("per_task") or {}).items():
        for arm, data in (arms or {}).items():
            if not isinstance(data, dict):
                continue
            at, hat = data.get("pass_at_k") or [], data.get("pass_hat_k") or []
            footprint, versus = _footprint(data)
            rows.append({
                "task": task, "arm": arm,
                "successes": f"{data.get('successes', 0)} / {data.get('outcome_known', 0)}",
                "pass_at_1": _estimate(at[0] if at else None),
                "k_max": len(at),
                "pass_at_n": _estimate(at[-1] if at else None),
                "pass_hat_n": _estimate(hat[-1] if hat else None),
                "curve": _curve(data),
                "cost_per_success": _or_reason(data, "cost_per_success_usd", "USD"),
                "tokens_per_success": _or_reason(data, "tokens_per_success", "tokens"),
                "footprint": footprint, "footprint_vs_baseline": versus,
                "efficiency": _efficiency(data),
            })
    return rows


def outcomes(analysis: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report's outcomes section: rows, the successful-only caveat and the interval method, or None."""
    rows = outcome_rows(analysis)
    if not rows:
        return None
    section = (analysis or {}).get("outcomes") or {}
    method = section.get("method") or {}
    return {"rows": rows, "caveat": str(section.get("caveat") or ""), "interval_method": str(method.get("interval") or ""),
            "footprint_method": str(method.get("context_footprint_tokens") or "")}
