"""`popkit-bench skill run|aggregate|report|triggers`: the skill-forge benchmark flow (eval sets, iterations,
gating) and trigger evaluation (does Claude pick the skill when it should, and only then)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from popkit_bench.commands.run import add_executor_options, executor_fields, positive_float, positive_int
from popkit_bench.errors import EXIT_GATE_FAILED, EXIT_INSUFFICIENT_DATA, InputError
from popkit_bench.sandbox.options import add_sandbox_option, sandbox_for
from popkit_bench.skill.flow import BENCHMARK, Outcome, build, report_only

if TYPE_CHECKING:
    from popkit_bench.planning.arms_file import ArmsFile
    from popkit_bench.skill.config import BenchmarkConfig


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("skill", help="benchmark a skill over an eval set: run, aggregate, report, gate")
    verbs = parser.add_subparsers(dest="skill_verb", metavar="SUBVERB")
    verbs.required = True

    run = verbs.add_parser("run", help="run one iteration (with_skill vs baseline, or the arms of --arms), "
                                       "aggregate, report, gate")
    run.add_argument("config", type=Path, help="benchmark config JSON")
    run.add_argument("--arms", type=Path, metavar="ARMS.yml",
                     help="arms file (docs/formats.md): its baseline arm loads only what the file gives it; every "
                          "other arm gets its own configuration plus the skill under test; the first of those is "
                          "benchmark.json's with_skill and the gated one. Not with baseline_type: previous; "
                          "--resume uses the iteration's own arms")
    run.add_argument("--rehearsal", action="store_true", help="use the scripted model (no API key, no cost)")
    run.add_argument("--workspace", type=Path, help="workspace folder (default: config's, else <skill>-workspace)")
    run.add_argument("--iteration", type=positive_int, help="iteration number (default: the next one)")
    run.add_argument("--resume", action="store_true",
                     help="finish a killed or interrupted iteration (the latest unfinished one, or --iteration N)")
    run.add_argument("--timeout", type=positive_float, help="per-trial timeout in seconds (default: the config's)")
    run.add_argument("--retries", type=int, default=1,
                     help="retries of a trial that failed for an infrastructure reason (default 1)")
    run.add_argument("--budget-usd", type=positive_float,
                     help="budget of the iteration: no trial starts once spent + its expected cost exceeds it")
    run.add_argument("--parallel", type=positive_int, help="trials run at once (default: the config's, 4)")
    run.add_argument("--seed", type=int, default=0, help="seed of the trial order")
    run.add_argument("--claude-bin", help="path of the claude executable")
    run.add_argument("--keep-worktrees", action="store_true", help="keep each trial's working folder")
    run.add_argument("--allow-regressions", action="store_true", help="regressions alone do not fail the gate")
    run.add_argument("--allow-ungraded", action="store_true",
                     help="an eval with no graded assertion does not fail the gate (left out of the pass rate)")
    run.add_argument("--json", action="store_true", help="machine-readable progress events")
    add_sandbox_option(run)
    add_executor_options(run)
    run.set_defaults(func=cmd_run)

    agg = verbs.add_parser("aggregate", help="write benchmark.json from <workspace>/iteration-<N> run folders")
    agg.add_argument("iteration", type=Path, help="iteration folder (ours or skill-creator's)")
    agg.add_argument("--skill-name", required=True, help="the skill's name")
    agg.add_argument("--config", type=Path, help="benchmark config: its thresholds decide thresholds_met")
    agg.add_argument("--previous", type=Path, help="previous benchmark.json or iteration folder")
    agg.set_defaults(func=cmd_aggregate)

    rep = verbs.add_parser("report", help="markdown + HTML report of an iteration; with --config, gate it")
    rep.add_argument("iteration", type=Path, help="iteration folder holding benchmark.json (or run folders)")
    rep.add_argument("--previous", type=Path, help="previous benchmark.json or iteration folder")
    rep.add_argument("--config", type=Path, help="benchmark config: apply its thresholds and gate (exit 1 on FAIL)")
    rep.add_argument("--skill-name", help="skill name when benchmark.json must be aggregated first")
    rep.add_argument("--allow-regressions", action="store_true", help="regressions alone do not fail the gate")
    rep.add_argument("--allow-ungraded", action="store_true",
                     help="an eval with no graded assertion does not fail the gate (left out of the pass rate)")
    rep.set_defaults(func=cmd_report)
    register_triggers(verbs)


def register_triggers(verbs: argparse._SubParsersAction) -> None:
    trig = verbs.add_parser("triggers", help="does Claude pick the skill when it should, and only then "
                                             "(precision, recall, description A/B)")
    trig.add_argument("config", type=Path, help="benchmark config JSON (skill_name, skill_path, rival_skills, ...)")
    trig.add_argument("--queries", type=Path, required=True,
                      help='QUERIES.json: [{"query": "...", "should_trigger": true|false}, ...]')
    trig.add_argument("--runs", type=positive_int, default=1, help="sessions per query (default 1)")
    trig.add_argument("--rehearsal", action="store_true", help="use the scripted model (the config's trigger_play)")
    trig.add_argument("--compare", type=Path, metavar="OTHER_SKILL_FOLDER",
                      help="also run this version of the skill (another description) and compare, paired")
    trig.add_argument("--holdout", type=float, metavar="FRACTION", help="split the queries: tune and holdout parts")
    trig.add_argument("--seed", type=int, default=0, help="seed of the holdout split and of the session order")
    trig.add_argument("--output", type=Path, help="output folder (default <skill>-workspace/triggers/<time>-<skill>); "
                                                  "an interrupted run's folder: only its missing sessions run")
    trig.add_argument("--parallel", type=positive_int, help="sessions at once (default: the config's, 4)")
    trig.add_argument("--timeout", type=positive_float, help="seconds per session (default: the config's, else 300)")
    trig.add_argument("--retries", type=int, default=1,
                      help="retries of a session that failed for an infrastructure reason (default 1)")
    trig.add_argument("--budget-usd", type=positive_float, help="no session starts once spent + its expected cost "
                                                                "exceeds it")
    trig.add_argument("--json", action="store_true", help="machine-readable progress events")
    trig.add_argument("--max-turns", type=positive_int, help="turn limit per session (default: none)")
    trig.add_argument("--claude-bin", help="path of the claude executable")
    add_sandbox_option(trig)
    trig.set_defaults(func=cmd_triggers)


def _folder(path: Path) -> Path:
    path = path.resolve()
    if not path.is_dir():
        raise InputError("iteration folder not found", file=path, expected="a folder such as <workspace>/iteration-1")
    return path


def cmd_run(args: argparse.Namespace) -> int:
    from popkit_bench.agent.preflight import check_before_run
    from popkit_bench.execution.progress import make_progress
    from popkit_bench.skill.config import load_config
    from popkit_bench.skill.evals import load_eval_set
    from popkit_bench.skill.execute import IterationRequest, run_iteration
    from popkit_bench.skill.layout import iteration_dir, latest_unfinished, next_iteration

    cfg = load_config(args.config)
    eval_set = load_eval_set(cfg.eval_set_path, cfg.skill_path)
    workspace = (args.workspace.resolve() if args.workspace else cfg.workspace
                 or cfg.path.parent / f"{cfg.skill_name}-workspace")
    if args.resume:
        number = args.iteration or latest_unfinished(workspace)
    else:
        number = args.iteration or next_iteration(workspace)
    iteration = iteration_dir(workspace, number)
    arms = iteration_arms(args.arms, cfg, iteration)
    total = len(eval_set.evals) * (len(arms.arms) if arms else 2) * cfg.trials_per_eval
    check_before_run(rehearsal=args.rehearsal, claude_bin=args.claude_bin, model=cfg.model)
    run_iteration(IterationRequest(
        config=cfg, eval_set=eval_set, iteration=iteration, rehearsal=args.rehearsal, claude_bin=args.claude_bin,
        parallel=args.parallel, seed=args.seed, keep_worktrees=args.keep_worktrees,
        progress=make_progress(total, as_json=args.json, label=iteration.name), timeout_s=args.timeout,
        retries=max(0, args.retries), budget_usd=args.budget_usd, sandbox=sandbox_for(args.sandbox),
        arms_file=arms, **skill_executor(args),
    ))
    outcome = build(iteration, cfg.skill_name, thresholds=cfg.thresholds, previous=cfg.previous_benchmark,
                    gate=True, allow_regressions=args.allow_regressions, allow_ungraded=args.allow_ungraded)
    return present(outcome, gated=True)


def iteration_arms(path: Path | None, cfg: BenchmarkConfig, iteration: Path) -> ArmsFile | None:
    """The iteration's arms file (None: with_skill + baseline): the one it started with, else --arms (checked
    against the config before anything runs; a started iteration refuses other arms)."""
    from popkit_bench.planning.arms_file import load_arms_file
    from popkit_bench.record.rundir import RunDir
    from popkit_bench.skill.arms import check_arms_file, choose_arms
    from popkit_bench.skill.layout import RUN_FOLDER

    requested = load_arms_file(path) if path else None
    run = RunDir(iteration / RUN_FOLDER)
    arms = choose_arms(requested, run.read_run_json(), run.run_json_path)
    if arms is not None:
        check_arms_file(cfg, arms)
    return arms


def skill_executor(args: argparse.Namespace) -> dict:
    """IterationRequest fields of --executor ray and its options."""
    fields = executor_fields(args)
    if fields["executor"] != "ray":
        return {}
    from popkit_bench.execution.ray.session import RayOptions

    return {"executor": "ray", "ray_options": RayOptions(fields["ray_address"], fields["api_concurrency"],
                                                          fields["api_rate_per_min"], local_slots=args.parallel)}


def cmd_aggregate(args: argparse.Namespace) -> int:
    from popkit_bench.skill.config import load_config

    thresholds = load_config(args.config, check_inputs=False).thresholds if args.config else None
    outcome = build(_folder(args.iteration), args.skill_name, thresholds=thresholds, previous=args.previous)
    return present(outcome, gated=False)


def cmd_report(args: argparse.Namespace) -> int:
    from popkit_bench.skill.config import load_config

    iteration = _folder(args.iteration)
    cfg = load_config(args.config, check_inputs=False) if args.config else None  # gates from the artifacts alone
    previous = args.previous or (cfg.previous_benchmark if cfg else None)
    if args.previous is None and previous is not None and not previous.exists():
        print(f"popkit-bench: the config's previous_benchmark {previous} is gone: no comparison", file=sys.stderr)
        previous = None
    if not (iteration / BENCHMARK).is_file():
        name = args.skill_name or (cfg.skill_name if cfg else None)
        if not name:
            raise InputError(f"no {BENCHMARK} in the folder", file=iteration,
                             expected="run `skill aggregate` first, or give --skill-name or --config")
        outcome = build(iteration, name, thresholds=cfg.thresholds if cfg else None, previous=previous,
                        gate=cfg is not None, allow_regressions=args.allow_regressions,
                        allow_ungraded=args.allow_ungraded)
    else:
        outcome = report_only(iteration, thresholds=cfg.thresholds if cfg else None, previous=previous,
                              gate=cfg is not None, allow_regressions=args.allow_regressions,
                        allow_ungraded=args.allow_ungraded)
    return present(outcome, gated=cfg is not None)


def cmd_triggers(args: argparse.Namespace) -> int:
    from popkit_bench.skill.triggers.flow import TriggersRequest, run_triggers

    outcome = run_triggers(TriggersRequest(
        config=args.config, queries=args.queries, runs=args.runs, rehearsal=args.rehearsal, compare=args.compare,
        holdout=args.holdout, seed=args.seed, output=args.output, parallel=args.parallel, timeout_s=args.timeout,
        max_turns=args.max_turns, claude_bin=args.claude_bin, retries=max(0, args.retries),
        budget_usd=args.budget_usd, json=args.json, sandbox=sandbox_for(args.sandbox),
    ))
    doc = outcome.document
    c = doc["confusion"]
    print(f"skill: {doc['skill_name']}  runs counted: {doc['runs_counted']}/{doc['runs_requested']}  "
          f"tp {c['tp']} fp {c['fp']} tn {c['tn']} fn {c['fn']}")
    for key in ("precision", "recall", "f1"):
        item = doc[key]
        print(f"{key}: " + (_fmt(item["value"]) + f" [{_fmt(item['ci']['low'])}, {_fmt(item['ci']['high'])}]"
                            if item["value"] is not None else f"n/a ({item['reason']})"))
    if doc["comparison"]:
        print(f"vs --compare: {doc['comparison']['all']['mcnemar']['verdict']}")
    if doc["note"]:
        print(doc["note"])
    for path in outcome.paths:
        print(f"{path.suffix.lstrip('.')}: {path}")
    return EXIT_INSUFFICIENT_DATA if doc["runs_counted"] == 0 else 0


def present(outcome: Outcome, *, gated: bool) -> int:
    """Print the summary, the gate verdict and the paths; the exit code (1 when a gated check failed)."""
    bench = outcome.benchmark
    summary = bench["summary"]
    ws, base = summary.get("with_skill") or {}, summary.get("baseline")
    print(f"skill: {bench['skill_name']}  iteration: {bench['iteration']}  evals: {summary['total_evals']}")
    label = (bench.get("model_source") or {}).get("label")
    if label:
        print(f"model: {label}")
    print(f"with_skill: pass rate {_fmt(ws.get('pass_rate'))}, avg tokens {_fmt(ws.get('avg_tokens'))}, "
          f"avg duration {_fmt(ws.get('avg_duration_seconds'))} s")
    if base is None:
        print("baseline: no completed trial (with-skill results only; improvement ratio skipped)")
    else:
        print(f"baseline: pass rate {_fmt(base.get('pass_rate'))}, avg tokens {_fmt(base.get('avg_tokens'))}, "
              f"avg duration {_fmt(base.get('avg_duration_seconds'))} s")
    print(f"improvement_ratio {_fmt(summary.get('improvement_ratio'))}, token_savings_ratio "
          f"{_fmt(summary.get('token_savings_ratio'))}, time_savings_ratio {_fmt(summary.get('time_savings_ratio'))}")
    arms = bench.get("arms") or {}
    for item in arms.get("treatments") or []:
        got = item.get("summary") or {}
        print(f"arm {item['arm']}{' (gated)' if item.get('gated') else ''} vs {arms['baseline']['arm']}: pass rate "
              f"{_fmt(got.get('pass_rate'))}, avg tokens {_fmt(got.get('avg_tokens'))}, improvement_ratio "
              f"{_fmt(item.get('improvement_ratio'))}, token_savings_ratio {_fmt(item.get('token_savings_ratio'))}")
    if outcome.comparison:
        regressions = outcome.comparison["regressions"]
        print(f"vs iteration {outcome.comparison['previous_iteration']}: {len(regressions)} regression(s), "
              f"{len(outcome.comparison['improvements'])} improvement(s)")
    for path in outcome.paths:
        print(f"{path.suffix.lstrip('.')}: {path}")
    if not gated:
        return 0
    tag = model_tag(bench)
    if outcome.failures:
        for failure in outcome.failures:
            print(f"FAIL {failure.describe()}")
        print(f"Gate{tag}: FAIL (improve the skill for the evals named and run `skill run` again; do not "
              "publish until every threshold passes)")
        return EXIT_GATE_FAILED
    print(f"Gate{tag}: PASS")
    return 0


def model_tag(bench: dict) -> str:
    """` [scripted model (rehearsal), not a real model]` on the gate line when the numbers are rehearsal's."""
    source = bench.get("model_source") or {}
    if source.get("kind") == "scripted":
        generic = source.get("generic_play_trials")
        extra = f", generic play in {generic} of {source.get('trials')} trials" if generic else ""
        return f" [scripted model (rehearsal), not a real model{extra}]"
    return " [model not recorded]" if source.get("kind") == "unknown" else ""


def _fmt(value: object) -> str:
    return "n/a" if value is None else f"{value:g}" if isinstance(value, (int, float)) else str(value)
