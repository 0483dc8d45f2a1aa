"""`popkit-bench run TASK|all [options]` and `run --resume RUN_DIR`: run a benchmark, then analyse and report it."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from popkit_bench.agent.preflight import check_before_run
from popkit_bench.commands.report import redact_pattern
from popkit_bench.errors import EXIT_INSUFFICIENT_DATA, EXIT_INTERRUPTED, InputError
from popkit_bench.execution.api_health import ApiStopped, no_usage_reason
from popkit_bench.execution.benchmark_run import BenchmarkRun, RunRequest, default_parallel
from popkit_bench.execution.interrupts import RunInterrupted
from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.planning.arms_file import ArmsFile, load_arms_file
from popkit_bench.planning.plugin_info import default_plugin, read_plugin
from popkit_bench.record.journal_text import check_journal
from popkit_bench.record.rundir import RESULTS, RunDir, default_run_dir
from popkit_bench.report.publish import analyse_and_report
from popkit_bench.sandbox.options import add_sandbox_option, sandbox_for
from popkit_bench.tasks.discovery import resolve_tasks
from popkit_bench.tasks.spec import load_task
from popkit_bench.tasks.validate import check_side_files
from popkit_bench.workspace.task_digests import take_digests

DEFAULT_RUNS_DIR = Path(".popkit") / "runs"
DEFAULT_REPORT_DIR = Path("docs") / "benchmark" / "results"
# Options that `--resume` takes from run.json unless given again on the command line.
RESUMABLE = {"timeout": "timeout_s", "max_turns": "max_turns", "max_budget_usd": "max_budget_usd",
             "model": None, "retries": "retries", "budget_usd": "budget_usd", "max_trials": "max_trials",
             "decision_metric": "decision_metric", "keep_worktrees": "keep_worktrees", "watch": "watch",
             "sequential": "sequential"}  # --executor and its options: executor_fields


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="run a task (or all) with and without the plugin under test")
    parser.add_argument("task", nargs="?", default=None, help="task id, path to a task .yml, or 'all'")
    add_run_options(parser)
    parser.set_defaults(func=run)


def add_run_options(parser: argparse.ArgumentParser, *, trials_default: int = 3) -> None:
    """Options shared by `run` and `demo`."""
    parser.set_defaults(trials_default=trials_default)
    parser.add_argument("--trials", type=positive_int, default=None,
                        help=f"trials per arm and task (default {trials_default}; with --sequential: the batch size)")
    parser.add_argument("--plugin-dir", action="append", default=[], metavar="DIR",
                        help="plugin under test (repeat for more treatment arms); default: popkit-ops itself")
    parser.add_argument("--arms", type=Path, metavar="FILE",
                        help="arms file: the configurations to compare (plugins, skills, CLAUDE.md, settings, MCP, "
                             "model, Claude Code version, ...; docs/formats.md); replaces --plugin-dir")
    parser.add_argument("--reuse", action="append", default=[], type=Path, metavar="RUN_DIR",
                        help="count the trials of an earlier run's arms whose fingerprint matches instead of running "
                             "them again (repeatable)")
    parser.add_argument("--category", help="run every task of this category")
    parser.add_argument("--tasks-dir", action="append", default=[], help="extra folder of tasks")
    parser.add_argument("--rehearsal", action="store_true",
                        help="use the scripted model on 127.0.0.1 (no API key, no cost)")
    parser.add_argument("--run-dir", type=Path,
                        help="run folder (default: a new folder under .popkit/runs/); an existing one is resumed")
    parser.add_argument("--resume", type=Path, metavar="RUN_DIR",
                        help="finish an interrupted or killed run: re-create its request from run.json and run "
                             "only the trials without a final record")
    parser.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR, help="where reports are written")
    parser.add_argument("--no-report", action="store_true", help="skip analysis and reports")
    parser.add_argument("--parallel", type=positive_int, default=None,
                        help="trials run at once (default: min(CPUs, free GB / 1.5, 8))")
    parser.add_argument("--seed", type=int, default=None, help="seed of the trial order and bootstrap (default 0)")
    parser.add_argument("--timeout", type=positive_float, help="per-trial timeout in seconds (default: the task's)")
    parser.add_argument("--max-turns", type=positive_int, help="passed to claude --max-turns")
    parser.add_argument("--max-budget-usd", type=positive_float, help="passed to claude --max-budget-usd (per trial)")
    parser.add_argument("--budget-usd", type=positive_float,
                        help="budget of the whole run: no trial starts once spent + its expected cost exceeds it")
    parser.add_argument("--retries", type=int, default=None,
                        help="retries of a trial that failed for an infrastructure reason (API 5xx/529, CLI crash "
                             "before the first turn); default 1. A trial that failed the task is never retried")
    parser.add_argument("--sequential", action="store_true",
                        help="run --trials per arm at a time and stop early for a clear difference or futility")
    parser.add_argument("--max-trials", type=positive_int, help="with --sequential: at most this many trials per arm")
    parser.add_argument("--decision-metric", default=None,
                        help="with --sequential: the metric the stopping rule looks at (default tokens_total)")
    parser.add_argument("--watch", action="store_true",
                        help="show each trial's Claude Code session in its own terminal window")
    parser.add_argument("--model", help="model for both arms (claude --model)")
    parser.add_argument("--keep-worktrees", action="store_true", help="keep each trial's worktree")
    parser.add_argument("--claude-bin", help="path of the claude executable")
    parser.add_argument("--json", action="store_true", help="print machine-readable progress events")
    parser.add_argument("--redact", action="append", default=[], type=redact_pattern, metavar="REGEX",
                        help="also redact text matching REGEX (RE2 syntax) from the reports; repeatable")
    add_sandbox_option(parser)
    add_executor_options(parser)


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """Where trials run: here, or across a Ray cluster (run, demo and skill run)."""
    parser.add_argument("--executor", choices=("local", "ray"), default=None,
                        help="local (default): trials run on this machine; ray: each trial is a Ray task on a "
                             "node of a cluster (needs the `ray` extra)")
    parser.add_argument("--ray-address", metavar="ADDR",
                        help="with --executor ray: the cluster's head (HOST:PORT or ray://HOST:PORT); "
                             "default: start a local Ray on this machine")
    parser.add_argument("--api-concurrency", type=positive_int, metavar="N",
                        help="with --executor ray: Claude Code sessions at once over the whole cluster "
                             "(default: the cluster's trial slots)")
    parser.add_argument("--api-rate", type=float, metavar="PER_MIN",
                        help="with --executor ray: session starts per minute over the whole cluster (default: no limit)")


def executor_fields(args: argparse.Namespace, stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """RunRequest fields of --executor and its options (a resume takes the stored ones unless given again)."""
    stored = stored or {}
    if getattr(args, "executor", None) == "local":
        stored = {}  # resuming a Ray run here: none of its cluster options apply
    fields = {"executor": getattr(args, "executor", None) or stored.get("executor") or "local",
              "ray_address": getattr(args, "ray_address", None) or stored.get("ray_address"),
              "api_concurrency": getattr(args, "api_concurrency", None) or stored.get("api_concurrency"),
              "api_rate_per_min": getattr(args, "api_rate", None) or stored.get("api_rate_per_min")}
    if fields["executor"] != "ray" and any(fields[k] for k in ("ray_address", "api_concurrency", "api_rate_per_min")):
        raise InputError("--ray-address, --api-concurrency and --api-rate need --executor ray",
                         expected="--executor ray --ray-address HOST:PORT")
    if fields["executor"] == "ray" and getattr(args, "watch", False):
        raise InputError("--watch opens a window per trial on this machine; not with --executor ray",
                         expected="--executor local --watch, or --executor ray without --watch")
    return fields


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number above zero (NaN and infinity are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {text!r}")
    return value


def choose_parallel(args: argparse.Namespace, executor: str | None = None) -> int:
    """--parallel, else the default from CPUs and free memory (said on stderr); with --executor ray, 0: the
    cluster's trial slots (known once connected)."""
    if args.parallel:
        return int(args.parallel)
    if (executor or getattr(args, "executor", None)) == "ray":
        return 0
    value = default_parallel()
    print(f"popkit-bench: --parallel {value} (default from CPU count and free memory)", file=sys.stderr)
    return value


