"""Inline SVG charts built in Python: per-metric dot plots, a forest plot of differences, trend lines.

Every piece of text goes through `Markup.format`, which escapes its arguments, so names and labels taken
from a run can never become markup.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from popkit_bench.report.fmt import ellipsize

BETTER = "#1a7f37"   # green: moved in the metric's good direction
WORSE = "#cf222e"    # red: moved in the bad direction
NEUTRAL = "#57606a"  # grey: baseline, or no direction
FAINT = "#d0d7de"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:12px"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    value = start
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 12))
    return ticks


class _Scale:
    def __init__(self, lo: float, hi: float, x0: float, x1: float) -> None:
        self.lo, self.hi, self.x0, self.x1 = lo, hi, x0, x1

    def __call__(self, v: float) -> float:
        if self.hi == self.lo:
            return (self.x0 + self.x1) / 2
        return self.x0 + (v - self.lo) / (self.hi - self.lo) * (self.x1 - self.x0)


def _svg_open(width: int, height: int, title: str) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'role="img" aria-label="{t}" style="{f}"><title>{t}</title>'
    ).format(w=width, h=height, t=title, f=FONT)


def _axis(scale: _Scale, ticks: Sequence[float], y_top: float, y_axis: float, label: Callable[[float], str]) -> Markup:
    out = Markup("")
    for tick in ticks:
        x = scale(tick)
        out += Markup('<line x1="{x:.1f}" x2="{x:.1f}" y1="{a:.1f}" y2="{b:.1f}" stroke="{c}"/>').format(
            x=x, a=y_top, b=y_axis, c=FAINT)
        out += Markup('<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="{c}">{t}</text>').format(
            x=x, y=y_axis + 14, c=NEUTRAL, t=label(tick))
    return out


@dataclass
class ArmSeries:
    """One arm's trial values with its mean and 95% CI."""

    name: str
    values: list[float]
    mean: float | None
    ci: tuple[float, float] | None
    colour: str = NEUTRAL


def dot_plot(series: Sequence[ArmSeries], title: str, tick_label: Callable[[float], str],
             width: int = 640) -> Markup:
    """Every trial's value per arm (dots), the arm mean (bar) and its 95% CI (whisker)."""
    label_w, pad, row_h = 130, 34, 34
    height = 24 + row_h * max(1, len(series)) + 24
    numbers = [v for s in series for v in s.values]
    numbers += [v for s in series if s.ci for v in s.ci] + [s.mean for s in series if s.mean is not None]
    svg = _svg_open(width, height, title)
    if not numbers:
        svg += Markup('<text x="{x}" y="{y}" fill="{c}">no values to plot</text>').format(x=pad, y=30, c=NEUTRAL)
        return svg + Markup("</svg>")
    lo, hi = min(numbers), max(numbers)
    if lo >= 0 and hi > 0 and lo < hi * 0.5:
        lo = 0.0
    ticks = nice_ticks(lo, hi)
    scale = _Scale(ticks[0], ticks[-1], label_w, width - pad)
    y_axis = 12 + row_h * len(series)
    svg += _axis(scale, ticks, 8, y_axis, tick_label)
    for i, arm in enumerate(series):
        y = 12 + row_h * i + row_h / 2
        svg += Markup('<text x="{x}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" fill="#24292f">'
                      '{t}</text>').format(x=label_w - 10, y=y, t=ellipsize(arm.name, 18))
        if arm.ci is not None:
            a, b = scale(arm.ci[0]), scale(arm.ci[1])
            svg += Markup('<line x1="{a:.1f}" x2="{b:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{c}" stroke-width="2"/>'
                          '<line x1="{a:.1f}" x2="{a:.1f}" y1="{u:.1f}" y2="{d:.1f}" stroke="{c}" stroke-width="2"/>'
                          '<line x1="{b:.1f}" x2="{b:.1f}" y1="{u:.1f}" y2="{d:.1f}" stroke="{c}" stroke-width="2"/>'
                          ).format(a=a, b=b, y=y, u=y - 6, d=y + 6, c=arm.colour)
        jitter = random.Random(i)  # the same picture for the same data
        dots = "".join(f'<circle cx="{scale(v):.1f}" cy="{y + jitter.uniform(-7, 7):.1f}" r="3.5"/>'
                       for v in arm.values)  # numbers only: nothing to escape
        svg += Markup('<g fill="{c}" fill-opacity="0.55">').format(c=arm.colour) + Markup(dots) + Markup("</g>")
        if arm.mean is not None:
            m = scale(arm.mean)
            svg += Markup('<rect x="{x:.1f}" y="{y:.1f}" width="3" height="22" fill="{c}"><title>mean {t}</title>'
                          '</rect>').format(x=m - 1.5, y=y - 11, c=arm.colour, t=tick_label(arm.mean))
    return svg + Markup("</svg>")


@dataclass
class ForestRow:
    """One metric's difference in % of baseline, with its CI and colour."""

    label: str
    change: float | None          # fraction: -0.23 = 23% lower than baseline
    ci: tuple[float, float] | None
    colour: str = NEUTRAL
    note: str = ""


LABEL_CHARS = 40     # forest-plot labels longer than this are ellipsized (the full text is the tooltip)
CHAR_WIDTH = 7.4     # px per character at 12px, above the widest common sans-serif average (no clipping)


