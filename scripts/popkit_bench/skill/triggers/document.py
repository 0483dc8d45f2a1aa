"""triggers.json: what was asked, per variant the confusion, metrics and per-query detail, the A/B comparison
(whole set and, with --holdout, each part), the cost, and whether it rests on the scripted model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.skill.triggers.compare import compare
from popkit_bench.skill.triggers.detect import Observation
from popkit_bench.skill.triggers.install import Installation
from popkit_bench.skill.triggers.queries import TriggerQuery
from popkit_bench.skill.triggers.stats import summary

SCHEMA = 1
REHEARSAL_NOTE = ("These results rest on the scripted model (--rehearsal): its plays decide every trigger, so they "
                  "test the harness and the plays, not Claude. The cost is what Claude Code computed for the "
                  "scripted usage; no money was spent.")


@dataclass
class RunFacts:
    """What the document records about the run besides the observations."""

    skill_name: str
    config: Path | None
    queries_file: Path
    runs: int
    rehearsal: bool
    claude_code: dict[str, Any]
    created_at: str
    wall_s: float
    holdout: dict[str, Any] | None = None  # {"fraction", "seed", "tune": [ids], "holdout": [ids]}
    settings: dict[str, Any] | None = None  # timeout_s, max_turns, parallel, project_skill, seed, model


def parts_of(queries: list[TriggerQuery], holdout: dict[str, Any] | None) -> dict[str, list[TriggerQuery]]:
    """`{"tune": [...], "holdout": [...]}` from the recorded split, or {} without --holdout."""
    if not holdout:
        return {}
    return {part: [q for q in queries if q.id in set(holdout[part])] for part in ("tune", "holdout")}


def variant_block(inst: Installation, queries: list[TriggerQuery], obs: dict[str, list[Observation]],
                  parts: dict[str, list[TriggerQuery]]) -> dict[str, Any]:
    """One variant: where its skill came from, its description, the whole-set summary and each part's."""
    block = {"label": inst.label, "skill_path": str(inst.source), "description": inst.description,
             **summary(queries, obs)}
    block["parts"] = {name: _without_detail(summary(qs, obs)) for name, qs in parts.items()} or None
    return block


def _without_detail(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if k != "per_query"} | {"query_ids": [r["id"] for r in block["per_query"]]}


def cost_block(observations: list[Observation]) -> dict[str, Any]:
    """The sum of Claude Code's total_cost_usd over every session; null with a reason if any lacks it."""
    known = [o.cost_usd for o in observations if o.cost_usd is not None]
    out: dict[str, Any] = {"source": "Claude Code's total_cost_usd, summed over sessions", "sessions": len(observations),
                           "sessions_with_cost": len(known), "total_usd": None}
    if len(known) < len(observations):
        out["reason"] = f"{len(observations) - len(known)} session(s) reported no cost (no result event)"
        out["known_part_usd"] = round(sum(known), 6)
    else:
        out["total_usd"] = round(sum(known), 6)
    return out


def build_document(facts: RunFacts, queries: list[TriggerQuery], installations: list[Installation],
                   observations: dict[str, dict[str, list[Observation]]], rivals: list[str]) -> dict[str, Any]:
    """The whole triggers.json document."""
    parts = parts_of(queries, facts.holdout)
    main, *other = installations
    doc: dict[str, Any] = {
        "schema": SCHEMA, "kind": "skill-triggers", "created_at": facts.created_at, "skill_name": facts.skill_name,
        "config": str(facts.config) if facts.config else None, "queries_file": str(facts.queries_file),
        "runs_per_query": facts.runs, "rival_skills": rivals, "rehearsal": facts.rehearsal,
        "note": REHEARSAL_NOTE if facts.rehearsal else None, "claude_code": facts.claude_code,
        "holdout": facts.holdout, "settings": facts.settings, "wall_s": round(facts.wall_s, 3),
        **variant_block(main, queries, observations[main.label], parts),
        "compare": None, "comparison": None,
    }
    if other:
        doc["compare"] = variant_block(other[0], queries, observations[other[0].label], parts)
        mine, theirs = observations[main.label], observations[other[0].label]
        doc["comparison"] = {"direction": "differences are skill - compare", "all": compare(queries, mine, theirs),
                             "parts": {n: compare(qs, mine, theirs) for n, qs in parts.items()} or None}
    every = [o for by_q in observations.values() for runs in by_q.values() for o in runs]
    doc["cost"] = cost_block(every)
    return doc
