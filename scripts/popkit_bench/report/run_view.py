"""What the run itself says: trials per arm, exclusions, what is missing, and the environment."""

from __future__ import annotations

from collections import Counter
from typing import Any

from popkit_bench.analysis.sequential import design_sentence
from popkit_bench.report import fmt
from popkit_bench.report.builtins import builtin_rows
from popkit_bench.report.load import USABLE, RunData


def exclusions(run: RunData, analysis: dict[str, Any] | None) -> dict[str, Any]:
    """Counts of excluded trials by reason and arm, and the list of excluded or failed trials with reasons."""
    data = (analysis or {}).get("exclusions") if analysis else None
    if isinstance(data, dict):
        by_reason = {str(k): int(v) for k, v in (data.get("by_reason") or {}).items()}
        by_arm = {str(a): {str(k): int(v) for k, v in (r or {}).items()} for a, r in (data.get("by_arm") or {}).items()}
        counts = {k: data.get(k) for k in ("records", "usable", "excluded", "superseded")}
        null_metrics = {str(a): dict(v or {}) for a, v in (data.get("null_metrics") or {}).items()}
    else:
        excluded = [r for r in run.records if r.get("status") not in USABLE]
        by_reason = dict(Counter(str(r.get("status") or "no status") for r in excluded))
        by_arm: dict[str, dict[str, int]] = {}
        for record in excluded:
            arm = by_arm.setdefault(str(record.get("arm")), {})
            status = str(record.get("status") or "no status")
            arm[status] = arm.get(status, 0) + 1
        counts = {"records": len(run.records), "usable": len(run.records) - len(excluded), "excluded": len(excluded),
                  "superseded": run.superseded}
        null_metrics = {}
    listed = [
        {"task_id": str(r.get("task_id")), "arm": str(r.get("arm")),
         "trial": str(r.get("trial") if r.get("trial") is not None else "?"),
         "status": str(r.get("status") or "no status"), "reason": str(r.get("status_reason") or "no reason recorded"),
         "in_statistics": r.get("status") in USABLE}
        for r in run.records if r.get("status") != "completed"
    ]
    return {
        "counts": {k: fmt.number(v) if fmt.is_number(v) else fmt.MISSING for k, v in counts.items()},
        "by_reason": [{"reason": k, "count": fmt.number(v)} for k, v in sorted(by_reason.items())],
        "by_arm": [{"arm": a, "reasons": ", ".join(f"{k}: {v}" for k, v in sorted(r.items())) or "none"}
                   for a, r in by_arm.items()],
        "null_metrics": [{"arm": a, "metrics": ", ".join(f"{k}: {v}" for k, v in sorted(m.items()))}
                         for a, m in null_metrics.items() if m],
        "trials": listed,
    }


