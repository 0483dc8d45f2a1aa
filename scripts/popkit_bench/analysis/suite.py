"""Several tasks: the task is the unit. Per task each arm's mean over its trials, then paired tests on the
per-task differences (paired t, Wilcoxon signed-rank, sign test on win/tie/loss) and the arms' correlation."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats

from popkit_bench.analysis.bootstrap import DEFAULT_RESAMPLES, percentile_interval, rng_for
from popkit_bench.analysis.compare import ArmSample, base_entry, improvement
from popkit_bench.analysis.describe import describe
from popkit_bench.analysis.effect_size import paired_dz
from popkit_bench.analysis.metrics_catalog import MetricSpec, effect_label
from popkit_bench.analysis.nulls import finite, put, put_interval


def outcome(spec: MetricSpec, mean_b: float, mean_t: float) -> str:
    """'win' when the treatment is better on a task, 'loss' when worse, 'tie' when equal (or no direction)."""
    change = (mean_t - mean_b) * spec.sign
    if change > 0:
        return "win"
    if change < 0:
        return "loss"
    return "tie"


def _sign_test(spec: MetricSpec, wins: int, ties: int, losses: int) -> dict[str, Any]:
    """Win/tie/loss counts and the sign test's p-value (null with a reason when undefined)."""
    sign: dict[str, Any] = {"wins": wins, "ties": ties, "losses": losses}
    if spec.sign == 0:
        put(sign, "p_value", None, "metric direction unknown")
    elif wins + losses == 0:
        put(sign, "p_value", None, "no task with a difference")
    else:
        sign["p_value"] = float(stats.binomtest(wins, wins + losses, 0.5).pvalue)
    return sign


def _paired_ratio(entry: dict[str, Any], mean_b: np.ndarray, mean_t: np.ndarray, level: float) -> None:
    """The geometric mean of per-task ratios with its interval (none when a mean is <= 0)."""
    if len(mean_b) and bool(np.all(mean_b > 0) and np.all(mean_t > 0)):
        logs = np.log(mean_t / mean_b)
        ratio: dict[str, Any] = {"estimate": float(np.exp(logs.mean())), "method": "geometric_mean_of_task_ratios"}
        lt = _paired_t(logs)
        put_interval(ratio, "ci", np.exp(lt.get("_low", np.nan)), np.exp(lt.get("_high", np.nan)),
                     lt.get("p_value_reason", "undefined"), level)
        entry["ratio"] = ratio
    else:
        entry["ratio"] = None
        entry["ratio_reason"] = "a per-task mean is <= 0 (or no tasks): no ratio"


def _paired_effect(entry: dict[str, Any], d_test: np.ndarray, use_log: bool, level: float) -> None:
    """Hedges' d_z of the per-task differences, with its interval and label."""
    dz, lo, hi = paired_dz(d_test, level)
    reason = "fewer than 3 tasks or no variation in the differences"
    put(entry, "effect_size", dz, reason)
    entry["effect_size_measure"] = "hedges_dz"
    entry["effect_size_scale"] = "log" if use_log else "raw"
    put_interval(entry, "effect_size_ci", lo, hi, reason, level)
    entry["effect_size_label"] = effect_label(finite(dz))