def label_width(labels: Sequence[str]) -> int:
    """The forest plot's label column: wide enough for its longest label, at least 120 px."""
    return max(120, round(max((len(t) for t in labels), default=0) * CHAR_WIDTH) + 20)


def forest_plot(rows: Sequence[ForestRow], title: str, width: int = 960) -> Markup:
    """Differences in % of baseline with their CIs, one row a metric, a line at no change."""
    labels = [ellipsize(r.label, LABEL_CHARS) for r in rows]
    label_w, right_w, row_h = label_width(labels), 110, 24
    height = 20 + row_h * max(1, len(rows)) + 26
    svg = _svg_open(width, height, title)
    numbers = [0.0] + [r.change for r in rows if r.change is not None]
    numbers += [v for r in rows if r.ci for v in r.ci]
    lo, hi = max(min(numbers), -3.0), min(max(numbers), 3.0)  # beyond +-300% is clipped
    ticks = nice_ticks(lo, hi)
    scale = _Scale(ticks[0], ticks[-1], label_w, width - right_w)
    y_axis = 10 + row_h * max(1, len(rows))
    svg += _axis(scale, ticks, 6, y_axis, lambda v: f"{v * 100:+.0f}%")
    svg += Markup('<line x1="{x:.1f}" x2="{x:.1f}" y1="4" y2="{b:.1f}" stroke="#24292f"/>').format(
        x=scale(0.0), b=y_axis)
    for i, row in enumerate(rows):
        y = 10 + row_h * i + row_h / 2
        svg += Markup('<text x="{x}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" fill="#24292f">'
                      '<title>{full}</title>{t}</text>').format(x=label_w - 10, y=y, t=labels[i], full=row.label)
        text = f"{row.change * 100:+.1f}%" if row.change is not None else "n/a"
        svg += Markup('<text x="{x}" y="{y:.1f}" dominant-baseline="middle" fill="{c}">{t}</text>').format(
            x=width - right_w + 8, y=y, c=row.colour, t=text + (f" {row.note}" if row.note else ""))
        if row.ci is not None:
            a, b = scale(_clip(row.ci[0])), scale(_clip(row.ci[1]))
            svg += Markup('<line x1="{a:.1f}" x2="{b:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{c}" '
                          'stroke-width="2.5"/>').format(a=a, b=b, y=y, c=row.colour)
        if row.change is not None:
            svg += Markup('<rect x="{x:.1f}" y="{y:.1f}" width="9" height="9" fill="{c}"/>').format(
                x=scale(_clip(row.change)) - 4.5, y=y - 4.5, c=row.colour)
    return svg + Markup("</svg>")


@dataclass
class TrendSeries:
    """One line of a trend chart: an arm's mean per run (None where the run has no value)."""

    name: str
    values: list[float | None]
    colour: str = NEUTRAL
    dashed: bool = False


@dataclass
class TrendChart:
    """A metric's arm means across runs of one task, oldest to newest."""

    title: str
    run_labels: list[str]
    series: list[TrendSeries] = field(default_factory=list)


def trend_plot(chart: TrendChart, tick_label: Callable[[float], str], width: int = 540) -> Markup:
    """Lines of each arm's mean across runs, points per run, x = run order."""
    height, left, right, top, bottom = 170, 70, 12, 22, 30
    svg = _svg_open(width, height, chart.title)
    svg += Markup('<text x="{x}" y="14" fill="#24292f" font-weight="600">{t}</text>').format(x=left, t=chart.title)
    numbers = [v for s in chart.series for v in s.values if v is not None]
    if not numbers:
        svg += Markup('<text x="{x}" y="60" fill="{c}">no values</text>').format(x=left, c=NEUTRAL)
        return svg + Markup("</svg>")
    lo, hi = min(numbers), max(numbers)
    if lo >= 0 and (lo < hi * 0.5 or lo == hi):  # a constant series sits on an axis from 0, not at its bottom
        lo = 0.0
    ticks = nice_ticks(lo, hi, 4)
    n = max(1, len(chart.run_labels))
    xs = [left + (width - left - right) * (i + 0.5) / n for i in range(n)]
    y_of = _Scale(ticks[0], ticks[-1], height - bottom, top)
    for tick in ticks:
        y = y_of(tick)
        svg += Markup('<line x1="{a}" x2="{b}" y1="{y:.1f}" y2="{y:.1f}" stroke="{c}"/>'
                      '<text x="{t}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" fill="{g}">{s}</text>'
                      ).format(a=left, b=width - right, y=y, c=FAINT, t=left - 6, g=NEUTRAL, s=tick_label(tick))
    for i, label in enumerate(chart.run_labels):
        if n <= 8 or i in (0, n - 1):
            svg += Markup('<text x="{x:.1f}" y="{y}" text-anchor="middle" fill="{c}">{t}</text>').format(
                x=xs[i], y=height - 10, c=NEUTRAL, t=ellipsize(label, 12))
    for line in chart.series:
        points = [(xs[i], y_of(v)) for i, v in enumerate(line.values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            svg += Markup('<polyline points="{p}" fill="none" stroke="{c}" stroke-width="2"{d}/>').format(
                p=path, c=line.colour, d=Markup(' stroke-dasharray="5 4"') if line.dashed else "")
        for x, y in points:
            svg += Markup('<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{c}"><title>{t}</title></circle>').format(
                x=x, y=y, c=line.colour, t=line.name)
    return svg + Markup("</svg>")


def _clip(v: float) -> float:
    return max(-3.0, min(3.0, v))
