"""The `popkit-bench` command line: one sub-command per verb, each registered by its own module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from popkit_bench import __version__
from popkit_bench.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, BenchError

# Each module defines `register(subparsers)`, which adds its verb(s) and sets `func(args) -> int`.
VERB_MODULES = (
    "popkit_bench.commands.run",
    "popkit_bench.commands.demo",
    "popkit_bench.commands.analyze",
    "popkit_bench.commands.report",
    "popkit_bench.commands.compare",
    "popkit_bench.commands.validate",
    "popkit_bench.commands.list_tasks",
    "popkit_bench.commands.check_task",
    "popkit_bench.commands.skill",
)


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every verb."""
    parser = argparse.ArgumentParser(
        prog="popkit-bench",
        description="Benchmark Claude Code plugins and skills against a baseline, with honest statistics.",
    )
    parser.add_argument("--version", action="version", version=f"popkit-bench {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    for name in VERB_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch, and map errors to exit codes (0, 1, 2, 3, 130)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BenchError as exc:
        print(f"popkit-bench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("popkit-bench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except FileNotFoundError as exc:
        print(f"popkit-bench: error: {exc.filename or exc}: no such file or directory", file=sys.stderr)
        return EXIT_BAD_INPUT
