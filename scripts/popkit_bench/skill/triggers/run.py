"""Run every (variant, query, run) session and collect the observations (a thread pool, nothing more:
the lead's scheduler can take `run_query_session` over)."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from popkit_bench.agent.cli_locator import find_claude
from popkit_bench.agent.isolation import config_root
from popkit_bench.errors import InputError
from popkit_bench.skill.triggers.config import TriggerConfig
from popkit_bench.skill.triggers.detect import Observation, observe
from popkit_bench.skill.triggers.install import Installation
from popkit_bench.skill.triggers.queries import TriggerQuery
from popkit_bench.skill.triggers.session import SessionSpec, run_query_session


@dataclass(frozen=True)
class PlaySource:
    """What RehearsalEndpoint.play_for reads: the config's trigger_play, else a generic play (never calls Skill)."""

    id: str
    play_path: Path | None
    verification: tuple = ()


@dataclass
class SessionsRequest:
    """All sessions of one `skill triggers` run."""

    config: TriggerConfig
    queries: list[TriggerQuery]
    installations: list[Installation]
    runs: int
    out_dir: Path
    run_id: str
    rehearsal: bool = False
    claude_bin: str | None = None
    parallel: int = 2
    timeout_s: float = 300.0
    seed: int = 0
    max_turns: int | None = None
    log: Callable[[str], None] = field(default=lambda line: None)


def claude_binary(claude_bin: str | None) -> Path:
    """The Claude Code CLI (InputError when it cannot be found)."""
    binary = find_claude(claude_bin)
    if binary is None or not binary.exists():
        raise InputError("Claude Code CLI not found",
                         expected="`claude` on PATH, --claude-bin, or `make cli` to install the pinned version")
    return binary


def session_specs(req: SessionsRequest) -> list[tuple[Installation, TriggerQuery, SessionSpec]]:
    """One spec per (variant, query, run), in a seeded shuffled order (drift over time hits every variant alike)."""
    out = []
    for inst in req.installations:
        for query in req.queries:
            for k in range(1, req.runs + 1):
                key = f"{inst.label}/{query.id}/run-{k}"
                spec = SessionSpec(key=key, prompt=query.query, out_dir=req.out_dir / "sessions" / key,
                                   run_id=req.run_id, timeout_s=req.timeout_s, plugin_dirs=inst.plugin_dirs,
                                   project_skills=inst.project_skills, model=req.config.model,
                                   max_turns=req.max_turns)
                out.append((inst, query, spec))
    random.Random(req.seed).shuffle(out)
    return out


def run_sessions(req: SessionsRequest) -> dict[str, dict[str, list[Observation]]]:
    """`{variant label: {query id: [observation of run 1, run 2, ...]}}`."""
    binary = claude_binary(req.claude_bin)
    specs = session_specs(req)
    endpoint = None
    if req.rehearsal:
        from popkit_bench.rehearsal.endpoint import RehearsalEndpoint

        endpoint = RehearsalEndpoint()
        endpoint.start()
        source = PlaySource(f"triggers-{req.config.skill.name}", req.config.trigger_play)
        specs = [(i, q, replace(s, base_url=endpoint.base_url_for(s.key, source))) for i, q, s in specs]
    results: dict[str, dict[str, list[Observation | None]]] = {
        i.label: {q.id: [None] * req.runs for q in req.queries} for i in req.installations}
    done = 0

    def one(item: tuple[Installation, TriggerQuery, SessionSpec]) -> None:
        nonlocal done
        inst, query, spec = item
        obs = observe(run_query_session(binary, spec), inst.skill_name, inst.rival_names)
        obs = replace(obs, session_dir=str(spec.out_dir.relative_to(req.out_dir)))
        run_index = int(spec.key.rsplit("-", 1)[1]) - 1
        results[inst.label][query.id][run_index] = obs
        done += 1
        state = "triggered" if obs.triggered else "excluded: " + str(obs.reason) if obs.reason else "not triggered"
        req.log(f"[{done}/{len(specs)}] {spec.key}: {state}")

    pool = ThreadPoolExecutor(max_workers=max(1, req.parallel), thread_name_prefix="trigger")
    try:
        for future in [pool.submit(one, item) for item in specs]:
            future.result()
        pool.shutdown()
    except BaseException:  # Ctrl-C or a harness bug: start no further session (running ones end or time out)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        if endpoint is not None:
            endpoint.stop()
        shutil.rmtree(config_root(req.run_id), ignore_errors=True)  # the sessions' (emptied) config dirs
    return {label: {qid: [o for o in runs if o is not None] for qid, runs in by_q.items()}
            for label, by_q in results.items()}

