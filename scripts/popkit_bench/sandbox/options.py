"""The `--sandbox auto|bwrap|none` option of run, demo, skill run and check-task."""

from __future__ import annotations

import argparse
import sys

from popkit_bench.errors import InputError
from popkit_bench.sandbox.probe import (
    LEVEL_BWRAP,
    LEVEL_NONE,
    SANDBOX_CHOICES,
    SandboxChoice,
    resolve_sandbox,
)

WATCH_WARNING = ("WARNING: --watch runs each session in a terminal window outside the sandbox: trials run WITHOUT "
                 "a sandbox (the model gateway still keeps your key out of them)")


def add_sandbox_option(parser: argparse.ArgumentParser, what: str = "each trial") -> None:
    parser.add_argument(
        "--sandbox", choices=SANDBOX_CHOICES, default="auto",
        help=f"confine {what}: auto = bubblewrap when it can start here (else none, with a warning); "
             "bwrap = bubblewrap or exit 2; none = no confinement (see docs/sandbox.md)")


def announce_sandbox(requested: str) -> SandboxChoice:
    """Resolve the option (InputError for an unusable `bwrap`); print the warning loudly when unconfined."""
    choice = resolve_sandbox(requested)
    if choice.warning:
        print(f"popkit-bench: {choice.warning}", file=sys.stderr, flush=True)
    return choice


def sandbox_for(requested: str, *, watch: bool = False) -> SandboxChoice:
    """The run's level (InputError for an unusable `bwrap`); --watch sessions cannot be confined."""
    choice = resolve_sandbox(requested)
    if watch and choice.level == LEVEL_BWRAP:
        if requested == LEVEL_BWRAP:
            raise InputError("--watch runs sessions in terminal windows, outside the sandbox", field="--sandbox",
                             expected="--sandbox auto or none with --watch, or no --watch")
        return SandboxChoice(LEVEL_NONE, requested, WATCH_WARNING)
    return choice