def paired_metric(spec: MetricSpec, base: str, treat: str, tasks: list[str], mean_b: np.ndarray,
                  mean_t: np.ndarray, *, seed: int, level: float = 0.95) -> tuple[dict[str, Any], dict[str, Any]]:
    """(MetricResult at unit 'task', the suite table row) of one metric over the tasks with both arms."""
    mean_b = np.asarray(mean_b, dtype=float)
    mean_t = np.asarray(mean_t, dtype=float)
    entry = base_entry(spec, ArmSample(base, mean_b), ArmSample(treat, mean_t), spec.kind == "binary")
    entry["analysis_unit"] = "task"
    entry["baseline"] = describe(base, mean_b, level=level)
    entry[treat] = describe(treat, mean_t, level=level)
    n = len(mean_b)
    entry["missing"] = {base: 0, treat: 0}
    flags: list[str] = []
    if n < 2:
        flags.append(f"only {n} task(s) with both arms: no paired test")
    value, reason = improvement(spec, finite(entry["baseline"]["mean"]), finite(entry[treat]["mean"]))
    put(entry, "improvement", value, reason)

    d = mean_t - mean_b
    use_log = spec.scale == "log" and n > 0 and bool(np.all(mean_b > 0) and np.all(mean_t > 0))
    entry["scale"] = "log" if use_log else "raw"
    d_test = np.log(mean_t) - np.log(mean_b) if use_log else d
    diff: dict[str, Any] = {"ci_method": "paired_t"}
    put(diff, "estimate", float(d.mean()) if n else None, "no task has both arms")
    tests: dict[str, Any] = {"paired_t": _paired_t(d)}
    if use_log:
        tests["paired_t_log"] = _paired_t(d_test)
    t_raw = tests["paired_t"]
    put_interval(diff, "ci", t_raw.pop("_low", None), t_raw.pop("_high", None),
                 t_raw.get("p_value_reason", "undefined"), level)
    if use_log:
        tests["paired_t_log"].pop("_low", None)
        tests["paired_t_log"].pop("_high", None)
    diff.update(_paired_bootstrap(d, seed, treat, spec.name, level))
    entry["difference"] = diff
    tests["wilcoxon"] = _wilcoxon(d_test)
    outcomes = [outcome(spec, b, t) for b, t in zip(mean_b, mean_t, strict=True)]
    wins, ties, losses = (outcomes.count(k) for k in ("win", "tie", "loss"))
    sign = _sign_test(spec, wins, ties, losses)
    tests["sign_test"] = sign
    entry["tests"] = tests
    primary = "paired_t_log" if use_log else "paired_t"
    entry["p_value_test"] = primary
    put(entry, "p_value", tests[primary]["p_value"], tests[primary].get("p_value_reason", ""))

    _paired_ratio(entry, mean_b, mean_t, level)
    _paired_effect(entry, d_test, use_log, level)
    entry["flags"] = flags

    row: dict[str, Any] = {"wins": wins, "ties": ties, "losses": losses}
    put(row, "paired_t_p", entry["p_value"], entry.get("p_value_reason", ""))
    put(row, "wilcoxon_p", tests["wilcoxon"]["p_value"], tests["wilcoxon"].get("p_value_reason", ""))
    put(row, "sign_test_p", sign["p_value"], sign.get("p_value_reason", ""))
    row["correlation"] = _correlation(mean_b, mean_t)
    row["per_task"] = [
        _task_row(spec, task, b, t, o) for task, b, t, o in zip(tasks, mean_b, mean_t, outcomes, strict=True)
    ]
    return entry, row


def _task_row(spec: MetricSpec, task: str, mean_b: float, mean_t: float, result: str) -> dict[str, Any]:
    row: dict[str, Any] = {"task": task, "baseline_mean": float(mean_b), "treatment_mean": float(mean_t),
                           "difference": float(mean_t - mean_b)}
    value, reason = improvement(spec, float(mean_b), float(mean_t))
    put(row, "improvement", value, reason)
    row["outcome"] = result
    return row


def _paired_t(d: np.ndarray, level: float = 0.95) -> dict[str, Any]:
    n = len(d)
    out: dict[str, Any] = {}
    if n < 2:
        for key in ("statistic", "df", "p_value"):
            put(out, key, None, "fewer than 2 tasks")
        return out
    sd = float(np.std(d, ddof=1))
    mean = float(np.mean(d))
    out["df"] = n - 1
    if sd == 0:
        put(out, "statistic", None, "the per-task differences do not vary: t undefined")
        put(out, "p_value", None, "the per-task differences do not vary: t undefined")
        return out
    se = sd / np.sqrt(n)
    t = mean / se
    out["statistic"] = t
    out["p_value"] = float(2 * stats.t.sf(abs(t), n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    out["_low"], out["_high"] = mean - half, mean + half
    return out


def _wilcoxon(d: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if len(d) < 2 or not np.any(d != 0):
        put(out, "statistic", None, "fewer than 2 tasks or no non-zero difference")
        put(out, "p_value", None, "fewer than 2 tasks or no non-zero difference")
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.wilcoxon(d, zero_method="wilcox")
    put(out, "statistic", result.statistic, "undefined")
    put(out, "p_value", result.pvalue, "undefined")
    return out


def _correlation(mean_b: np.ndarray, mean_t: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if len(mean_b) < 3 or np.std(mean_b) == 0 or np.std(mean_t) == 0:
        reason = "fewer than 3 tasks or an arm without variation"
        for key in ("pearson", "pearson_p", "spearman"):
            put(out, key, None, reason)
        return out
    pearson = stats.pearsonr(mean_b, mean_t)
    put(out, "pearson", pearson.statistic, "undefined")
    put(out, "pearson_p", pearson.pvalue, "undefined")
    put(out, "spearman", stats.spearmanr(mean_b, mean_t).statistic, "undefined")
    return out


def _paired_bootstrap(d: np.ndarray, seed: int, treat: str, metric: str, level: float) -> dict[str, Any]:
    out: dict[str, Any] = {"bootstrap_method": "percentile (tasks resampled)",
                           "bootstrap_resamples": DEFAULT_RESAMPLES}
    if len(d) < 2:
        out["bootstrap_ci"], out["bootstrap_ci_reason"] = None, "fewer than 2 tasks"
        return out
    rng = rng_for(seed, "suite", treat, metric)
    means = d[rng.integers(0, len(d), size=(DEFAULT_RESAMPLES, len(d)))].mean(axis=1)
    low, high = percentile_interval(means, level)
    put_interval(out, "bootstrap_ci", low, high, "undefined", level)
    return out
