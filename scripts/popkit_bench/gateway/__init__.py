"""The loopback model gateway: holds the user's credential, gives each trial a revocable token, counts
every request's usage per trial, enforces budgets and retries overload centrally."""

from popkit_bench.gateway.ledger import Grant, Ledger
from popkit_bench.gateway.server import ModelGateway
from popkit_bench.gateway.upstream import Credential, RetryPolicy, user_credential
from popkit_bench.gateway.usage import cli_totals, cross_check

__all__ = ["Credential", "Grant", "Ledger", "ModelGateway", "RetryPolicy", "cli_totals", "cross_check",
           "user_credential"]
