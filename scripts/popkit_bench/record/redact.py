"""Credential values of this process never reach a file of the run folder."""

from __future__ import annotations

from popkit_bench.agent.isolation import secret_values


def redact_credentials(text: str) -> str:
    """The text with every credential value present in this process replaced by `[redacted]`."""
    for secret in secret_values():
        text = text.replace(secret, "[redacted]")
    return text
