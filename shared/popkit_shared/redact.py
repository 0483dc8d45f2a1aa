"""Redact secrets from text that leaves a trial (reports, conversation views, verification output, harness
errors): the one implementation every stage uses.

Built in: API keys of the major providers (Anthropic `sk-ant-...`, OpenAI `sk-...`, AWS `AKIA...`/`ASIA...`,
GitHub `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_`/`github_pat_`, Google `AIza...`, Slack `xox?-...`), private key
blocks (`-----BEGIN ... PRIVATE KEY-----` to its END line, or to the end of a cut text), credentials in
URLs (`scheme://user:password@`), and the exact values of credential variables in this process's
environment. Users add their own patterns (`--redact REGEX`). Every pattern runs on RE2 (linear time).
A redacted secret becomes `[REDACTED:<kind>]`; the Redactor counts what it replaced, per kind, and counts
markers already in the text (redacted earlier, e.g. in results.jsonl) so a report can say how many.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from popkit_shared.safe_regex import compile_pattern

MARKER = "[REDACTED:{kind}]"
MARKER_RE = re.compile(r"\[REDACTED:[a-z0-9-]+\]")
BUILTIN: tuple[tuple[str, str, str | None], ...] = (  # (kind, pattern, replacement keeping group 1 or None)
    ("private-key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)", None),
    ("anthropic-key", r"sk-ant-[A-Za-z0-9_\-]{16,}", None),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", None),
    ("aws-access-key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", None),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})", None),
    ("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}", None),
    ("slack-token", r"\bxox[abposre]-[A-Za-z0-9\-]{10,}", None),
    ("url-credentials", r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s:@'\"<>]+:[^/\s@'\"<>]+@", "\\1{marker}@"),
)
# a text containing none of these cannot match a built-in pattern: skip the regexes (reports are big)
TRIGGERS = ("sk-", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "AIza", "xox",
            "PRIVATE KEY", "://")
SECRET_SUFFIXES = ("_KEY", "_TOKEN", "_SECRET", "_PASSWORD", "_PASSWD", "_CREDENTIALS")
MIN_SECRET_LEN = 8


def env_secrets(environ: dict[str, str] | None = None) -> list[str]:
    """Values of this process's credential variables (names ending _KEY, _TOKEN, _SECRET, _PASSWORD, or
    holding SECRET), at least 8 characters long; longest first."""
    env = os.environ if environ is None else environ
    names = [k for k in env if k.upper().endswith(SECRET_SUFFIXES) or "SECRET" in k.upper()]
    return sorted({env[k] for k in names if len(env[k]) >= MIN_SECRET_LEN}, key=len, reverse=True)


class Redactor:
    """Replaces secrets in text and JSON-like data; `counts` says how many, per kind."""

    def __init__(self, extra_patterns: Iterable[str] = (), secrets: Iterable[str] | None = None) -> None:
        self.rules = [(kind, compile_pattern(p, ignore_case=False), r) for kind, p, r in BUILTIN]
        self.rules += [("user-pattern", compile_pattern(p, ignore_case=False), None) for p in extra_patterns]
        self.secrets = [s for s in (env_secrets() if secrets is None else secrets) if s]
        self.counts: Counter[str] = Counter()

    @property
    def total(self) -> int:
        """Secrets redacted so far (markers found already in the text included)."""
        return sum(self.counts.values())

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by its marker."""
        if not text:
            return text
        self.counts["earlier"] += len(MARKER_RE.findall(text))
        for secret in self.secrets:
            if secret in text:
                self.counts["environment-secret"] += text.count(secret)
                text = text.replace(secret, MARKER.format(kind="environment-secret"))
        builtin = any(t in text for t in TRIGGERS)
        for kind, pattern, replacement in self.rules:
            if kind != "user-pattern" and not builtin:
                continue
            marker = MARKER.format(kind=kind)
            text, found = pattern.subn(replacement.format(marker=marker) if replacement else marker, text)
            self.counts[kind] += found
        return text

    def redact_data(self, data: Any) -> Any:
        """A copy of JSON-like data (dicts, lists, strings) with every string redacted; keys are kept."""
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, dict):
            return {k: self.redact_data(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self.redact_data(v) for v in data]
        if isinstance(data, tuple):
            return tuple(self.redact_data(v) for v in data)
        return data

    def summary(self) -> dict[str, Any]:
        """{count, by_kind, user_patterns} for a report."""
        by_kind = {k: v for k, v in sorted(self.counts.items()) if v}
        return {"count": self.total, "by_kind": by_kind,
                "user_patterns": sum(1 for kind, _, _ in self.rules if kind == "user-pattern")}


def redact(text: str) -> str:
    """Redact with the built-in patterns and this process's credential values (no user patterns)."""
    return Redactor().redact(text)
