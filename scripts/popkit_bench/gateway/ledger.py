"""Per-trial tokens, usage and budget of the model gateway (thread-safe).

A trial's token is valid from `issue` until `revoke`; every request made with it is charged to the trial.
Budgets: no request starts once the trial's (or the run's) spent dollars reached its limit, so a budget is
overrun by at most the requests already in flight when it was reached (the exact overrun is recorded).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from popkit_bench.gateway.pricing import HIGHEST, cost_usd, price_for
from popkit_bench.gateway.usage import add_usage

TOKEN_PREFIX = "popkit-trial-"


@dataclass
class Grant:
    """One trial's access: its token, where its requests go, its limit and what it used."""

    key: str
    token: str
    upstream: str | None = None  # per-trial upstream base URL (the scripted model's /s/<key>); None = default
    budget_usd: float | None = None
    active: bool = True
    tokens: dict[str, int] = field(default_factory=dict)
    spent_usd: float = 0.0  # charged (unknown models at the highest price)
    cost_usd: float | None = 0.0  # at list price; None once a model without a price was used
    cost_null_reason: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Plain JSON for the trial folder (gateway.json)."""
        return {"key": self.key, "requests": len(self.requests), "tokens": dict(self.tokens),
                "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
                "cost_null_reason": self.cost_null_reason, "charged_usd": round(self.spent_usd, 6),
                "budget_usd": self.budget_usd, "retries": sum(r.get("retries", 0) for r in self.requests),
                "refused": sum(1 for r in self.requests if r.get("refused") and r.get("status") == 400),
                "not_forwarded": sum(1 for r in self.requests if r.get("status") == 404 and r.get("refused")),
                "log": list(self.requests)}


class Ledger:
    """Issues and revokes tokens, and charges usage to trials and to the run."""

    def __init__(self, run_budget_usd: float | None = None) -> None:
        self.run_budget_usd = run_budget_usd
        self.run_spent_usd = 0.0
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, key: str, *, budget_usd: float | None = None, upstream: str | None = None) -> Grant:
        """A new token for trial `key`, valid until revoked."""
        grant = Grant(key=key, token=TOKEN_PREFIX + secrets.token_urlsafe(24), upstream=upstream,
                      budget_usd=budget_usd)
        with self._lock:
            self._grants[grant.token] = grant
        return grant

    def revoke(self, token: str) -> Grant | None:
        """End a token's validity (requests with it are refused from now on); return its grant."""
        with self._lock:
            grant = self._grants.get(token)
            if grant is not None:
                grant.active = False
            return grant

    def active(self, token: str | None) -> Grant | None:
        """The grant of a valid token, else None."""
        if not token:
            return None
        with self._lock:
            grant = self._grants.get(token)
            return grant if grant is not None and grant.active else None

    def refusal(self, grant: Grant) -> str | None:
        """Why a new request of this trial must not start (a budget is spent), else None."""
        with self._lock:
            if grant.budget_usd is not None and grant.spent_usd >= grant.budget_usd:
                return f"the trial's budget of ${grant.budget_usd:g} is spent (${grant.spent_usd:.4f})"
            if self.run_budget_usd is not None and self.run_spent_usd >= self.run_budget_usd:
                return f"the run's budget of ${self.run_budget_usd:g} is spent (${self.run_spent_usd:.4f})"
        return None

    def charge(self, grant: Grant, entry: dict[str, Any], model: str | None, usage: dict[str, int]) -> None:
        """Record one request (its log entry) and charge its usage to the trial and the run."""
        price = price_for(model)
        charged = cost_usd(usage, price or HIGHEST) if usage else 0.0
        entry.update({"model": model, "usage": dict(usage), "charged_usd": round(charged, 6), "at": time.time()})
        with self._lock:
            add_usage(grant.tokens, usage)
            grant.spent_usd += charged
            self.run_spent_usd += charged
            if usage and price is None and grant.cost_usd is not None:
                grant.cost_usd = None
                grant.cost_null_reason = f"no list price for model {model!r} (charged at the highest price)"
            elif grant.cost_usd is not None:
                grant.cost_usd += charged
            grant.requests.append(entry)
