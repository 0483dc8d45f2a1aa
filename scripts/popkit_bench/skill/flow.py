"""After the runs: aggregate -> compare with the previous iteration -> gate -> reports (offline, from files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.skill.aggregate import aggregate
from popkit_bench.skill.compare import compare
from popkit_bench.skill.config import DEFAULT_THRESHOLDS
from popkit_bench.skill.gate import GateFailure, evaluate
from popkit_bench.skill.interop import write_creator_benchmark
from popkit_bench.skill.jsonio import read_json, write_json
from popkit_bench.skill.layout import iteration_dir, iteration_number
from popkit_bench.skill.report import context, write_reports

BENCHMARK = "benchmark.json"


@dataclass
class Outcome:
    """What the flow produced."""

    benchmark: dict[str, Any]
    comparison: dict[str, Any] | None
    failures: list[GateFailure] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)


def find_previous(iteration: Path, explicit: Path | None) -> Path | None:
    """The previous benchmark.json: an explicit file or folder, else the sibling iteration-<N-1>."""
    if explicit is not None:
        path = explicit / BENCHMARK if explicit.is_dir() else explicit
        if not path.is_file():
            raise InputError("previous benchmark not found", file=path, expected="a benchmark.json or iteration folder")
        return path
    number = iteration_number(iteration)
    if number is None or number < 2:
        return None
    candidate = iteration_dir(iteration.parent, number - 1) / BENCHMARK
    return candidate if candidate.is_file() else None


def load_benchmark(path: Path) -> dict[str, Any]:
    data, _ = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict) or "per_eval" not in data:
        raise InputError("not a benchmark.json", file=path, expected="keys skill_name, summary, per_eval")
    return data


def build(iteration: Path, skill_name: str, *, thresholds: dict[str, float] | None = None,
          previous: Path | None = None, gate: bool = False, allow_regressions: bool = False,
          allow_ungraded: bool = False) -> Outcome:
    """Aggregate the iteration, write benchmark.json, compare, gate (when asked), write the reports."""
    bench = aggregate(iteration, skill_name, thresholds=thresholds or dict(DEFAULT_THRESHOLDS))
    previous_path = find_previous(iteration, previous)
    comparison = None
    if previous_path is not None:
        comparison = compare(bench, load_benchmark(previous_path), bench["thresholds"]["min_pass_rate"])
        comparison["previous_path"] = str(previous_path)
    failures = evaluate(bench, comparison, allow_regressions=allow_regressions, allow_ungraded=allow_ungraded) if gate else []
    if comparison is not None:
        bench["comparison"] = comparison
    if gate:
        bench["gate"] = {"passed": not failures, "failures": [f.to_json() for f in failures]}
    write_json(iteration / BENCHMARK, bench)
    creator = write_creator_benchmark(iteration, bench)
    paths = [iteration / BENCHMARK, creator, *write_reports(iteration, context(bench, comparison, failures, gate))]
    return Outcome(bench, comparison, failures, paths)


def report_only(iteration: Path, *, thresholds: dict[str, float] | None = None, previous: Path | None = None,
                gate: bool = False, allow_regressions: bool = False, allow_ungraded: bool = False) -> Outcome:
    """Reports from an existing benchmark.json (thresholds re-applied when given)."""
    bench = load_benchmark(iteration / BENCHMARK)
    if thresholds is not None:
        from popkit_bench.skill.aggregate import thresholds_met

        bench["thresholds"] = dict(thresholds)
        bench["thresholds_met"] = thresholds_met(bench["summary"], bench["thresholds"])
    previous_path = find_previous(iteration, previous)
    comparison = None
    if previous_path is not None:
        min_rate = (bench.get("thresholds") or DEFAULT_THRESHOLDS)["min_pass_rate"]
        comparison = compare(bench, load_benchmark(previous_path), min_rate)
    failures = evaluate(bench, comparison, allow_regressions=allow_regressions, allow_ungraded=allow_ungraded) if gate else []
    paths = write_reports(iteration, context(bench, comparison, failures, gate))
    return Outcome(bench, comparison, failures, paths)