def build_request(args: argparse.Namespace, label_default: str) -> RunRequest:
    """Turn parsed options into a RunRequest (tasks resolved, plugins read)."""
    if getattr(args, "resume", None):
        return resume_request(args)
    if args.task is None and not args.category:
        raise InputError("which task?", expected="a task id, 'all', or --category C (see `popkit-bench list`)")
    tasks = resolve_tasks(args.task, category=args.category, extra=args.tasks_dir)
    if args.arms and args.plugin_dir:
        raise InputError("give either --arms or --plugin-dir, not both", field="--plugin-dir",
                         expected="the plugin as an arm in the arms file (plugin_dirs: [...])")
    arms = load_arms_file(args.arms) if args.arms else None
    plugins = [] if arms else [read_plugin(p) for p in args.plugin_dir] or [default_plugin()]
    label = tasks[0].id if len(tasks) == 1 else (args.category or label_default)
    run_dir = args.run_dir or default_run_dir(DEFAULT_RUNS_DIR, label)
    if args.max_trials and not args.sequential:
        raise InputError("--max-trials needs --sequential", expected="--sequential --trials B --max-trials N")
    where = executor_fields(args)
    return RunRequest(
        tasks=tasks, plugins=plugins, trials=args.trials or args.trials_default, run_dir=Path(run_dir).resolve(),
        rehearsal=args.rehearsal, parallel=choose_parallel(args, where["executor"]), seed=args.seed or 0, timeout_s=args.timeout,
        max_turns=args.max_turns, max_budget_usd=args.max_budget_usd, model=args.model,
        keep_worktrees=args.keep_worktrees, claude_bin=args.claude_bin, json_progress=args.json,
        argv=sys.argv[1:], retries=1 if args.retries is None else max(0, args.retries), budget_usd=args.budget_usd,
        sequential=args.sequential, max_trials=args.max_trials,
        decision_metric=args.decision_metric or "tokens_total", watch=args.watch,
        runs_dirs=[DEFAULT_RUNS_DIR, Path(run_dir).resolve().parent], arms=arms,
        reuse=[Path(p).resolve() for p in args.reuse],
        sandbox=sandbox_for(args.sandbox, watch=args.watch), **where,
    )


