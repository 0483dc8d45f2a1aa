"""One metric of one comparison, formatted: a summary-table row and the per-metric detail."""

from __future__ import annotations

from typing import Any

from popkit_bench.analysis.metrics_catalog import spec_for
from popkit_bench.report import fmt

EFFECT_SYMBOL = {"hedges_g": "g", "cohens_h": "h", "hedges_dz": "dz", "cohens_d": "d"}
TEST_NAMES = {
    "welch": "Welch t", "welch_log": "Welch t (log)", "mann_whitney": "Mann-Whitney U", "fisher": "Fisher exact",
    "boschloo": "Boschloo exact", "boschloo_midp": "Boschloo mid-p", "paired_t": "paired t", "wilcoxon": "Wilcoxon signed-rank", "sign_test": "sign test",
}


def metric_unit(name: str, result: dict[str, Any]) -> str:
    """The metric's value unit (tokens, USD, s, fraction, count); the catalog's when the result names the
    analysis unit (trial / task) instead."""
    unit = result.get("unit")
    if not isinstance(unit, str) or unit in ("", "trial", "task"):
        return spec_for(name).unit
    return unit


def arm_stats(result: dict[str, Any], arm: str, key: str | None = None) -> dict[str, Any]:
    """An arm's stats in a MetricResult (the baseline's key is literally "baseline")."""
    stats = result.get(key or arm)
    return stats if isinstance(stats, dict) else {}


def relative_change(result: dict[str, Any], baseline: dict[str, Any]) -> float | None:
    """Treatment - baseline as a fraction of the baseline mean (raw direction; None if baseline mean is 0)."""
    diff = (result.get("difference") or {}).get("estimate")
    mean = baseline.get("mean")
    if not (fmt.is_number(diff) and fmt.is_number(mean)) or mean == 0:
        return None
    return diff / abs(mean)


def tone(result: dict[str, Any]) -> str:
    """CSS tone: good / bad (significant), lean-good / lean-bad (direction only), none."""
    better = result.get("better")
    if better is True:
        return "good"
    if better is False:
        return "bad"
    diff = (result.get("difference") or {}).get("estimate")
    direction = result.get("direction")
    if not fmt.is_number(diff) or diff == 0 or direction not in ("lower", "higher"):
        return "none"
    good = diff < 0 if direction == "lower" else diff > 0
    return "lean-good" if good else "lean-bad"


def effect_text(result: dict[str, Any]) -> str:
    """`g = -1.23 (large)`; n/a with no effect size."""
    value = result.get("effect_size")
    if not fmt.is_number(value):
        return fmt.MISSING
    symbol = EFFECT_SYMBOL.get(str(result.get("effect_size_measure")), "g")
    label = result.get("effect_size_label") or fmt.effect_label(value)
    return f"{symbol} = {fmt.effect(value, label)}"


def mean_text(stats: dict[str, Any], unit: str) -> str:
    return fmt.value(stats.get("mean"), unit)


def summary_row(name: str, result: dict[str, Any], baseline_arm: str, treatment_arm: str) -> dict[str, Any]:
    """A row of the summary table: every cell already formatted, plus the raw numbers behind them."""
    unit = metric_unit(name, result)
    base = arm_stats(result, baseline_arm, "baseline")
    treat = arm_stats(result, treatment_arm)
    change = relative_change(result, base)
    diff = result.get("difference") or {}
    change_text = fmt.pct(change)
    if change is None and fmt.is_number(diff.get("estimate")) and base.get("mean") == 0:
        change_text = "no change" if diff["estimate"] == 0 else f"{fmt.signed_value(diff['estimate'], unit)} (from 0)"
    return {
        "metric": name,
        "label": str(result.get("label") or name),
        "unit": unit,
        "direction": result.get("direction"),
        "family": result.get("family"),
        "core": bool(result.get("core")),
        "baseline": mean_text(base, unit),
        "treatment": mean_text(treat, unit),
        "n": f"{fmt.number(base.get('n', 0))} / {fmt.number(treat.get('n', 0))}",
        "change": change_text,
        "change_value": change,
        "difference": fmt.signed_value(diff.get("estimate"), unit),
        "ci": fmt.ci(diff.get("ci"), lambda v: fmt.signed_value(v, unit)),
        "ci_value": _interval_fraction(diff.get("ci"), base.get("mean")),
        "ci_reason": str(diff.get("ci_reason") or ""),
        "p_reason": str(result.get("p_value_adjusted_reason") or result.get("p_value_reason") or ""),
        "effect_reason": str(result.get("effect_size_reason") or ""),
        **p_cells(result),
        "effect": effect_text(result),
        "significant": bool(result.get("significant")),
        "better": result.get("better"),
        "tone": tone(result),
        "improvement": result.get("improvement"),
    }


