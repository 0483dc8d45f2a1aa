"""`popkit-bench report`: analysis on demand, exit codes, --format, --open, --github-summary."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from synthetic_run import BASELINE, TREATMENT, RunSpec, TrialSpec, write_run

from popkit_bench.commands import report as command
from popkit_bench.errors import EXIT_INSUFFICIENT_DATA, InputError


def invoke(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["report", *argv])
    return args.func(args)


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run", RunSpec())


def test_analyses_when_needed_and_prints_paths(run_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert invoke(str(run_dir), "--output", str(out)) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Verdict [scripted model (rehearsal), not a real model]: With popkit-ops")
    assert (run_dir / "analysis.json").is_file()
    for name in ("demo-fizzbuzz-2026-11-23.md", "demo-fizzbuzz-2026-11-23.html", "demo-fizzbuzz-2026-11-23.json",
                 "index.html"):
        assert f"report: {out / name}" in printed
        assert (out / name).is_file()


def test_uses_an_existing_analysis(run_dir: Path, tmp_path: Path):
    from popkit_bench.analysis.analyze import analyze_run

    analysis = analyze_run(run_dir)
    analysis["notes"] = ["a note only this analysis.json has"]
    (run_dir / "analysis.json").write_text(json.dumps(analysis), encoding="utf-8")
    assert invoke(str(run_dir), "--output", str(tmp_path / "out"), "--format", "html") == 0
    html = (tmp_path / "out" / "demo-fizzbuzz-2026-11-23.html").read_text(encoding="utf-8")
    assert "a note only this analysis.json has" in html


def test_insufficient_data_still_writes_and_exits_3(tmp_path: Path, capsys):
    run = write_run(tmp_path / "thin", RunSpec(trials=[TrialSpec("demo-fizzbuzz", BASELINE, 1),
                                                        TrialSpec("demo-fizzbuzz", TREATMENT, 1)]))
    assert invoke(str(run), "--output", str(tmp_path / "out"), "--format", "md") == EXIT_INSUFFICIENT_DATA
    captured = capsys.readouterr()
    assert "not enough data" in captured.err
    assert "What is missing" in (tmp_path / "out" / "demo-fizzbuzz-2026-11-23.md").read_text(encoding="utf-8")


def test_run_folder_without_results_exits_3(tmp_path: Path):
    run = tmp_path / "crashed"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"run_id": "crashed", "tasks": [{"id": "t"}]}), encoding="utf-8")
    assert invoke(str(run), "--output", str(tmp_path / "out")) == EXIT_INSUFFICIENT_DATA
    assert "results.jsonl is missing" in (tmp_path / "out" / f"t-{_today()}.md").read_text(encoding="utf-8")


def _today() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def test_missing_folder_is_bad_input(tmp_path: Path):
    with pytest.raises(InputError):
        invoke(str(tmp_path / "nope"))


def test_github_summary_appends(run_dir: Path, tmp_path: Path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert invoke(str(run_dir), "--output", str(tmp_path / "out"), "--github-summary") == 0
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n> ⚠️ **Scripted model (rehearsal): these numbers come from a script")
    assert "**Verdict:** With popkit-ops" in text
    assert "| Metric | Baseline | Treatment |" in text and "| Total tokens |" in text


def test_open_without_display_prints_path(run_dir: Path, tmp_path: Path, monkeypatch, capsys):
    opened: list[str] = []
    monkeypatch.setattr(command.webbrowser, "open", opened.append)
    monkeypatch.setattr(command.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert invoke(str(run_dir), "--output", str(tmp_path / "out"), "--open") == 0
    assert opened == []
    assert "no display to open a browser" in capsys.readouterr().out
    monkeypatch.setenv("DISPLAY", ":0")
    assert invoke(str(run_dir), "--output", str(tmp_path / "out"), "--open") == 0
    assert opened and opened[0].startswith("file://") and opened[0].endswith("demo-fizzbuzz-2026-11-23.html")


def test_a_real_model_run_has_no_tag_and_a_generic_play_is_named(tmp_path: Path, capsys):
    real = write_run(tmp_path / "real", RunSpec(rehearsal=False))
    assert invoke(str(real), "--output", str(tmp_path / "out-real"), "--format", "md") == 0
    assert capsys.readouterr().out.startswith("Verdict: With popkit-ops")
    generic = write_run(tmp_path / "generic", RunSpec(generic_play_tasks=["demo-fizzbuzz"]))
    assert invoke(str(generic), "--output", str(tmp_path / "out-generic"), "--format", "md") == 0
    assert capsys.readouterr().out.startswith(
        "Verdict [scripted model (rehearsal), not a real model, generic play in 10 of 10 trials]: ")
