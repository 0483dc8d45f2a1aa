"""The seed's success criteria as a checklist, each pass/fail with its numbers (plus contamination, tampering
and trials completed vs requested)."""

from __future__ import annotations

from typing import Any

import numpy as np

from popkit_bench.analysis.metrics_catalog import CORE_METRICS, spec_for
from popkit_bench.analysis.samples import ArmTable

MIN_SUCCESSFUL = 3
MIN_SIGNIFICANT = 4
MIN_LARGE = 3
LARGE_EFFECT = 0.8
MAX_CV = 0.20


def _criterion(cid: str, name: str, passed: bool | None, numbers: dict[str, Any], detail: str,
               reason: str = "") -> dict[str, Any]:
    out = {"id": cid, "name": name, "passed": passed, "numbers": numbers, "detail": detail}
    if passed is None:
        out["passed_reason"] = reason or detail
    return out


def successful(record: dict[str, Any]) -> bool | None:
    """A successful trial: completed, every verification command passed (metric `success` = 1). None when
    success was not measured (no verification)."""
    value = (record.get("metrics") or {}).get("success")
    if value is None:
        return None
    return record.get("status") == "completed" and value == 1


def min_trials(tables: dict[tuple[str, str], ArmTable], tasks: list[str], arms: list[str]) -> dict[str, Any]:
    """1. At least 3 successful trials (completed and verified, `success` = 1) per arm, in every task."""
    name = f"At least {MIN_SUCCESSFUL} successful trials per arm"
    per_task: dict[str, dict[str, int]] = {}
    measured = False
    for task in tasks:
        for arm in arms:
            found = [successful(r) for r in (tables[(task, arm)].records if (task, arm) in tables else [])]
            measured = measured or any(f is not None for f in found)
            per_task.setdefault(task, {})[arm] = sum(1 for f in found if f)
    lowest = min((c for arms_ in per_task.values() for c in arms_.values()), default=0)
    numbers = {"minimum_required": MIN_SUCCESSFUL, "lowest": lowest, "per_task": per_task}
    if not measured:
        return _criterion("min_trials", name, None, numbers, "success was not measured in any trial",
                          "no trial has a success value (no verification commands ran)")
    return _criterion("min_trials", name, lowest >= MIN_SUCCESSFUL, numbers,
                      f"fewest successful trials (completed, every verification passed) in any task and arm: {lowest}")


def treatment_verification(tables: dict[tuple[str, str], ArmTable], tasks: list[str], treat: str) -> dict[str, Any]:
    """2. Every verification command passes in every usable trial of the treatment arm."""
    trials = passed = 0
    failed: dict[str, int] = {}
    recorded = False
    for task in tasks:
        table = tables.get((task, treat))
        for record in table.records if table else []:
            trials += 1
            checks = [c for c in record.get("verification") or [] if isinstance(c, dict)]
            recorded = recorded or bool(checks)
            ok = bool(checks) and all(c.get("passed") is True for c in checks)
            passed += ok
            for check in checks:
                if check.get("passed") is not True:
                    failed[str(check.get("command"))] = failed.get(str(check.get("command")), 0) + 1
    numbers = {"trials": trials, "trials_all_passed": passed, "failures_by_command": failed}
    name = "All verification commands pass in the treatment arm"
    if not recorded:
        return _criterion("treatment_verification", name, None, numbers, "no verification results recorded")
    return _criterion("treatment_verification", name, passed == trials, numbers,
                      f"{passed} of {trials} treatment trials passed every command")


def _core_rows(metrics: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any] | None]]:
    return [(name, metrics.get(name)) for name in CORE_METRICS]


def significance(metrics: dict[str, dict[str, Any]], alpha: float) -> dict[str, Any]:
    """3. Holm-adjusted p < alpha, in the better direction, for at least 4 of the 6 core metrics."""
    rows = {}
    count = 0
    for name, entry in _core_rows(metrics):
        if entry is None:
            rows[name] = {"p_value": None, "p_value_adjusted": None, "better": None, "counted": False}
            continue
        counted = bool(entry.get("significant")) and entry.get("better") is True
        count += counted
        rows[name] = {"p_value": entry.get("p_value"), "p_value_adjusted": entry.get("p_value_adjusted"),
                      "better": entry.get("better"), "counted": counted}
    return _criterion("significance",
                      f"p < {alpha:g} (Holm-adjusted, in the better direction) for at least {MIN_SIGNIFICANT} of 6 core metrics",
                      count >= MIN_SIGNIFICANT, {"count": count, "required": MIN_SIGNIFICANT, "metrics": rows},
                      f"{count} of 6 core metrics significantly better")


