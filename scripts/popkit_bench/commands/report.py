"""`popkit-bench report RUN_DIR`: write a run's markdown / HTML / JSON reports and the index."""

from __future__ import annotations

import argparse
import json
import os
import sys
import webbrowser
from pathlib import Path
from typing import Any

from popkit_bench.errors import EXIT_INSUFFICIENT_DATA, InputError, InsufficientDataError
from popkit_shared.safe_regex import RE2_SYNTAX, PatternError, compile_pattern

DEFAULT_OUTPUT = Path("docs") / "benchmark" / "results"
ANALYSIS_JSON = "analysis.json"


def redact_pattern(text: str) -> str:
    """An argparse type: a regular expression RE2 compiles (the redaction engine)."""
    try:
        compile_pattern(text, ignore_case=False)
    except PatternError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (expected {RE2_SYNTAX})") from None
    return text


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report", help="write a run's reports (markdown, HTML, JSON) and refresh index.html",
        description="Write <task>-<date>.md/.html/.json for a run folder (analysing it first when analysis.json "
                    "is missing or older than results.jsonl) and refresh index.html in the output folder. "
                    "Exit 3 when there is too little data (the report is still written, saying what is missing).")
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="the run folder")
    parser.add_argument("--format", dest="formats", action="append",
                        choices=["markdown", "md", "html", "json", "all"],
                        help="report format (repeatable; default: all)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, metavar="DIR",
                        help=f"output folder (default: {DEFAULT_OUTPUT})")
    parser.add_argument("--open", action="store_true", help="open the HTML report in the default browser")
    parser.add_argument("--github-summary", action="store_true",
                        help="append the verdict and summary table to $GITHUB_STEP_SUMMARY")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed when analysing (default 0)")
    parser.add_argument("--redact", action="append", default=[], type=redact_pattern, metavar="REGEX",
                        help="also redact text matching REGEX (RE2 syntax); built-in: API keys, private keys, "
                             "credentials in URLs; repeatable")
    parser.set_defaults(func=run)


def load_or_analyse(run_dir: Path, seed: int) -> tuple[dict[str, Any] | None, str | None]:
    """(analysis or None, why there is too little data or None). Re-analyses a missing or stale analysis.json."""
    path = run_dir / ANALYSIS_JSON
    results = run_dir / "results.jsonl"
    if not results.is_file():
        return None, "no results.jsonl in the run folder: no trial has finished"
    analysis = None
    if path.is_file() and path.stat().st_mtime >= results.stat().st_mtime:
        try:
            analysis = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    if not isinstance(analysis, dict):
        from popkit_bench.analysis.analyze import analyze_run

        try:
            analysis = analyze_run(run_dir, seed=seed)
        except InsufficientDataError as exc:
            return None, str(exc)
    sufficiency = analysis.get("sufficiency") or {}
    if sufficiency.get("ok") is False:
        return analysis, "; ".join(str(p) for p in sufficiency.get("problems") or []) or "too little data"
    return analysis, None


def has_display() -> bool:
    """Whether a browser window can be opened (Linux needs X11 or Wayland; macOS and Windows always can)."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def github_summary(run_dir: Path, analysis: dict[str, Any] | None) -> Path | None:
    """Append the verdict and the summary table to $GITHUB_STEP_SUMMARY (when that variable is set)."""
    from popkit_bench.report.generate import summary_markdown

    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        print("popkit-bench: GITHUB_STEP_SUMMARY is not set; no job summary written", file=sys.stderr)
        return None
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(summary_markdown(run_dir, analysis) + "\n")
    return Path(target)


def run(args: argparse.Namespace) -> int:
    from popkit_bench.report.generate import verdict_line, write_reports

    run_dir: Path = args.run_dir
    if not run_dir.is_dir():
        raise InputError("run folder not found", file=run_dir)
    analysis, insufficient = load_or_analyse(run_dir, args.seed)
    if insufficient:
        print(f"popkit-bench: not enough data for a full analysis: {insufficient}", file=sys.stderr)
    paths = write_reports(run_dir, analysis, args.output, tuple(args.formats or ["all"]), redact=tuple(args.redact))
    print(verdict_line(run_dir, analysis))
    for path in paths:
        print(f"report: {path}")
    if args.github_summary:
        written = github_summary(run_dir, analysis)
        if written:
            print(f"job summary: {written}")
    if args.open:
        html = next((p for p in paths if p.suffix == ".html" and p.name != "index.html"), None)
        html = html or next((p for p in paths if p.suffix == ".html"), None)
        if html is not None:
            if has_display():
                webbrowser.open(html.resolve().as_uri())
                print(f"opened: {html}")
            else:
                print(f"no display to open a browser; the report is at {html.resolve()}")
    return EXIT_INSUFFICIENT_DATA if insufficient else 0
