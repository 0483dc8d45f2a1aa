"""Tests that need a working bubblewrap: FAIL in CI (CI=true), skip elsewhere with the reason."""

from __future__ import annotations

import os

import pytest

from popkit_bench.sandbox.probe import probe_bwrap


def require_bwrap() -> str:
    """The bwrap binary; in CI a sandbox that cannot start fails the test instead of skipping it."""
    probe = probe_bwrap()
    if probe.usable and probe.binary:
        return probe.binary
    message = f"bubblewrap cannot start here: {probe.reason} (apt-get install bubblewrap)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)
