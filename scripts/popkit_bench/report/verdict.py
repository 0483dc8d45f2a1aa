"""The verdict in one sentence: what improved, what got worse, and how sure we are."""

from __future__ import annotations

from typing import Any

from popkit_bench.report import fmt
from popkit_bench.report.metric_view import arm_stats, metric_unit, relative_change

SHORT_NAMES = {
    "tokens_total": "tokens", "duration_s": "time", "cost_usd": "cost", "tool_calls": "tool calls",
    "verification_pass_rate": "verification pass rate", "success": "success rate", "errors": "errors",
    "backtracking": "backtracking", "turns": "turns",
}
# Mentioned even when not significant, so the reader sees the main numbers and the sample size.
HEADLINE = ("tokens_total", "duration_s")
PASS_RATE = "verification_pass_rate"


def comparisons(analysis: dict[str, Any]) -> list[dict[str, Any]]:
    """The analysis' comparisons, or one built from the top-level mirrors of comparisons[0]."""
    found = [c for c in analysis.get("comparisons") or [] if isinstance(c, dict)]
    if found:
        return found
    if analysis.get("metrics") and analysis.get("treatment"):
        return [{key: analysis.get(key) for key in ("baseline", "treatment", "unit", "metrics", "summary",
                                                    "validity", "power", "suite")}]
    return []


def short_name(name: str, result: dict[str, Any]) -> str:
    return SHORT_NAMES.get(name) or str(result.get("label") or name).lower()


def _n_text(result: dict[str, Any], baseline: str, treatment: str, unit: str) -> str:
    nb = arm_stats(result, baseline, "baseline").get("n") or 0
    nt = arm_stats(result, treatment).get("n") or 0
    noun = "tasks" if unit == "task" else "per arm"
    if unit == "task":
        return f"n={fmt.number(nb)} {noun}"
    return f"n={fmt.number(nb)} {noun}" if nb == nt else f"n={fmt.number(nb)}/{fmt.number(nt)}"


def movement(name: str, result: dict[str, Any], baseline: str, treatment: str) -> str | None:
    """`tokens fell 23.0%`, `errors rose by 2 (from 0)`, `verification pass rate rose from 70.0% to 90.0%`."""
    unit = metric_unit(name, result)
    base = arm_stats(result, baseline, "baseline")
    treat = arm_stats(result, treatment)
    label = short_name(name, result)
    diff = (result.get("difference") or {}).get("estimate")
    if not fmt.is_number(diff):
        return None
    if diff == 0:
        return f"{label} unchanged"
    verb = "rose" if diff > 0 else "fell"
    if unit == "fraction":
        return f"{label} {verb} from {fmt.value(base.get('mean'), unit)} to {fmt.value(treat.get('mean'), unit)}"
    change = relative_change(result, base)
    if change is None:
        return f"{label} {verb} by {fmt.value(abs(diff), unit)} (from {fmt.value(base.get('mean'), unit)})"
    return f"{label} {verb} {abs(change) * 100:.1f}%"


def _certainty(result: dict[str, Any], n_text: str) -> str:
    if result.get("p_value_adjusted") is None and result.get("p_value") is None:
        reason = result.get("p_value_reason") or result.get("p_value_adjusted_reason") or "no test possible"
        return f"(not tested: {reason}, {n_text})"
    if result.get("significant"):
        label = result.get("effect_size_label")
        effect = f", {label} effect" if label else ""
        return f"(Holm {fmt.p_clause(result.get('p_value_adjusted'))}{effect})"
    return f"(not significant, {n_text})"


def comparison_clause(comp: dict[str, Any], *, suffix: bool = True) -> str:
    """`With X, tokens fell 23.0% (p=0.010 Holm, large effect) and time ...`."""
    baseline = str(comp.get("baseline") or "baseline")
    treatment = str(comp.get("treatment") or "the treatment")
    unit = str(comp.get("unit") or "trial")
    metrics = comp.get("metrics") or {}
    family = (comp.get("summary") or {}).get("family") or list(metrics)
    parts: list[str] = []
    mentioned: set[str] = set()
    ordered = [m for m in family if m in metrics]
    for name in ordered:  # every significant change in the primary family
        result = metrics[name]
        if result.get("significant"):
            move = movement(name, result, baseline, treatment)
            if move:
                parts.append(f"{move} {_certainty(result, _n_text(result, baseline, treatment, unit))}")
                mentioned.add(name)
    for name in HEADLINE:  # the main numbers, even when not significant
        if name in metrics and name not in mentioned:
            result = metrics[name]
            move = movement(name, result, baseline, treatment)
            if move:
                parts.append(f"{move} {_certainty(result, _n_text(result, baseline, treatment, unit))}")
                mentioned.add(name)
    tail = ""
    if PASS_RATE in metrics and PASS_RATE not in mentioned:
        move = movement(PASS_RATE, metrics[PASS_RATE], baseline, treatment)
        if move:
            tail = move if move.endswith("unchanged") else f"{move} (not significant)"
    if not parts and not tail:
        return f"With {treatment}, no metric could be compared with {baseline}"
    body = _join(parts) if parts else ""
    clause = f"With {treatment}, {body}" if body else f"With {treatment}, {tail}"
    if body and tail:
        clause += f"; {tail}"
    if suffix and not any(metrics[m].get("significant") for m in ordered):
        clause += " - no significant difference at alpha 0.05 (Holm-adjusted)"
    return clause


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def verdict_sentence(analysis: dict[str, Any] | None) -> str:
    """One sentence: what improved, what got worse, how sure (p Holm-adjusted, effect size, n)."""
    if not analysis:
        return "No verdict: the run could not be analysed (see what is missing below)."
    sufficiency = analysis.get("sufficiency") or {}
    comps = comparisons(analysis)
    if sufficiency.get("ok") is False:
        problems = "; ".join(str(p) for p in sufficiency.get("problems") or []) or "too few usable trials"
        observed = [c for c in (comparison_clause(c, suffix=False) for c in comps) if "no metric could" not in c]
        sentence = f"No verdict, not enough data ({problems})"
        if observed:
            sentence += "; observed only: " + "; ".join(o[0].lower() + o[1:] for o in observed)
        return sentence + "."
    if not comps:
        return "No verdict: the run has no treatment arm to compare with the baseline."
    sentence = "; ".join(comparison_clause(c) for c in comps)
    return sentence[0].upper() + sentence[1:] + "."
