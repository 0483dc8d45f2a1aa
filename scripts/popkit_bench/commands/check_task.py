"""`popkit-bench check-task TASK... | --all [--keep]`: does each task's verification discriminate?"""

from __future__ import annotations

import argparse
import json

from popkit_bench.errors import EXIT_GATE_FAILED, EXIT_OK, InputError
from popkit_bench.execution.task_check import check_tasks, header
from popkit_bench.record.plain import to_plain
from popkit_bench.sandbox.options import add_sandbox_option, announce_sandbox
from popkit_bench.tasks.discovery import discover, resolve_tasks
from popkit_bench.tasks.spec import TaskSpec


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check-task",
        help="check that tasks fail before and pass after their reference solution",
        description="For each task: verification must fail on the initial state and pass after "
        "`git apply <id>.solution.patch`. Exit 0 when every task passes the check, 1 otherwise.",
    )
    parser.add_argument("tasks", nargs="*", metavar="TASK", help="task id or path to a task .yml")
    parser.add_argument("--all", action="store_true", help="check every task found")
    parser.add_argument("--keep", action="store_true", help="keep the temporary run folders")
    parser.add_argument("--tasks-dir", action="append", default=[], help="extra folder of tasks (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    add_sandbox_option(parser, "verification commands")
    parser.set_defaults(func=run)


def select(args: argparse.Namespace) -> list[TaskSpec]:
    """The tasks named on the command line, or all of them with --all."""
    if args.all == bool(args.tasks):
        raise InputError("name tasks or give --all (not both)", expected="check-task TASK... | --all")
    if args.all:
        tasks = discover(args.tasks_dir)
        if not tasks:
            raise InputError("no tasks found")
        return tasks
    chosen: dict[str, TaskSpec] = {}
    for selector in args.tasks:
        for task in resolve_tasks(selector, extra=args.tasks_dir):
            chosen.setdefault(task.id, task)
    return list(chosen.values())


def run(args: argparse.Namespace) -> int:
    tasks = select(args)
    sandbox = announce_sandbox(args.sandbox)
    results = check_tasks(tasks, keep=args.keep, sandbox=sandbox)
    if args.json:
        rows = [
            {"id": r.task_id, "ok": r.ok, "problems": r.problems, "notes": r.notes,
             "before": to_plain(r.before), "after": to_plain(r.after), "run_dir": str(r.run_dir) if args.keep else None}
            for r in results
        ]
        print(json.dumps(rows, indent=2))
    else:
        print(header())
        for result in results:
            print(result.line())
            for problem in result.problems:
                print(f"    problem: {problem}")
            for note in result.notes:
                print(f"    note: {note}")
            if args.keep:
                print(f"    kept: {result.run_dir}")
        good = sum(1 for r in results if r.ok)
        print(f"{good}/{len(results)} tasks pass the check")
    return EXIT_OK if all(r.ok for r in results) else EXIT_GATE_FAILED
