"""Regular expressions from user files (responses files) on a linear-time engine, so none can hang a run.

google-re2 (a base dependency of popkit-ops) matches in time linear in the subject: a catastrophically
backtracking pattern such as `(a+)+$` costs microseconds, not years. RE2 has no backreferences or
look-around; such patterns are refused with PatternError (the loaders turn it into a clear input error).

When re2 cannot be imported (the plugin's hook runs under the system `python3`, which may lack it), Python's
`re` is used: patterns were already checked by `popkit-bench validate`/`run` under re2, and a hook is
killed by Claude Code after its 30 s timeout, so a hang there is bounded. `ENGINE` says which one is active.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

try:  # pragma: no branch - which branch depends on the interpreter
    import re2 as _re2
except ImportError:  # the hook's system python3
    _re2 = None

ENGINE = "re2" if _re2 is not None else "re"
RE2_SYNTAX = "RE2 syntax (no backreferences such as \\1, no look-ahead/look-behind such as (?=...) or (?<=...))"


class Pattern(Protocol):
    """What callers use of a compiled pattern."""

    pattern: Any

    def search(self, text: str) -> Any: ...

    def subn(self, replacement: Any, text: str) -> tuple[str, int]: ...


class PatternError(ValueError):
    """A pattern the engine cannot compile; `reason` is the engine's own words."""

    def __init__(self, pattern: str, reason: str) -> None:
        self.pattern, self.reason = pattern, reason
        super().__init__(f"invalid regular expression {pattern!r}: {reason}")


def compile_pattern(pattern: str, *, ignore_case: bool = True) -> Pattern:
    """Compile with RE2 (linear time); PatternError when RE2 (or `re`, without RE2) rejects it."""
    if _re2 is None:
        try:
            return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
        except re.error as exc:
            raise PatternError(pattern, str(exc)) from None
    options = _re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False
    try:
        return _re2.compile(pattern, options)
    except _re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        raise PatternError(pattern, reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason))\
            from None
