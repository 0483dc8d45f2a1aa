"""The `--sandbox auto|bwrap|none` option of run, demo, skill run and check-task."""

from __future__ import annotations

import argparse
import sys

from popkit_bench.sandbox.probe import SANDBOX_CHOICES, SandboxChoice, resolve_sandbox


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
