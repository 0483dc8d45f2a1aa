"""Number formatting with units (and cutting text to a width). Every report format prints values through these
functions only."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

MISSING = "n/a"


def is_number(value: Any) -> bool:
    """A finite int or float (not bool)."""
    return _is_number(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _grouped(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def value(x: Any, unit: str = "") -> str:
    """A metric value with its unit: `12,345 tokens`, `$0.0123`, `12.3 s`, `85.0%`, `4.2`.

    Units as the analysis names them: tokens, USD (or $), s, fraction (or %, shown as percent), count.
    """
    if not _is_number(x):
        return MISSING
    if unit in ("count", ""):
        return number(x)
    if unit == "tokens":
        return f"{_grouped(x, 0)} tokens"
    if unit in ("$", "USD"):
        sign = "-" if x < 0 else ""
        return f"{sign}${abs(x):,.4f}" if abs(x) < 1 else f"{sign}${abs(x):,.2f}"
    if unit == "s":
        return f"{_grouped(x, 1)} s"
    if unit in ("%", "fraction"):  # fractions 0..1 shown as percent
        return f"{x * 100:.1f}%"
    return f"{number(x)} {unit}"


def number(x: Any) -> str:
    """A bare number: integers without decimals, others with 1-3 significant decimals."""
    if not _is_number(x):
        return MISSING
    if float(x).is_integer() and abs(x) < 1e15:
        return _grouped(x, 0)
    if abs(x) >= 100:
        return _grouped(x, 0)
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def signed_value(x: Any, unit: str = "") -> str:
    """A difference with an explicit sign: `+1,200 tokens`, `-3.4 s`; fractions in points: `+20.0 pp`."""
    if not _is_number(x):
        return MISSING
    if unit in ("%", "fraction"):
        return pct_points(x)
    text = value(abs(x), unit)
    return ("+" if x > 0 else "-" if x < 0 else "") + text


def pct(x: Any) -> str:
    """A relative change given as a fraction (0.23 -> `+23.0%`)."""
    if not _is_number(x):
        return MISSING
    return f"{x * 100:+.1f}%"


def pct_points(x: Any) -> str:
    """A difference of proportions in percentage points (0.2 -> `+20.0 pp`)."""
    if not _is_number(x):
        return MISSING
    return f"{x * 100:+.1f} pp"


def p_value(x: Any) -> str:
    """A p-value: `0.012`, `<0.001`."""
    if not _is_number(x):
        return MISSING
    if x < 0.001:
        return "<0.001"
    return f"{x:.3f}"


def p_clause(x: Any) -> str:
    """A p-value in a sentence: `p=0.012`, `p<0.001`."""
    text = p_value(x)
    return f"p{text}" if text.startswith("<") else f"p={text}"


def ellipsize(text: Any, width: int, *, keep_end: bool = False) -> str:
    """`text` cut to `width` characters ending in '…' (starting with it when the end matters, as in paths)."""
    text = str(text)
    if len(text) <= width:
        return text
    return "\u2026" + text[-(width - 1):] if keep_end else text[: width - 1] + "\u2026"


def interval(lo: Any, hi: Any, one: Callable[[Any], str]) -> str:
    """`[lo, hi]`, each end formatted by `one`; n/a when either end is missing."""
    if not (_is_number(lo) and _is_number(hi)):
        return MISSING
    return f"[{one(lo)}, {one(hi)}]"


def ci(obj: Any, one: Callable[[Any], str]) -> str:
    """An analysis interval object `{"low", "high", "level"}` formatted by `one`."""
    if not isinstance(obj, dict):
        return MISSING
    return interval(obj.get("low"), obj.get("high"), one)


def effect(g: Any, label: str | None) -> str:
    """Hedges' g with its sign and label: `-1.23 (large)`."""
    if not _is_number(g):
        return MISSING
    return f"{g:+.2f}" + (f" ({label})" if label else "")


def effect_label(g: Any) -> str | None:
    """Cohen's labels on |g|: negligible < 0.2 <= small < 0.5 <= medium < 0.8 <= large."""
    if not _is_number(g):
        return None
    size = abs(g)
    if size >= 0.8:
        return "large"
    if size >= 0.5:
        return "medium"
    if size >= 0.2:
        return "small"
    return "negligible"


def share(x: Any) -> str:
    """A proportion as a whole percentage (0.42 -> `42%`)."""
    return MISSING if not _is_number(x) else f"{x * 100:.0f}%"


def kilo(x: Any) -> str:
    """A count in thousands from 1,000 on (12345 -> `12.3K`)."""
    if not _is_number(x):
        return MISSING
    return f"{x / 1000:.1f}K" if abs(x) >= 1000 else f"{x:.0f}"


def secs(x: Any) -> str:
    """Seconds with one decimal (`12.3s`)."""
    return MISSING if not _is_number(x) else f"{x:.1f}s"


def times(x: Any) -> str:
    """A ratio (`0.53x`)."""
    return MISSING if not _is_number(x) else f"{x:.2f}x"


def sd(x: Any) -> str:
    """A standard deviation with two decimals."""
    return MISSING if not _is_number(x) else f"{x:.2f}"


def signed_format(x: Any, template: str) -> str:
    """`template` applied to x with an explicit + for positive values."""
    return MISSING if not _is_number(x) else ("+" if x > 0 else "") + template.format(x)


def age(start: Any, end: Any) -> str:
    """How long before `end` the ISO time `start` was: '3 d', '5 h', '12 min' ('' when either is unknown)."""
    from datetime import datetime

    try:
        seconds = (datetime.fromisoformat(str(end).replace("Z", "+00:00"))
                   - datetime.fromisoformat(str(start).replace("Z", "+00:00"))).total_seconds()
    except ValueError:
        return ""
    seconds = max(0.0, seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"
