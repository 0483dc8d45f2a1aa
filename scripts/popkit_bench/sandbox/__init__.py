"""Confinement of a trial's processes: bubblewrap namespaces, private files, loopback-only network."""

from popkit_bench.execution.executor import NoConfinement
from popkit_bench.sandbox.confine import Confinement
from popkit_bench.sandbox.probe import LEVEL_BWRAP, LEVEL_NONE, SANDBOX_CHOICES, resolve_sandbox

__all__ = ["Confinement", "NoConfinement", "LEVEL_BWRAP", "LEVEL_NONE", "SANDBOX_CHOICES", "resolve_sandbox"]