def p_cells(result: dict[str, Any]) -> dict[str, str]:
    """The Holm-adjusted p, the raw p and the test's name, formatted."""
    test = str(result.get("p_value_test") or "")
    return {"p": fmt.p_value(result.get("p_value_adjusted")), "p_raw": fmt.p_value(result.get("p_value")),
            "p_test": TEST_NAMES.get(test, test)}


def _interval_fraction(ci: Any, base_mean: Any) -> list[float] | None:
    """A difference CI in fractions of the baseline mean (for the forest plot)."""
    if not isinstance(ci, dict) or not fmt.is_number(base_mean) or base_mean == 0:
        return None
    low, high = ci.get("low"), ci.get("high")
    if not (fmt.is_number(low) and fmt.is_number(high)):
        return None
    return [low / abs(base_mean), high / abs(base_mean)]


def detail(name: str, result: dict[str, Any], baseline_arm: str, treatment_arm: str) -> dict[str, Any]:
    """Everything about one metric: per-arm statistics, difference, ratio, tests, flags."""
    unit = metric_unit(name, result)
    one = lambda v: fmt.value(v, unit)  # noqa: E731
    arms = []
    missing = result.get("missing") or {}
    for arm, key in ((baseline_arm, "baseline"), (treatment_arm, treatment_arm)):
        stats = arm_stats(result, arm, key)
        arms.append({
            "arm": arm,
            "n": fmt.number(stats.get("n", 0)),
            "mean": one(stats.get("mean")),
            "sd": one(stats.get("sd")),
            "median": one(stats.get("median")),
            "min": one(stats.get("min")),
            "max": one(stats.get("max")),
            "ci": fmt.ci(stats.get("ci"), one) if stats.get("ci") else _reason(stats, "ci"),
            "missing": fmt.number(missing.get(arm, 0)),
            "flags": [str(f) for f in stats.get("flags") or []],
        })
    diff = result.get("difference") or {}
    signed = lambda v: fmt.signed_value(v, unit)  # noqa: E731
    tests = []
    for key, test in (result.get("tests") or {}).items():
        if not isinstance(test, dict):
            continue
        extra = ""
        if key == "sign_test" and "wins" in test:
            extra = f"wins {test.get('wins')}, ties {test.get('ties')}, losses {test.get('losses')}"
        elif fmt.is_number(test.get("statistic")):
            extra = f"statistic {fmt.number(test.get('statistic'))}"
            if fmt.is_number(test.get("df")):
                extra += f", df {fmt.number(test.get('df'))}"
        tests.append({"name": TEST_NAMES.get(key, key), "p": fmt.p_value(test.get("p_value")),
                      "detail": extra or str(test.get("p_value_reason") or "")})
    return {
        "metric": name,
        "label": str(result.get("label") or name),
        "unit": unit,
        "direction": result.get("direction"),
        "scale": result.get("scale"),
        "kind": result.get("kind"),
        "arms": arms,
        "difference": signed(diff.get("estimate")),
        "difference_ci": fmt.ci(diff.get("ci"), signed) if diff.get("ci") else _reason(diff, "ci"),
        "difference_ci_method": str(diff.get("ci_method") or ""),
        "bootstrap_ci": fmt.ci(diff.get("bootstrap_ci"), signed) if diff.get("bootstrap_ci")
        else _reason(diff, "bootstrap_ci"),
        "ratio": ratio_text(result),
        "improvement": fmt.pct(result.get("improvement") / 100) if fmt.is_number(result.get("improvement"))
        else _reason(result, "improvement"),
        **p_cells(result),
        "p_reason": str(result.get("p_value_reason") or ""),
        "effect": effect_text(result),
        "effect_ci": fmt.ci(result.get("effect_size_ci"), lambda v: f"{v:+.2f}"),
        "effect_scale": str(result.get("effect_size_scale") or ""),
        "tests": tests,
        "flags": [str(f) for f in result.get("flags") or []],
    }


def ratio_text(result: dict[str, Any]) -> str:
    """`0.81, 95% CI [0.70, 0.95] (geometric mean ratio)`, or n/a with the reason."""
    ratio = result.get("ratio")
    if not isinstance(ratio, dict) or not fmt.is_number(ratio.get("estimate")):
        return _reason(result, "ratio")
    method = str(ratio.get("method") or "").replace("_", " ")
    text = f"{ratio['estimate']:.2f}"
    if isinstance(ratio.get("ci"), dict):
        text += f", 95% CI {fmt.ci(ratio['ci'], lambda v: f'{v:.2f}')}"
    elif ratio.get("ci_reason"):
        text += f" (no CI: {ratio['ci_reason']})"
    return text + (f" ({method})" if method else "")


def _reason(obj: dict[str, Any], key: str) -> str:
    reason = obj.get(f"{key}_reason")
    return f"n/a ({reason})" if reason else fmt.MISSING
