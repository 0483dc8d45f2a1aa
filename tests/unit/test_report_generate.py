"""write_reports on synthetic run folders: every format renders, says what is missing, and agrees."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markupsafe import escape
from synthetic_run import BASELINE, TREATMENT, RunSpec, TrialSpec, write_run

from popkit_bench.analysis.analyze import analyze_run
from popkit_bench.report import fmt
from popkit_bench.report.generate import write_reports
from popkit_bench.report.index import INDEX_NAME

TASK = "demo-fizzbuzz"
XSS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{ 7*7 }}")


def make_run(tmp_path: Path, name: str = "run", **spec) -> Path:
    return write_run(tmp_path / name, RunSpec(run_id=name, **spec))


def reports(paths: list[Path]) -> dict[str, str]:
    """{'md': text, 'html': text, 'json': parsed} of one write_reports call."""
    out: dict = {}
    for path in paths:
        if path.name == INDEX_NAME:
            out["index"] = path.read_text(encoding="utf-8")
        elif path.suffix == ".json":
            out["json"] = json.loads(path.read_text(encoding="utf-8"))
        else:
            out[path.suffix.lstrip(".")] = path.read_text(encoding="utf-8")
    return out


def md_plain(md: str) -> str:
    """Markdown with its backslash escapes removed (entities stay, as in HTML)."""
    return re.sub(r"\\([\\`*_\[\]|#~!])", r"\1", md)


def shown(value: str, text: str) -> bool:
    return str(escape(value)) in text


def mixed_trials() -> list[TrialSpec]:
    return [
        TrialSpec(TASK, BASELINE, 1), TrialSpec(TASK, BASELINE, 2), TrialSpec(TASK, BASELINE, 3),
        TrialSpec(TASK, BASELINE, 4, "timeout", "exceeded 300 s; process tree killed"),
        TrialSpec(TASK, BASELINE, 5, "contaminated", "arm 'baseline' loaded plugin(s) under test: popkit-ops"),
        TrialSpec(TASK, TREATMENT, 1), TrialSpec(TASK, TREATMENT, 2),
        TrialSpec(TASK, TREATMENT, 3, "failed", "agent ended with error_max_turns"),
        TrialSpec(TASK, TREATMENT, 4, "error", "worktree: git failed"), TrialSpec(TASK, TREATMENT, 5),
    ]


def test_full_run_writes_every_format_and_index(tmp_path: Path):
    run = make_run(tmp_path)
    paths = write_reports(run, analyze_run(run), tmp_path / "out")
    assert [p.name for p in paths] == [f"{TASK}-2026-11-23.md", f"{TASK}-2026-11-23.html", f"{TASK}-2026-11-23.json",
                                       "index.html"]
    r = reports(paths)
    assert r["html"].startswith("<!DOCTYPE html>")
    assert "Validity checklist" in r["md"] and "Validity checklist" in r["html"]
    assert "smallest detectable change in tokens" in r["html"]
    assert "<svg" in r["html"] and "http://" not in r["html"].replace('xmlns="http://www.w3.org/2000/svg"', "")
    data = r["json"]
    assert data["kind"] == "popkit-bench-report"
    assert len(data["trials"]) == 10 and data["run"]["run_id"] == "run"
    assert data["analysis"]["comparisons"][0]["treatment"] == TREATMENT
    assert f"{TASK}-2026-11-23.html" in r["index"]


def test_numbers_agree_across_markdown_html_and_json(tmp_path: Path):
    run = make_run(tmp_path)
    analysis = analyze_run(run)
    r = reports(write_reports(run, analysis, tmp_path / "out"))
    md, html = md_plain(r["md"]), r["html"]
    model = r["json"]["report"]
    assert shown(model["verdict"], md) and shown(model["verdict"], html)
    comp = model["comparisons"][0]
    checked = 0
    for row in comp["rows_primary"] + comp["rows_secondary"]:
        for key in ("baseline", "treatment", "n", "change", "ci", "p", "effect"):
            assert shown(row[key], md), (row["metric"], key, row[key])
            assert shown(row[key], html), (row["metric"], key, row[key])
            checked += 1
    for item in comp["details"]:
        for arm in item["arms"]:
            for key in ("mean", "sd", "median", "ci"):
                assert shown(arm[key], md) and shown(arm[key], html)
    assert checked > 50
    # ... and they are the analysis' numbers, formatted once
    tokens = next(r for r in comp["rows_primary"] if r["metric"] == "tokens_total")
    stats = analysis["metrics"]["tokens_total"]
    assert tokens["baseline"] == fmt.value(stats["baseline"]["mean"], "tokens")
    assert tokens["treatment"] == fmt.value(stats[TREATMENT]["mean"], "tokens")
    assert tokens["p"] == fmt.p_value(stats["p_value_adjusted"])
    change = stats["difference"]["estimate"] / stats["baseline"]["mean"]
    assert tokens["change"] == fmt.pct(change)
    assert abs(abs(change) * 100 - abs(stats["improvement"])) < 1e-9


def test_failed_timed_out_and_contaminated_trials_are_shown(tmp_path: Path):
    run = make_run(tmp_path, trials=mixed_trials())
    r = reports(write_reports(run, analyze_run(run), tmp_path / "out"))
    for text in (md_plain(r["md"]), r["html"]):
        for status in ("timeout", "contaminated", "failed", "error"):
            assert status in text
        assert shown("exceeded 300 s; process tree killed", text)
        assert shown("worktree: git failed", text)
        assert shown("3 usable of 5 requested", text)
    listed = r["json"]["report"]["exclusions"]["trials"]
    assert {t["status"] for t in listed} == {"timeout", "contaminated", "failed", "error"}
    assert [t["in_statistics"] for t in listed if t["status"] == "failed"] == [True]
    assert "no_contamination" in r["html"]


def test_missing_arm_says_so(tmp_path: Path):
    run = make_run(tmp_path, trials=[TrialSpec(TASK, TREATMENT, n) for n in (1, 2, 3)])
    r = reports(write_reports(run, analyze_run(run), tmp_path / "out"))
    assert r["json"]["report"]["verdict"].startswith("No verdict, not enough data")
    for text in (md_plain(r["md"]), r["html"]):
        assert "What is missing" in text
        assert "arm baseline has no usable trial" in text


def test_single_trial_per_arm(tmp_path: Path):
    run = make_run(tmp_path, trials=[TrialSpec(TASK, BASELINE, 1), TrialSpec(TASK, TREATMENT, 1)])
    r = reports(write_reports(run, analyze_run(run), tmp_path / "out"))
    assert "n = 1: no spread" in r["html"]
    assert "observed only" in r["json"]["report"]["verdict"]
    assert "NaN" not in json.dumps(r["json"])


def test_no_analysis_still_reports_trials_and_exclusions(tmp_path: Path):
    run = make_run(tmp_path, trials=mixed_trials())
    r = reports(write_reports(run, None, tmp_path / "out"))
    assert r["json"]["analysis"] is None
    assert r["json"]["report"]["verdict"].startswith("No verdict")
    for text in (md_plain(r["md"]), r["html"]):
        assert "What is missing" in text
        assert "No comparison" in text
        assert shown("worktree: git failed", text)
        assert "demo-fizzbuzz / popkit-ops / trial 5" in text


def test_empty_and_bare_run_folders(tmp_path: Path):
    bare = tmp_path / "bare"
    bare.mkdir()
    r = reports(write_reports(bare, None, tmp_path / "out"))
    assert "results.jsonl is missing" in r["html"] and "run.json is missing" in r["html"]
    empty = make_run(tmp_path, "empty", trials=[])
    (empty / "results.jsonl").write_text("", encoding="utf-8")
    r = reports(write_reports(empty, None, tmp_path / "out"))
    assert "has no usable trial" in r["md"]


def test_suite_uses_run_folder_name_and_per_task_table(tmp_path: Path):
    run = make_run(tmp_path, "20261124-101500-suite", tasks=["t-alpha", "t-beta", "t-gamma"], trials_requested=3)
    paths = write_reports(run, analyze_run(run), tmp_path / "out")
    assert paths[0].name == "20261124-101500-suite-2026-11-23.md"
    r = reports(paths)
    assert "Per task" in r["html"] and "wins, ties and losses" in r["html"]
    per_task = r["json"]["report"]["comparisons"][0]["per_task"]
    assert {row["task"] for row in per_task} == {"t-alpha", "t-beta", "t-gamma"}
    assert all(shown(row["baseline"], r["html"]) for row in per_task)


def test_other_runs_reports_are_not_clobbered(tmp_path: Path):
    out = tmp_path / "out"
    first = make_run(tmp_path, "first")
    second = make_run(tmp_path, "second")
    a = write_reports(first, None, out, ("markdown",))
    b = write_reports(second, None, out, ("markdown",))
    again = write_reports(first, None, out, ("markdown",))
    assert a[0].name == f"{TASK}-2026-11-23.md"
    assert b[0].name == f"{TASK}-2026-11-23-2.md"
    assert again[0] == a[0]


def test_formats_and_bad_format(tmp_path: Path):
    run = make_run(tmp_path)
    paths = write_reports(run, None, tmp_path / "out", ("json",))
    assert [p.suffix for p in paths] == [".json", ".html"] and paths[-1].name == INDEX_NAME
    from popkit_bench.errors import InputError

    with pytest.raises(InputError):
        write_reports(run, None, tmp_path / "out", ("pdf",))


def test_hostile_text_is_escaped(tmp_path: Path):
    payload = " ".join(XSS)
    trials = [TrialSpec(TASK, arm, n, prompt_text=payload, file_name=f"src/{XSS[1]}.py",
                        reason=payload if n == 2 else None, status="failed" if n == 2 else "completed")
              for arm in (BASELINE, TREATMENT) for n in (1, 2, 3)]
    run = make_run(tmp_path, trials=trials, prompt=payload)
    r = reports(write_reports(run, analyze_run(run), tmp_path / "out"))
    for text in (r["html"], r["md"]):
        assert "<script>" not in text and "<img" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "{{ 7*7 }}" in r["html"]
    assert payload in json.dumps(r["json"], ensure_ascii=False)


def test_index_lists_runs_newest_first_with_trends(tmp_path: Path):
    out = tmp_path / "out"
    for name, day in (("old", "2026-11-20"), ("new", "2026-11-23"), ("mid", "2026-11-21")):
        run = make_run(tmp_path, name, created_at=f"{day}T10:00:00Z")
        write_reports(run, analyze_run(run), out)
    (out / "broken.json").write_text("{", encoding="utf-8")
    (out / "analysis.json").write_text(json.dumps({"kind": "popkit-bench-analysis"}), encoding="utf-8")
    index = (out / INDEX_NAME).read_text(encoding="utf-8")
    write_reports(tmp_path / "new", None, out, ("json",))
    index = (out / INDEX_NAME).read_text(encoding="utf-8")
    positions = [index.index(f"{TASK}-{day}.html") for day in ("2026-11-23", "2026-11-21", "2026-11-20")]
    assert positions == sorted(positions)
    assert "broken.json" in index and "analysis.json" not in index
    assert index.count("<svg") == 4  # tokens, time, cost and pass rate across the three runs
    assert "(3 runs)" in index


def test_big_run_is_cut_to_a_readable_size(tmp_path: Path):
    spec = RunSpec(run_id="big", trials_requested=300)
    run = write_run(tmp_path / "big", spec, streams_limit=50)
    paths = write_reports(run, None, tmp_path / "out", ("html",))
    html = paths[0].read_text(encoding="utf-8")
    assert html.count('<details class="trial"') == 200
    assert "Details below cover 200 of 600 trials" in html
    assert html.count("<tr>") >= 600


def test_markdown_renders_as_tables_and_text(tmp_path: Path):
    """Rendered by a CommonMark parser with GFM tables (markdown-it-py, which rich depends on)."""
    from html.parser import HTMLParser

    from markdown_it import MarkdownIt

    payload = " ".join(XSS) + " 'quoted' a|b *stars*"
    trials = [TrialSpec(TASK, arm, n, prompt_text=payload, reason=payload if n == 1 else None,
                        status="failed" if n == 1 else "completed") for arm in (BASELINE, TREATMENT) for n in (1, 2, 3)]
    run = make_run(tmp_path, trials=trials, prompt=payload)
    md = reports(write_reports(run, analyze_run(run), tmp_path / "out", ("markdown",)))["md"]
    rendered = MarkdownIt("commonmark").enable("table").render(md)

    class Tables(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tables: list[list[int]] = []
            self.tags: set[str] = set()
            self.text: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.add(tag)
            if tag == "table":
                self.tables.append([])
            elif tag == "tr":
                self.tables[-1].append(0)
            elif tag in ("td", "th"):
                self.tables[-1][-1] += 1

        def handle_data(self, data):
            self.text.append(data)

    parser = Tables()
    parser.feed(rendered)
    assert len(parser.tables) >= 8
    summary = parser.tables[0]
    assert summary[0] == 8 and all(cells == 8 for cells in summary) and len(summary) == 9
    assert all(len(set(t)) == 1 for t in parser.tables)  # no row lost or gained a cell (pipes are escaped)
    assert "script" not in parser.tags and "img" not in parser.tags
    text = "".join(parser.text)
    assert payload in text  # shown literally: quotes, pipes, stars and tags


def test_nan_in_a_hand_edited_record_becomes_null(tmp_path: Path):
    run = make_run(tmp_path, trials=[TrialSpec(TASK, BASELINE, 1, metrics={"tokens_total": 5, "duration_s": 1.0})])
    text = (run / "results.jsonl").read_text(encoding="utf-8").replace('"duration_s": 1.0', '"duration_s": NaN')
    (run / "results.jsonl").write_text(text, encoding="utf-8")
    r = reports(write_reports(run, None, tmp_path / "out"))
    assert r["json"]["trials"][0]["metrics"]["duration_s"] is None


def test_scripted_model_is_said_at_the_top_of_every_report(tmp_path: Path):
    run = make_run(tmp_path)
    r = reports(write_reports(run, analyze_run(run), tmp_path / "out"))
    md_top = [line for line in r["md"].splitlines() if line.strip()][:3]
    assert md_top[1].startswith("# Benchmark report") and "Scripted model (rehearsal)" in md_top[2]
    main = r["html"].split("<main>", 1)[1].lstrip()
    assert main.startswith('<div class="banner banner-scripted" id="model-source"')
    assert "not from a real model" in main.split("</div>", 1)[0]
    assert r["json"]["model_source"]["kind"] == "scripted" and r["json"]["report"]["model_source"]["label"]
    assert "scripted model</span>" in r["index"]


def test_a_generic_play_is_named_and_a_real_model_run_has_no_banner(tmp_path: Path):
    run = make_run(tmp_path, "generic", generic_play_tasks=[TASK])
    r = reports(write_reports(run, analyze_run(run), tmp_path / "out"))
    source = r["json"]["model_source"]
    assert source["generic_play_trials"] == 10 and source["generic_play_tasks"] == [TASK]
    assert "Generic play in 10 of 10 trials" in md_plain(r["md"]).split("## ")[0]
    assert "both arms ran the same script" in r["html"].split("<header>")[0]
    real = make_run(tmp_path, "real", rehearsal=False)
    r = reports(write_reports(real, analyze_run(real), tmp_path / "out-real"))
    assert r["json"]["model_source"] == {"kind": "real", "label": None, "trials": 10, "generic_play_trials": 0,
                                         "generic_play_tasks": []}
    assert 'id="model-source"' not in r["html"] and "Scripted model (rehearsal):" not in r["md"]
    assert "scripted model</span>" not in r["index"]


def test_index_badge_of_a_run_without_verdict_is_insufficient(tmp_path: Path):
    thin = make_run(tmp_path, "thin", trials=[TrialSpec(TASK, BASELINE, 1), TrialSpec(TASK, TREATMENT, 1)])
    r = reports(write_reports(thin, analyze_run(thin), tmp_path / "out"))
    assert r["json"]["report"]["verdict"].startswith("No verdict")
    assert r["json"]["report"]["verdict_word"] == "insufficient data"
    assert "no significant difference</span>" not in r["index"]
    assert "insufficient data</span>" in r["index"]
