"""The metrics the analyzer knows: name, unit, direction (lower/higher is better), kind and test scale."""

from __future__ import annotations

from dataclasses import dataclass

VERIFY_PREFIX = "verify:"

# The seed's six core metrics (validity criteria 3-5 count over these).
CORE_METRICS = ("tokens_total", "tool_calls", "backtracking", "errors", "duration_s", "verification_pass_rate")

# Holm family "primary": the core metrics plus the outcome and the bill.
PRIMARY_METRICS = CORE_METRICS + ("success", "cost_usd")


@dataclass(frozen=True)
class MetricSpec:
    """What a metric is and how to test it.

    kind: "continuous", "binary" (always 0/1) or "fraction" (a rate in [0, 1]; analysed as binary when every
    value is 0 or 1). scale: "log" for strictly positive, multiplicative metrics (tested on log values),
    else "raw". direction: "lower", "higher" or "unknown".
    """

    name: str
    label: str
    unit: str
    direction: str
    kind: str = "continuous"
    scale: str = "raw"

    @property
    def core(self) -> bool:
        return self.name in CORE_METRICS

    @property
    def family(self) -> str:
        return "primary" if self.name in PRIMARY_METRICS else "secondary"

    @property
    def sign(self) -> int:
        """+1 when higher is better, -1 when lower is better, 0 when unknown."""
        return {"higher": 1, "lower": -1}.get(self.direction, 0)


def _spec(name: str, label: str, unit: str, direction: str = "lower", kind: str = "continuous", scale: str = "raw"):
    return MetricSpec(name, label, unit, direction, kind, scale)


CATALOG: dict[str, MetricSpec] = {
    s.name: s
    for s in (
        _spec("tokens_total", "Total tokens", "tokens", scale="log"),
        _spec("tokens_input", "Input tokens", "tokens", scale="log"),
        _spec("tokens_output", "Output tokens", "tokens", scale="log"),
        _spec("tokens_cache_read", "Cache-read tokens", "tokens", scale="log"),
        _spec("tokens_cache_creation", "Cache-creation tokens", "tokens", scale="log"),
        _spec("context_peak_tokens", "Peak context", "tokens", scale="log"),
        _spec("context_footprint_tokens", "Context footprint (first request)", "tokens", scale="log"),
        _spec("cost_usd", "Cost", "USD", scale="log"),
        _spec("turns", "Turns", "count"),
        _spec("tool_calls", "Tool calls", "count"),
        _spec("errors", "Errors", "count"),
        _spec("error_rate", "Error rate", "fraction"),
        _spec("backtracking", "Backtracking (files re-edited)", "count"),
        _spec("duration_s", "Duration", "s", scale="log"),
        _spec("duration_api_s", "API duration", "s", scale="log"),
        _spec("verification_pass_rate", "Verification pass rate", "fraction", "higher", kind="fraction"),
        _spec("success", "Success", "fraction", "higher", kind="binary"),
        _spec("questions_asked", "Questions asked", "count"),
    )
}


def verify_metric_name(command: str) -> str:
    """The metric name of one verification command's pass/fail outcome."""
    return VERIFY_PREFIX + command


def spec_for(name: str) -> MetricSpec:
    """The spec of a metric; verification commands are binary, higher-better; unknown names have no direction."""
    if name in CATALOG:
        return CATALOG[name]
    if name.startswith(VERIFY_PREFIX):
        command = name[len(VERIFY_PREFIX):]
        return MetricSpec(name, f"Passes: {command}", "fraction", "higher", kind="binary")
    return MetricSpec(name, name, "", "unknown")


def metric_order(names: set[str] | list[str]) -> list[str]:
    """Catalog order first, then verification commands, then unknown metrics, each alphabetically."""
    known = [n for n in CATALOG if n in names]
    verify = sorted(n for n in names if n.startswith(VERIFY_PREFIX))
    other = sorted(n for n in names if n not in CATALOG and not n.startswith(VERIFY_PREFIX))
    return known + verify + other


def effect_label(value: float | None) -> str | None:
    """Cohen's labels on |effect|: negligible < 0.2 <= small < 0.5 <= medium < 0.8 <= large."""
    if value is None:
        return None
    size = abs(value)
    if size < 0.2:
        return "negligible"
    if size < 0.5:
        return "small"
    if size < 0.8:
        return "medium"
    return "large"