def large_effect(metrics: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """4. |effect| > 0.8 in the better direction for at least 3 of the 6 core metrics."""
    rows = {}
    count = 0
    for name, entry in _core_rows(metrics):
        value = entry.get("effect_size") if entry else None
        sign = spec_for(name).sign
        counted = value is not None and value * sign > LARGE_EFFECT
        count += counted
        rows[name] = {"effect_size": value, "measure": entry.get("effect_size_measure") if entry else None,
                      "counted": counted}
    return _criterion("large_effect",
                      f"|effect| > {LARGE_EFFECT} (in the better direction) for at least {MIN_LARGE} of 6 core metrics",
                      count >= MIN_LARGE, {"count": count, "required": MIN_LARGE, "metrics": rows},
                      f"{count} of 6 core metrics with a large effect in the better direction")


def consistency(tables: dict[tuple[str, str], ArmTable], tasks: list[str], arms: list[str]) -> dict[str, Any]:
    """5. sd < 20% of the mean in each arm (continuous core metrics with mean > 0, per task)."""
    rows = []
    not_applicable = []
    for task in tasks:
        for arm in arms:
            table = tables.get((task, arm))
            for name in CORE_METRICS:
                values = table.values(name) if table else np.array([])
                spec = spec_for(name)
                binary = spec.kind != "continuous" and bool(np.all((values == 0) | (values == 1)))
                if len(values) < 2 or binary or values.mean() <= 0:
                    why = "n < 2" if len(values) < 2 else ("binary" if binary else "mean is 0")
                    not_applicable.append({"task": task, "arm": arm, "metric": name, "why": why})
                    continue
                mean, sd = float(values.mean()), float(values.std(ddof=1))
                rows.append({"task": task, "arm": arm, "metric": name, "mean": mean, "sd": sd,
                             "cv_pct": sd / mean * 100, "passed": sd < MAX_CV * mean})
    failed = [r for r in rows if not r["passed"]]
    name = "sd < 20% of the mean in each arm"
    numbers = {"checked": rows, "not_applicable": not_applicable, "failed": len(failed)}
    if not rows:
        return _criterion("consistency", name, None, numbers, "no metric could be checked")
    return _criterion("consistency", name, not failed, numbers,
                      f"{len(rows) - len(failed)} of {len(rows)} (task, arm, metric) checks have sd < 20% of the mean")


def no_contamination(records: list[dict[str, Any]], base: str, treat: str) -> dict[str, Any]:
    """6. No contaminated baseline trial (status contaminated, or a purity check that failed)."""
    def bad(record: dict[str, Any]) -> bool:
        purity = record.get("purity")
        return record.get("status") == "contaminated" or (isinstance(purity, dict) and purity.get("ok") is False)

    counts = {arm: sum(1 for r in records if r.get("arm") == arm and bad(r)) for arm in (base, treat)}
    return _criterion("no_contamination", "No contaminated baseline trial", counts[base] == 0,
                      {"contaminated": counts}, f"{counts[base]} contaminated baseline trial(s)")


def no_tampering(records: list[dict[str, Any]], base: str, treat: str) -> dict[str, Any]:
    """7. No tampered trial: no trial of either arm changed its task's protected files (its tests)."""
    counts = {arm: sum(1 for r in records if r.get("arm") == arm and r.get("status") == "tampered")
              for arm in (base, treat)}
    total = sum(counts.values())
    return _criterion("no_tampering", "No trial changed the task's protected files", total == 0,
                      {"tampered": counts}, f"{total} tampered trial(s) (restored before verification, excluded)")


def trials_completed(trials: dict[str, dict[str, Any]], arms: list[str]) -> dict[str, Any]:
    """8. Usable trials vs requested, per arm."""
    numbers = {arm: {k: trials.get(arm, {}).get(k, 0) for k in ("requested", "usable", "completed", "failed")}
               for arm in arms}
    ok = all(n["usable"] >= n["requested"] for n in numbers.values())
    detail = "; ".join(f"{arm}: {n['usable']}/{n['requested']} usable" for arm, n in numbers.items())
    return _criterion("trials_completed", "Trials completed vs requested, per arm", ok, numbers, detail)


def confinement(records: list[dict[str, Any]]) -> dict[str, Any]:
    """8. Every trial ran in the same sandbox, and that sandbox confines (bwrap); `none` or a mix fails.

    Records without a `sandbox` field (older runs) make the criterion n/a.
    """
    levels: dict[str, int] = {}
    for record in records:
        level = record.get("sandbox")
        levels[str(level) if level else "not recorded"] = levels.get(str(level) if level else "not recorded", 0) + 1
    name = "Every trial confined by the same sandbox"
    numbers = {"levels": levels}
    recorded = {k: v for k, v in levels.items() if k != "not recorded"}
    if not recorded:
        return _criterion("sandbox", name, None, numbers, "no trial recorded its sandbox level")
    if len(levels) > 1:
        mix = ", ".join(f"{k}: {v}" for k, v in sorted(levels.items()))
        return _criterion("sandbox", name, False, numbers, f"MIXED sandbox levels in one run ({mix})")
    level = next(iter(recorded))
    if level == "none":
        return _criterion("sandbox", name, False, numbers,
                          "NO SANDBOX: trials ran with the user's full privileges (--sandbox none or unavailable)")
    return _criterion("sandbox", name, True, numbers, f"all {recorded[level]} trial(s) ran in sandbox {level!r}")


def checklist(*, metrics: dict[str, dict[str, Any]], tables: dict[tuple[str, str], ArmTable], tasks: list[str],
              base: str, treat: str, records: list[dict[str, Any]], trials: dict[str, dict[str, Any]],
              alpha: float) -> dict[str, Any]:
    """The Validity section of one comparison."""
    arms = [base, treat]
    criteria = [
        min_trials(tables, tasks, arms),
        treatment_verification(tables, tasks, treat),
        significance(metrics, alpha),
        large_effect(metrics),
        consistency(tables, tasks, arms),
        no_contamination(records, base, treat),
        no_tampering(records, base, treat),
        trials_completed(trials, arms),
        confinement([r for r in records if r.get("arm") in arms]),
    ]
    passed = sum(1 for c in criteria if c["passed"] is True)
    return {"all_passed": passed == len(criteria), "passed": passed, "total": len(criteria), "criteria": criteria}
