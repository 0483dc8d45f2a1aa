"""`popkit-bench analyze RUN_DIR`: statistics of a run, written to RUN_DIR/analysis.json."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from popkit_bench.analysis.analyze import analyze_run
from popkit_bench.analysis.io import ANALYSIS_JSON
from popkit_bench.errors import InsufficientDataError


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("alpha must be between 0 and 1 (e.g. 0.05)")
    return value


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1000:
        raise argparse.ArgumentTypeError("the target effect is a percentage of the baseline mean, e.g. 10")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("analyze", help="statistics of a run (writes RUN_DIR/analysis.json)",
                            description="Compare each treatment arm with the baseline arm, per metric, with "
                                        "Welch/Boschloo tests, Holm-adjusted p-values, effect sizes, power and "
                                        "a validity checklist. Exit 3 when there is too little data.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run folder (with results.jsonl)")
    parser.add_argument("--baseline", metavar="ARM", help="baseline arm (default: 'baseline' or the first arm)")
    parser.add_argument("--treatment", metavar="ARM", help="compare only this arm (default: every other arm)")
    parser.add_argument("--json", action="store_true", help="print analysis.json to stdout instead of a summary")
    parser.add_argument("--target-effect", type=_percent, metavar="PCT",
                        help="effect to plan for, in %% of the baseline mean (trials needed per metric)")
    parser.add_argument("--alpha", type=_alpha, default=0.05, help="significance level (default 0.05)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    analysis = analyze_run(run_dir, baseline=args.baseline, treatment=args.treatment,
                           target_effect=args.target_effect, seed=args.seed, alpha=args.alpha)
    written = run_dir / ANALYSIS_JSON
    if args.json:
        print(written.read_text(encoding="utf-8"), end="")
    else:
        print(render_summary(analysis, written))
    sufficiency = analysis["sufficiency"]
    if not sufficiency["ok"]:
        raise InsufficientDataError("too little data for an analysis: " + "; ".join(sufficiency["problems"])
                                    + f" (details in {written})")
    return 0


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return str(value)


LEGEND = ("  better%: change of the mean in % of the baseline, signed so that + is better for that metric; "
          "g(t-b): Hedges' g of treatment minus baseline, raw sign (fewer tokens: negative)")


def metric_table(comp: dict[str, Any]) -> list[str]:
    """The primary metrics of one comparison; columns as wide as the arm names (never cut)."""
    base_name, treat = str(comp["baseline"]), str(comp["treatment"])
    wb, wt = max(12, len(base_name) + 1), max(13, len(treat) + 1)
    lines = [f"  {'metric':<24}{base_name:>{wb}}{treat:>{wt}}{'better%':>10}{'p adj':>9}{'g(t-b)':>9}  result"]
    for name, entry in comp["metrics"].items():
        if entry["family"] != "primary":
            continue
        b, t = entry["baseline"].get("mean"), entry[treat].get("mean")
        imp = entry.get("improvement")
        result = {True: "better", False: "WORSE"}.get(entry.get("better"), "n.s.")
        if entry.get("p_value") is None:
            result = "no test"
        lines.append(f"  {name:<24}{_fmt(b):>{wb}}{_fmt(t):>{wt}}"
                     f"{(f'{imp:+.1f}%' if imp is not None else '-'):>10}"
                     f"{_fmt(entry.get('p_value_adjusted'), 2):>9}{_fmt(entry.get('effect_size'), 2):>9}  {result}")
    lines.append(LEGEND)
    return lines


def render_summary(analysis: dict[str, Any], written: Path) -> str:
    """A short plain-text summary of analysis.json."""
    lines = []
    tasks = len(analysis["tasks"])
    lines.append(f"Analysis ({tasks} task{'s' if tasks != 1 else ''}, unit: {analysis['unit']}, "
                 f"alpha {analysis['alpha']:g}, Holm-adjusted within each metric family)")
    ex = analysis["exclusions"]
    lines.append(f"Trials: {ex['usable']} usable, {ex['excluded']} excluded"
                 + (f" ({', '.join(f'{n} {k}' for k, n in ex['by_reason'].items())})" if ex["excluded"] else ""))
    for comp in analysis["comparisons"]:
        treat, summary = comp["treatment"], comp["summary"]
        effect = summary.get("overall_effect_size")
        lines.append("")
        lines.append(f"{treat} vs {comp['baseline']}: {summary['verdict']}"
                     + (f" (overall effect {effect:+.2f}, {summary['overall_effect_size_label']})"
                        if effect is not None else ""))
        lines += metric_table(comp)
        secondary = summary.get("significant_secondary_metrics") or []
        if secondary:
            lines.append(f"  also significant (secondary): {', '.join(secondary)}")
        validity = comp["validity"]
        failed = [c["id"] for c in validity["criteria"] if c["passed"] is False]
        lines.append(f"  validity: {validity['passed']}/{validity['total']} criteria passed"
                     + (f" (failed: {', '.join(failed)})" if failed else ""))
    notes = analysis.get("notes") or []
    if notes:
        lines.append("")
        lines.extend(f"note: {n}" for n in notes)
    lines.append("")
    lines.append(f"wrote {written}")
    return "\n".join(lines)