def stored_arms(info: dict[str, Any]) -> ArmsFile | None:
    """The arms of a run made with --arms, from its run.json (None for a --plugin-dir run)."""
    if not info.get("arms_file"):
        return None
    arms = tuple(ArmDefinition.from_json(a) for a in info.get("arms") or [])
    return ArmsFile(arms, str(info.get("baseline_arm") or arms[0].name), Path(info["arms_file"]))


def resume_request(args: argparse.Namespace) -> RunRequest:
    """The request of an earlier run, re-created from its run.json (flags given again override options)."""
    run_dir = Path(args.resume).resolve()
    info = RunDir(run_dir).read_run_json()
    if info is None:
        raise InputError("no run.json in this folder (not a run folder?)", file=run_dir)
    try:
        tasks = [load_task(t["path"]) for t in info["tasks"]]
        plugins = [read_plugin(p["path"]) for p in info["plugins"]]
        arms = stored_arms(info)
        options: dict[str, Any] = dict(info.get("options") or {})
        trials = int(info.get("trials_per_arm") or 1)
        if options.get("sequential"):
            trials = int((info.get("sequential") or {}).get("batch_size") or trials)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"run.json lacks what a resume needs: {exc}", file=run_dir / "run.json") from None
    chosen = {}
    for flag, key in RESUMABLE.items():
        given = getattr(args, flag, None)
        stored = info.get("model") if key is None else options.get(key)
        chosen[flag] = given if given not in (None, False) else stored
    where = executor_fields(args, options)
    return RunRequest(
        tasks=tasks, plugins=plugins, trials=args.trials or trials, run_dir=run_dir,
        rehearsal=bool(info.get("rehearsal")) or args.rehearsal, parallel=choose_parallel(args, where["executor"]),
        seed=int(info.get("seed") or 0) if args.seed is None else args.seed, timeout_s=chosen["timeout"],
        max_turns=chosen["max_turns"], max_budget_usd=chosen["max_budget_usd"], model=chosen["model"],
        keep_worktrees=bool(chosen["keep_worktrees"]),
        claude_bin=args.claude_bin or (info.get("claude_code") or {}).get("binary"), json_progress=args.json,
        argv=sys.argv[1:], retries=1 if chosen["retries"] is None else int(chosen["retries"]),
        budget_usd=chosen["budget_usd"], sequential=bool(chosen["sequential"]), max_trials=chosen["max_trials"],
        decision_metric=chosen["decision_metric"] or "tokens_total", watch=bool(chosen["watch"]),
        runs_dirs=[DEFAULT_RUNS_DIR, run_dir.parent], arms=arms,
        reuse=[Path(p).resolve() for p in args.reuse],
        sandbox=sandbox_for(args.sandbox, watch=bool(chosen["watch"])), **where,
    )


def execute(request: RunRequest, args: argparse.Namespace) -> int:
    """Run, then analyse and report; print the run folder and report paths last.

    Without --rehearsal a preflight request checks login, model and API first. A binary results journal or a bad responses file is refused before anything runs; task files changed
    during the run (digests taken here, at start) stop it before its results are analysed."""
    check_journal(request.run_dir / RESULTS)
    check_side_files(request.tasks)
    digests = take_digests(request.tasks)
    check_before_run(rehearsal=request.rehearsal, claude_bin=request.claude_bin, model=request.model)
    benchmark = BenchmarkRun(request)
    try:
        records = benchmark.execute()
    except RunInterrupted as exc:
        print(f"popkit-bench: {exc}", file=sys.stderr)
        digests.verify()
        return finished(request, args, EXIT_INTERRUPTED)
    except ApiStopped as exc:
        print(f"popkit-bench: {exc}", file=sys.stderr)
        digests.verify()
        return finished(request, args, exc.exit_code)
    digests.verify()
    empty = no_usage_reason(records)
    if empty:
        print(f"popkit-bench: no verdict: {empty}", file=sys.stderr)
        return finished(request, args, EXIT_INSUFFICIENT_DATA)
    code = 0
    if not args.no_report:
        code = analyse_and_report(request.run_dir, args.report_dir, seed=request.seed,
                                  redact=tuple(getattr(args, "redact", None) or ()))
    return finished(request, args, code)


def finished(request: RunRequest, args: argparse.Namespace, code: int) -> int:
    """The last line: the run folder (and, with --json, a final `run_end` event)."""
    print(f"run folder: {request.run_dir}")
    if args.json:
        print(json.dumps({"event": "run_end", "run_dir": str(request.run_dir), "exit_code": code}), flush=True)
    return code


def run(args: argparse.Namespace) -> int:
    return execute(build_request(args, "suite"), args)
