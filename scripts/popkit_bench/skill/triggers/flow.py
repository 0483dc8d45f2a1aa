"""`skill triggers` from arguments to files: config + queries -> installs -> sessions -> triggers.json/.md/.html."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.agent.cli_locator import cli_version, find_claude
from popkit_bench.errors import InputError
from popkit_bench.execution.progress import make_progress
from popkit_bench.record.rundir import default_run_dir, utc_now
from popkit_bench.sandbox.probe import LEVEL_NONE, SandboxChoice
from popkit_bench.skill.jsonio import write_json
from popkit_bench.skill.triggers.config import TriggerConfig, load_trigger_config
from popkit_bench.skill.triggers.document import RunFacts, build_document
from popkit_bench.skill.triggers.install import Installation, install
from popkit_bench.skill.triggers.queries import TriggerQuery, load_queries, split_holdout
from popkit_bench.skill.triggers.report import write_reports
from popkit_bench.skill.triggers.schedule import TriggerTrials, run_trials


@dataclass
class TriggersRequest:
    """The verb's arguments."""

    config: Path
    queries: Path
    runs: int = 1
    rehearsal: bool = False
    compare: Path | None = None
    holdout: float | None = None
    seed: int = 0
    output: Path | None = None
    parallel: int | None = None
    timeout_s: float | None = None
    max_turns: int | None = None
    claude_bin: str | None = None
    retries: int = 1
    budget_usd: float | None = None
    json: bool = False
    sandbox: SandboxChoice = field(default_factory=lambda: SandboxChoice(LEVEL_NONE, LEVEL_NONE))


@dataclass
class TriggersOutcome:
    document: dict[str, Any]
    paths: list[Path]


def claude_binary(claude_bin: str | None) -> Path:
    """The Claude Code CLI (InputError when it cannot be found)."""
    binary = find_claude(claude_bin)
    if binary is None or not binary.exists():
        raise InputError("Claude Code CLI not found",
                         expected="`claude` on PATH, --claude-bin, or `make cli` to install the pinned version")
    return binary


def holdout_split(queries: list[TriggerQuery], fraction: float | None, seed: int) -> dict[str, Any] | None:
    """The recorded split (`{"fraction", "seed", "tune": ids, "holdout": ids}`), or None without --holdout."""
    if fraction is None:
        return None
    if not 0 < fraction < 1:
        raise InputError(f"--holdout must be a fraction between 0 and 1, got {fraction}", field="--holdout",
                         expected="e.g. 0.4")
    parts = split_holdout(queries, fraction, seed)
    if not parts["tune"] or not parts["holdout"]:
        raise InputError(f"--holdout {fraction} leaves a part with no query ({len(queries)} queries)",
                         field="--holdout", expected="a fraction that puts queries in both parts")
    return {"fraction": fraction, "seed": seed, **{k: [q.id for q in v] for k, v in parts.items()}}


def installations(cfg: TriggerConfig, compare: Path | None, root: Path) -> list[Installation]:
    """The skill's variant, and the --compare variant (InputError if that folder has no SKILL.md)."""
    out = [install(cfg, "skill", cfg.skill.path, root)]
    if compare is not None:
        compare = compare.resolve()
        if not (compare / "SKILL.md").is_file():
            raise InputError("--compare is not a skill folder", file=compare, expected="a folder with SKILL.md")
        out.append(install(cfg, "compare", compare, root))
    return out


def run_triggers(req: TriggersRequest) -> TriggersOutcome:
    """Run every session, then write triggers.json, triggers.md and triggers.html into the output folder."""
    cfg = load_trigger_config(req.config)
    queries = load_queries(req.queries)
    split = holdout_split(queries, req.holdout, req.seed)
    binary = claude_binary(req.claude_bin)
    base = cfg.path.parent if cfg.path else Path.cwd()
    out_dir = (req.output.resolve() if req.output
               else default_run_dir(base / f"{cfg.skill.name}-workspace" / "triggers", cfg.skill.name))
    out_dir.mkdir(parents=True, exist_ok=True)
    installs = installations(cfg, req.compare, out_dir / "plugins")
    total = len(installs) * len(queries) * req.runs
    settings = {"timeout_s": req.timeout_s or cfg.timeout_seconds, "max_turns": req.max_turns,
                "parallel": req.parallel or cfg.parallel, "project_skill": cfg.project_skill, "seed": req.seed,
                "model": cfg.model, "retries": req.retries, "budget_usd": req.budget_usd}
    progress = make_progress(total, as_json=req.json, label="triggers")
    progress.message(f"output folder: {out_dir}")
    progress.message(f"plan: {len(installs)} description(s) x {len(queries)} queries x {req.runs} run(s) = {total} "
                     "sessions" + (" with the scripted model" if req.rehearsal else " (real API: this costs money)"))
    started, t0 = utc_now(), time.monotonic()
    observations = run_trials(TriggerTrials(
        config=cfg, queries=queries, queries_file=req.queries.resolve(), installations=installs, runs=req.runs,
        out_dir=out_dir, binary=binary, progress=progress, rehearsal=req.rehearsal, parallel=settings["parallel"],
        timeout_s=settings["timeout_s"], max_turns=req.max_turns, seed=req.seed, retries=req.retries,
        budget_usd=req.budget_usd, resume_hint=resume_hint(req, out_dir), sandbox=req.sandbox,
    ))
    facts = RunFacts(skill_name=cfg.skill.name, config=cfg.path, queries_file=req.queries.resolve(), runs=req.runs,
                     rehearsal=req.rehearsal, claude_code={"binary": str(binary), "version": cli_version(binary)},
                     created_at=started, wall_s=time.monotonic() - t0, holdout=split, settings=settings)
    doc = build_document(facts, queries, installs, observations, [r.name for r in cfg.rivals])
    write_json(out_dir / "triggers.json", doc)
    return TriggersOutcome(doc, [out_dir / "triggers.json", *write_reports(out_dir, doc)])


def resume_hint(req: TriggersRequest, out_dir: Path) -> str:
    """The command that finishes an interrupted run: the same arguments with this --output."""
    extra = f" --compare {req.compare}" if req.compare else ""
    extra += f" --holdout {req.holdout} --seed {req.seed}" if req.holdout is not None else ""
    return (f"popkit-bench skill triggers {req.config} --queries {req.queries} --runs {req.runs}"
            f"{' --rehearsal' if req.rehearsal else ''}{extra} --output {out_dir}")
