"""After a run: analysis -> reports, offline from the run folder alone."""

from __future__ import annotations

import sys
from pathlib import Path

from popkit_bench.errors import EXIT_INSUFFICIENT_DATA, InsufficientDataError


def analyse_and_report(run_dir: Path, report_dir: Path, *, seed: int = 0, formats: tuple[str, ...] = ("all",),
                       redact: tuple[str, ...] = ()) -> int:
    """Analyse a run folder and write its reports (secrets and `redact` patterns redacted); print the verdict
    and the report paths. Returns an exit code."""
    from popkit_bench.analysis.analyze import analyze_run
    from popkit_bench.report.generate import verdict_line, write_reports

    try:
        analysis = analyze_run(run_dir, seed=seed)
    except InsufficientDataError as exc:
        print(f"popkit-bench: not enough data to analyse: {exc}", file=sys.stderr)
        paths = write_reports(run_dir, None, report_dir, formats, redact=redact)
        print(verdict_line(run_dir, None))
        for path in paths:
            print(f"report: {path}")
        return EXIT_INSUFFICIENT_DATA
    print(verdict_line(run_dir, analysis))
    for path in write_reports(run_dir, analysis, report_dir, formats, redact=redact):
        print(f"report: {path}")
    print(f"analysis: {Path(run_dir) / 'analysis.json'}")
    sufficiency = analysis.get("sufficiency") or {}
    if not sufficiency.get("ok", True):
        print("popkit-bench: not enough data to analyse: " + "; ".join(sufficiency.get("problems") or []),
              file=sys.stderr)
        return EXIT_INSUFFICIENT_DATA
    return 0
