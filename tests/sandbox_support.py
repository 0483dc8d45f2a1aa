"""Tests that need a working bubblewrap: they fail, never skip, when it cannot start (`make test` and
`.ci/run` install it)."""

from __future__ import annotations

import pytest

from popkit_bench.sandbox.probe import probe_bwrap


def require_bwrap() -> str:
    """The bwrap binary; a sandbox that cannot start fails the test with the reason and the fix."""
    probe = probe_bwrap()
    if probe.usable and probe.binary:
        return probe.binary
    pytest.fail(f"bubblewrap cannot start here: {probe.reason} (`make sandbox` or apt-get install bubblewrap)")