def arm_counts(run: RunData, analysis: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per arm: requested, records, usable, completed, failed, excluded (from the analysis or the records)."""
    table = ((analysis or {}).get("arms") or {}).get("trials") if analysis else None
    rows = []
    for arm in run.arm_names():
        if isinstance(table, dict) and isinstance(table.get(arm), dict):
            counts = table[arm]
        else:
            records = [r for r in run.records if r.get("arm") == arm]
            requested = [run.requested(t, arm) for t in run.task_ids()]
            counts = {
                "requested": sum(r for r in requested if r is not None) if any(r is not None for r in requested)
                else None,
                "records": len(records),
                "usable": sum(1 for r in records if r.get("status") in USABLE),
                "completed": sum(1 for r in records if r.get("status") == "completed"),
                "failed": sum(1 for r in records if r.get("status") == "failed"),
                "excluded": sum(1 for r in records if r.get("status") not in USABLE),
            }
        rows.append({"arm": arm, **{k: fmt.number(counts.get(k)) if fmt.is_number(counts.get(k)) else fmt.MISSING
                                    for k in ("requested", "records", "usable", "completed", "failed", "excluded")}})
    return rows


def missing_data(run: RunData, analysis: dict[str, Any] | None) -> list[str]:
    """Plain sentences about what keeps this run from a full analysis."""
    problems = list(run.problems)
    if analysis is not None:
        problems += [str(p) for p in (analysis.get("sufficiency") or {}).get("problems") or []]
    if analysis is None and not run.records:
        problems.append("no trial records: nothing to analyse")
    for task in run.task_ids():
        for arm in run.arm_names():
            usable = sum(1 for r in run.records if r.get("task_id") == task and r.get("arm") == arm
                         and r.get("status") in USABLE)
            requested = run.requested(task, arm)
            if usable == 0:
                problems.append(f"task {task}: arm {arm} has no usable trial (completed or failed)")
            elif usable < 2:
                problems.append(f"task {task}: arm {arm} has n = {usable}: no spread, no interval, no test")
            elif requested is not None and usable < requested:
                problems.append(f"task {task}: arm {arm} has {usable} usable of {requested} requested trials")
    if len(run.arm_names()) < 2:
        problems.append("only one arm in the run: nothing to compare")
    return list(dict.fromkeys(problems))


def stopping(run: RunData) -> list[str]:
    """Sentences on when and why the run stopped: sequential looks, budget or interrupt (from run.json)."""
    info = run.run_json or {}
    lines: list[str] = []
    seq = info.get("sequential") if isinstance(info.get("sequential"), dict) else None
    if seq:
        lines.append(f"Sequential design: batches of {seq.get('batch_size')} trials per arm, at most "
                     f"{seq.get('max_trials')} per arm, decided on {seq.get('metric')} ({design_sentence(seq.get('design'))}).")
        for look in seq.get("looks") or []:
            if not isinstance(look, dict):
                continue
            z = look.get("z")
            z_text = f"z = {z:+.2f}" if isinstance(z, (int, float)) else "z n/a"
            bound = look.get("boundary")
            bound_text = f", boundary {bound:.2f}" if isinstance(bound, (int, float)) else ""
            verdict = f"stop ({look.get('reason')})" if look.get("stop") else "continue"
            lines.append(f"Look {look.get('look')}: n = {look.get('n_baseline')} / {look.get('n_treatment')}, "
                         f"{z_text}{bound_text}: {verdict}. {look.get('message') or ''}".strip())
        stopped = seq.get("stopped")
        if isinstance(stopped, dict):
            lines.append(f"Stopped at look {stopped.get('look')} for {stopped.get('reason')}: "
                         f"{stopped.get('message') or ''}".strip())
    early = info.get("stopped_early") if isinstance(info.get("stopped_early"), dict) else None
    if early:
        for key in ("reason", "budget"):
            if early.get(key):
                lines.append(f"Stopped early: {early[key]}")
    return lines


def node_rows(run: RunData, info: dict[str, Any]) -> list[tuple[str, str]]:
    """With --executor ray: the cluster's address and each node with the trials it ran (from the records)."""
    executor = info.get("executor") if isinstance(info.get("executor"), dict) else {}
    counts: dict[str, int] = {}
    for record in run.records:
        if record.get("node"):
            counts[str(record["node"])] = counts.get(str(record["node"]), 0) + 1
    if not counts and executor.get("name") != "ray":
        return []
    rows = [("Executor", f"ray, cluster {executor.get('address') or 'local Ray'}")]
    nodes = ", ".join(f"{node} ({n} trial{'s' if n != 1 else ''})" for node, n in sorted(counts.items()))
    rows.append(("Nodes", nodes or "no trial recorded a node"))
    return rows


def environment(run: RunData, analysis: dict[str, Any] | None) -> list[dict[str, str]]:
    """Label / value pairs: Claude Code, model, plugins, codebases, seed, options, machine."""
    info = run.run_json or {}
    rows: list[tuple[str, str]] = []
    versions = sorted({str(r.get("claude_code_version")) for r in run.records if r.get("claude_code_version")})
    cc = (info.get("claude_code") or {}) if isinstance(info.get("claude_code"), dict) else {}
    rows.append(("Claude Code version", str(cc.get("version") or ", ".join(versions) or "unknown")))
    if versions and cc.get("version") and any(v not in str(cc.get("version")) for v in versions):
        rows.append(("Claude Code versions seen in trials", ", ".join(versions)))
    models = sorted({str(r.get("model")) for r in run.records if r.get("model")})
    rows.append(("Model", str(info.get("model") or "") or (", ".join(models) + " (CLI default)" if models
                                                            else "CLI default (not recorded)")))
    for plugin in info.get("plugins") or []:
        if isinstance(plugin, dict):
            rows.append((f"Plugin under test: {plugin.get('name')}",
                         f"version {plugin.get('version') or 'unknown'}, content digest {plugin.get('digest') or '?'}"
                         f", {plugin.get('path') or ''}"))
    for arm in info.get("arms") or []:
        if isinstance(arm, dict):
            dirs = ", ".join(str(d) for d in arm.get("plugin_dirs") or []) or "no plugin"
            rows.append((f"Arm {arm.get('name')}", dirs))
    rows += builtin_rows(run)
    for task in info.get("tasks") or []:
        if isinstance(task, dict):
            cb = task.get("codebase") or {}
            rows.append((f"Task {task.get('id')}",
                         f"codebase {cb.get('source') or '?'} at ref {cb.get('ref') or '?'}, commit "
                         f"{cb.get('commit') or '?'}, digest {cb.get('digest') or '?'}"))
    rows.append(("Seed", str(info.get("seed", "unknown"))))
    rows.append(("Scripted model (rehearsal)", "yes" if info.get("rehearsal") else "no"))
    options = info.get("options") if isinstance(info.get("options"), dict) else {}
    if options:
        rows.append(("Options", ", ".join(f"{k}={v}" for k, v in options.items())))
    env = info.get("environment") if isinstance(info.get("environment"), dict) else {}
    if env:
        rows.append(("Machine", ", ".join(f"{k} {v}" for k, v in env.items())))
    rows += node_rows(run, info)
    if info.get("popkit_bench_version"):
        rows.append(("popkit-bench version", str(info["popkit_bench_version"])))
    if info.get("argv"):
        rows.append(("Command", "popkit-bench " + " ".join(str(a) for a in info["argv"])))
    rows.append(("Run created", str(info.get("created_at") or "unknown")))
    if analysis:
        rows.append(("Analysis", f"generated {analysis.get('generated_at')}, alpha {analysis.get('alpha')}, "
                                 f"{analysis.get('bootstrap_resamples')} bootstrap resamples, seed "
                                 f"{analysis.get('seed')}"))
    return [{"label": k, "value": v} for k, v in rows]
