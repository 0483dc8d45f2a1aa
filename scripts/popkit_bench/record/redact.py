"""Credential values of this process never reach a file of the run folder.

One implementation: popkit_shared/redact.py (provider key formats, private keys, URL credentials and the
values of this process's credential variables), shared with the reports and verification output.
"""

from __future__ import annotations

from popkit_shared.redact import redact


def redact_credentials(text: str) -> str:
    """The text with every secret replaced by `[REDACTED:<kind>]`."""
    return redact(text)
