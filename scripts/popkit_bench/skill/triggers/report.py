"""triggers.md and triggers.html from triggers.json: formatted by report/fmt, rendered by report/render's
jinja environment (templates report/templates/triggers.*.j2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from popkit_bench.report import fmt
from popkit_bench.report.render import environment

METRICS = (("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"), ("specificity", "Specificity"))


def share(item: dict[str, Any] | None) -> str:
    """`72.7% [43.4%, 90.3%]`, or `n/a (reason)`."""
    if not item or item.get("value") is None:
        return f"n/a ({item['reason']})" if item and item.get("reason") else fmt.MISSING
    return f"{fmt.value(item['value'], 'fraction')} {fmt.ci(item.get('ci'), lambda v: fmt.value(v, 'fraction'))}"


def difference(item: dict[str, Any] | None) -> str:
    """`+20.0 pp [-5.1 pp, +41.0 pp]`, or `n/a (reason)`."""
    if not item or item.get("value") is None:
        return f"n/a ({item['reason']})" if item and item.get("reason") else fmt.MISSING
    return f"{fmt.pct_points(item['value'])} {fmt.ci(item.get('ci'), fmt.pct_points)}"


def variant_row(block: dict[str, Any], name: str) -> dict[str, str]:
    c = block["confusion"]
    return {"variant": name, "tp": str(c["tp"]), "fp": str(c["fp"]), "tn": str(c["tn"]), "fn": str(c["fn"]),
            **{key: share(block.get(key)) for key, _ in METRICS},
            "runs": f"{block['runs_counted']}/{block['runs_requested']}"}


def query_rows(block: dict[str, Any], other: dict[str, Any] | None) -> list[dict[str, str]]:
    theirs = {r["id"]: r for r in (other or {}).get("per_query", [])}
    rows = []
    for row in block["per_query"]:
        rows.append({"id": row["id"], "query": fmt.ellipsize(row["query"], 90),
                     "should": "yes" if row["should_trigger"] else "no", "rate": _rate(row),
                     "compare_rate": _rate(theirs[row["id"]]) if row["id"] in theirs else "",
                     "instead": _instead(row),
                     "compare_instead": _instead(theirs[row["id"]]) if row["id"] in theirs else "",
                     "excluded": "; ".join(f"run {e['run']}: {e['reason']}" for e in row["excluded"]) or "-"})
    return rows


def _instead(row: dict[str, Any]) -> str:
    return ", ".join(f"{name} ({runs})" for name, runs in sorted(row["rival_fired_instead"].items())) or "-"


def _rate(row: dict[str, Any]) -> str:
    if row["trigger_rate"] is None:
        return f"n/a ({row.get('trigger_rate_reason', 'no counted run')})"
    return f"{row['triggers']}/{row['runs_counted']} ({fmt.value(row['trigger_rate'], 'fraction')})"


def comparison_view(comp: dict[str, Any], part: str) -> dict[str, str]:
    test = comp["mcnemar"]
    return {"part": part, "paired": str(test["queries_paired"]), "b": str(test["b_only_skill_correct"]),
            "c": str(test["c_only_compare_correct"]),
            "p": fmt.p_value(test["p_value"]) if test["p_value"] is not None else f"n/a ({test.get('reason')})",
            "verdict": test["verdict"], "recall": difference(comp["recall_difference"]),
            "precision": difference(comp["precision_difference"])}


def view(doc: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates print, as strings."""
    other = doc.get("compare")
    rows = [variant_row(doc, "skill")] + ([variant_row(other, "compare")] if other else [])
    parts = []
    for block, name in ((doc, "skill"), (other, "compare")):
        for part, sub in ((block or {}).get("parts") or {}).items():
            parts.append(variant_row(sub, f"{name} / {part}"))
    comparisons = []
    if doc.get("comparison"):
        comparisons.append(comparison_view(doc["comparison"]["all"], "all queries"))
        for part, comp in (doc["comparison"].get("parts") or {}).items():
            comparisons.append(comparison_view(comp, part))
    cost = doc["cost"]
    return {
        "title": f"Skill triggers: {doc['skill_name']}", "date": doc["created_at"], "note": doc.get("note"),
        "queries": len(doc["per_query"]), "runs": doc["runs_per_query"], "rivals": doc["rival_skills"],
        "description": doc.get("description") or "", "compare_description": (other or {}).get("description") or "",
        "compare_path": (other or {}).get("skill_path"), "variant_rows": rows, "part_rows": parts,
        "metric_names": [label for _, label in METRICS], "metric_keys": [key for key, _ in METRICS],
        "comparisons": comparisons, "query_rows": query_rows(doc, other), "has_compare": other is not None,
        "holdout": doc.get("holdout"),
        "cost": fmt.value(cost["total_usd"], "USD") if cost["total_usd"] is not None else f"n/a ({cost.get('reason')})",
        "wall": fmt.value(doc["wall_s"], "s"),
    }


def write_reports(out_dir: Path, doc: dict[str, Any]) -> list[Path]:
    """triggers.md and triggers.html beside triggers.json."""
    model = view(doc)
    env = environment()
    paths = []
    for name in ("triggers.md", "triggers.html"):
        path = out_dir / name
        path.write_text(env.get_template(f"{name}.j2").render(t=model), encoding="utf-8")
        paths.append(path)
    return paths
