"""`popkit-bench validate PATH...`: check task, responses and play files, skill benchmark configs and eval sets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from popkit_bench.errors import EXIT_BAD_INPUT, InputError
from popkit_bench.tasks.validate import files_to_check, validate_file


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("validate", help="validate task / responses / play files, skill configs and eval sets")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only errors")
    parser.set_defaults(func=run)


def check(path: Path) -> str:
    """Validate one file: a skill config or eval set by its keys, else by its name (tasks with their codebase)."""
    from popkit_bench.skill.validate import skill_file_kind, validate_skill_file
    from popkit_bench.workspace.codebase import check_codebase

    if path.suffix == ".json" and not path.name.endswith("-responses.json") and path.is_file() \
            and skill_file_kind(path) is not None:
        return validate_skill_file(path)
    return validate_file(path, check_codebase)


def expand(paths: list[str]) -> list[Path]:
    """Task, responses and play files, and in folders also skill configs and eval sets."""
    from popkit_bench.skill.validate import skill_files

    files = files_to_check(paths)
    for raw in paths:
        if Path(raw).is_dir():
            files += [p for p in skill_files(Path(raw)) if p not in files]
    return files


def run(args: argparse.Namespace) -> int:
    files = expand(args.paths)
    if not files:
        raise InputError("no task, responses, play, skill config or eval set files found in " + ", ".join(args.paths))
    bad = 0
    for path in files:
        try:
            kind = check(path)
        except InputError as exc:
            bad += 1
            print(f"popkit-bench: error: {exc}", file=sys.stderr)
            continue
        if not args.quiet:
            print(f"ok  {path}  ({kind})")
    if bad:
        print(f"{bad} of {len(files)} file(s) invalid", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0
