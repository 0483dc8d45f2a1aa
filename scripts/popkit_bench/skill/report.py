"""The benchmark report (markdown and self-contained HTML) from benchmark.json, the comparison and the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from popkit_bench.report.fmt import kilo, sd, secs, share, signed_format, times
from popkit_bench.report.render import environment
from popkit_bench.skill.gate import GateFailure, ungraded_evals
from popkit_shared.redact import Redactor

RERUN = "`popkit-bench skill run CONFIG.json` (in Claude Code: `/popkit-ops:benchmark skill run CONFIG.json`)"
RATIO_NOTE = ("improvement_ratio = with-skill pass rate / baseline pass rate (above 1: the skill passes more); "
              "token_savings_ratio = with-skill avg tokens / baseline avg tokens and time_savings_ratio = "
              "with-skill avg duration / baseline avg duration (below 1: the skill saves).")


def summary_rows(bench: dict[str, Any], comparison: dict[str, Any] | None) -> list[dict[str, str]]:
    """Metric, Current, Previous, Delta, Threshold, Status for the summary table."""
    ws = bench["summary"].get("with_skill") or {}
    thresholds, met = bench.get("thresholds") or {}, bench["thresholds_met"]
    deltas = (comparison or {}).get("deltas") or {}
    prev = {k: (deltas.get(k) or {}).get("previous") for k in deltas}

    def status(name: str | None) -> str:
        if name is None:
            return "-"
        value = met.get(name)
        return "PASS" if value is True else "FAIL" if value is False else "SKIPPED"

    def rel(key: str) -> str:
        return signed_format(((deltas.get(key) or {}).get("relative") or 0) * 100, "{:.0f}%") \
            if (deltas.get(key) or {}).get("relative") is not None else "n/a"

    def absolute(key: str, fmt: str, scale: float = 1) -> str:
        value = (deltas.get(key) or {}).get("absolute")
        return signed_format(value * scale, fmt) if value is not None else "n/a"

    def limit(name: str, fmt: Any, op: str) -> str:
        return f"{op} {fmt(thresholds[name])}" if name in thresholds else "-"

    return [
        {"metric": "Pass Rate", "current": share(ws.get("pass_rate")), "previous": share(prev.get("pass_rate")),
         "delta": absolute("pass_rate", "{:.0f}%", 100), "threshold": limit("min_pass_rate", share, ">="),
         "status": status("min_pass_rate")},
        {"metric": "Avg Tokens", "current": kilo(ws.get("avg_tokens")), "previous": kilo(prev.get("avg_tokens")),
         "delta": rel("avg_tokens"), "threshold": limit("max_avg_tokens", kilo, "<="),
         "status": status("max_avg_tokens")},
        {"metric": "Avg Time", "current": secs(ws.get("avg_duration_seconds")),
         "previous": secs(prev.get("avg_duration_seconds")), "delta": rel("avg_duration_seconds"),
         "threshold": limit("max_avg_duration_seconds", secs, "<="), "status": status("max_avg_duration_seconds")},
        {"metric": "Improvement", "current": times(bench["summary"].get("improvement_ratio")),
         "previous": times(prev.get("improvement_ratio")), "delta": absolute("improvement_ratio", "{:.2f}x"),
         "threshold": limit("min_improvement_ratio", times, ">="), "status": status("min_improvement_ratio")},
        {"metric": "Token ratio", "current": times(bench["summary"].get("token_savings_ratio")),
         "previous": times(prev.get("token_savings_ratio")), "delta": absolute("token_savings_ratio", "{:.2f}x"),
         "threshold": "-", "status": "-"},
        {"metric": "Time ratio", "current": times(bench["summary"].get("time_savings_ratio")),
         "previous": times(prev.get("time_savings_ratio")), "delta": absolute("time_savings_ratio", "{:.2f}x"),
         "threshold": "-", "status": "-"},
    ]


def per_eval_rows(bench: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for item in bench["per_eval"]:
        ws, base = item["with_skill"], item.get("baseline") or {}
        rows.append({
            "eval": f"eval-{item['eval_id']}", "name": item["eval_name"], "status": item.get("status", "-"),
            "ws_pass": share(ws["pass_rate"]), "base_pass": share(base.get("pass_rate")),
            "ws_tokens": kilo(ws["avg_tokens"]), "base_tokens": kilo(base.get("avg_tokens")),
            "ws_time": secs(ws["avg_duration_seconds"]), "base_time": secs(base.get("avg_duration_seconds")),
            "trials": f"{item['trials_completed']}/{item['trials_requested']}",
            "excluded": ", ".join(f"{k}: {v}" for k, v in sorted((ws.get("excluded") or {}).items())) or "-",
        })
    return rows


def arms_rows(bench: dict[str, Any]) -> list[dict[str, str]]:
    """With --arms: one row for the baseline arm, then one per treatment arm (none without an `arms` section)."""
    arms = bench.get("arms")
    if not isinstance(arms, dict):
        return []
    base = arms.get("baseline") or {}
    rows = [_arm_row(base.get("arm"), "baseline", base.get("description"), base.get("summary") or {}, {}, None)]
    for item in arms.get("treatments") or []:
        role = "treatment, gated" if item.get("gated") else "treatment (not gated)"
        rows.append(_arm_row(item["arm"], role, item.get("description"), item.get("summary") or {}, item,
                             item.get("thresholds_met")))
    return rows


def _arm_row(name: Any, role: str, description: Any, summary: dict[str, Any], item: dict[str, Any],
             met: dict[str, Any] | None) -> dict[str, str]:
    failed = [k for k, v in (met or {}).items() if v is False]
    checked = "-" if met is None else ("FAIL " + ", ".join(failed) if failed else "met")
    return {"arm": str(name), "role": role, "adds": str(description or "-"), "pass": share(summary.get("pass_rate")),
            "tokens": kilo(summary.get("avg_tokens")), "time": secs(summary.get("avg_duration_seconds")),
            "improvement": times(item.get("improvement_ratio")) if item else "-",
            "token_ratio": times(item.get("token_savings_ratio")) if item else "-",
            "time_ratio": times(item.get("time_savings_ratio")) if item else "-", "thresholds": checked}


def compared_arms(bench: dict[str, Any]) -> dict[str, str] | None:
    """With --arms: {gated, baseline} arm names (the summary, per-eval detail and gate are the gated arm's)."""
    arms = bench.get("arms")
    if not isinstance(arms, dict):
        return None
    return {"gated": str(arms.get("gated")), "baseline": str((arms.get("baseline") or {}).get("arm"))}


def variance_rows(bench: dict[str, Any]) -> list[dict[str, str]]:
    labels = {"high": "High", "medium": "Medium", "low": "Low (investigate)", "unreliable": "unreliable"}
    return [{"eval": f"eval-{i['eval_id']}", "pass_rate": share(i["with_skill"]["pass_rate"]),
             "sd": sd(i["with_skill"]["pass_rate_std"]), "trials": str(i["trials_completed"]),
             "reliability": labels.get(i["reliability"], i["reliability"])} for i in bench["per_eval"]]


def recommendations(bench: dict[str, Any], comparison: dict[str, Any] | None,
                    failures: list[GateFailure]) -> list[str]:
    """Actions from regressions, unreliable evals and failed thresholds."""
    out = []
    for reg in (comparison or {}).get("regressions", []):
        out.append(f"Regression in eval-{reg['eval_id']} ({reg['eval_name']}): {reg['notes']}. "
                   f"Fix the skill for this eval and re-run {RERUN} before publishing.")
    for eval_id in ungraded_evals(bench):
        out.append(f"eval-{eval_id}: no assertion was graded, so nothing shows the skill passes it: add checkable "
                   "assertions (command, file_exists, regex, json_value) or turn on `llm_grader` in the config.")
    for item in bench["per_eval"]:
        if item["reliability"] == "unreliable":
            out.append(f"eval-{item['eval_id']}: fewer than 2 completed trials: variance unreliable; "
                       "re-run it (check the excluded trials' reasons) before trusting its numbers.")
        elif item["reliability"] == "low":
            out.append(f"eval-{item['eval_id']}: results vary between trials (sd "
                       f"{sd(item['with_skill']['pass_rate_std'])}): investigate flaky instructions or assertions, "
                       "or add trials.")
    for failure in failures:
        if failure.check not in ("regressions", "ungraded"):
            out.append(f"Threshold failed: {failure.describe()}. Improve the skill for the evals named and re-run "
                       f"{RERUN}; do not publish until every threshold passes.")
    if bench["summary"].get("baseline") is None:
        out.append("No baseline trial completed: only with-skill results are shown and the improvement ratio "
                   "is skipped; fix the baseline runs to measure the skill's effect.")
    if not out:
        out.append("Every threshold passes, no regressions and every eval is graded and reliable: the skill is "
                   "ready to publish.")
    return out


def context(bench: dict[str, Any], comparison: dict[str, Any] | None, failures: list[GateFailure] | None,
            gated: bool) -> dict[str, Any]:
    failures = failures or []
    return {
        "bench": bench, "comparison": comparison, "gated": gated,
        "gate_passed": not failures, "failures": [f.describe() for f in failures],
        "summary_rows": summary_rows(bench, comparison), "per_eval_rows": per_eval_rows(bench),
        "variance_rows": variance_rows(bench), "recommendations": recommendations(bench, comparison, failures),
        "ratio_note": RATIO_NOTE, "pct": share, "baseline_label": bench.get("baseline_config") or "baseline",
        "stats": bench.get("statistics"), "arms_rows": arms_rows(bench), "compared": compared_arms(bench),
        "model_label": (bench.get("model_source") or {}).get("label"),
    }


def render_markdown(ctx: dict[str, Any]) -> str:
    return environment().get_template("skill-report.md.j2").render(**ctx)


def render_html(ctx: dict[str, Any]) -> str:
    return environment().get_template("skill-report.html.j2").render(**ctx)


def write_reports(folder: Path, ctx: dict[str, Any]) -> list[Path]:
    """report.md and report.html in the iteration folder (secrets in trial-derived text redacted)."""
    ctx = Redactor().redact_data(ctx)
    md, html = folder / "report.md", folder / "report.html"
    md.write_text(render_markdown(ctx), encoding="utf-8")
    html.write_text(render_html(ctx), encoding="utf-8")
    return [md, html]
