"""Report building blocks: number formatting, SVG escaping, file naming, the conversation reader."""

from __future__ import annotations

import json
from pathlib import Path

from markupsafe import Markup

from popkit_bench.report import fmt, naming, svg
from popkit_bench.report.conversation import read_conversation
from popkit_bench.report.metric_view import tone

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330"


def test_values_carry_units():
    assert fmt.value(12345, "tokens") == "12,345 tokens"
    assert fmt.value(0.01234, "USD") == "$0.0123"
    assert fmt.value(12.34, "s") == "12.3 s"
    assert fmt.value(0.85, "fraction") == "85.0%"
    assert fmt.value(4, "count") == "4"
    assert fmt.value(None, "tokens") == "n/a"
    assert fmt.value(float("nan"), "s") == "n/a"


def test_signed_values_percent_and_p():
    assert fmt.signed_value(-1200, "tokens") == "-1,200 tokens"
    assert fmt.signed_value(0.2, "fraction") == "+20.0 pp"
    assert fmt.pct(-0.231) == "-23.1%"
    assert fmt.p_value(0.0004) == "<0.001"
    assert fmt.p_value(0.0123) == "0.012"
    assert fmt.ci({"low": -2.0, "high": 1.5, "level": 0.95}, lambda v: fmt.signed_value(v, "s")) == "[-2.0 s, +1.5 s]"
    assert fmt.ci(None, str) == "n/a"
    assert fmt.effect(-1.234, "large") == "-1.23 (large)"


def test_svg_text_is_escaped():
    hostile = "<script>alert(1)</script>"
    chart = svg.dot_plot([svg.ArmSeries(hostile, [1.0, 2.0], 1.5, (1.0, 2.0))], hostile, str)
    assert isinstance(chart, Markup)
    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart
    forest = svg.forest_plot([svg.ForestRow(hostile, -0.2, (-0.3, -0.1), svg.BETTER)], "t")
    assert "<script>" not in forest


def test_svg_handles_empty_and_constant_data():
    assert "no values" in svg.dot_plot([svg.ArmSeries("a", [], None, None)], "t", str)
    assert "<circle" in svg.dot_plot([svg.ArmSeries("a", [3.0, 3.0], 3.0, None)], "t", str)
    assert svg.nice_ticks(0, 0) and svg.nice_ticks(5, 5)[0] <= 5
    ticks = svg.nice_ticks(0.012, 0.021)
    assert ticks[0] <= 0.012 and ticks[-1] >= 0.021


def test_tone_follows_direction_and_significance():
    def result(diff: float, direction: str, better: bool | None = None) -> dict:
        return {"difference": {"estimate": diff}, "direction": direction, "better": better}

    assert tone(result(+100, "lower")) == "lean-bad"  # tokens up: red (pale: not significant)
    assert tone(result(+0.2, "higher")) == "lean-good"  # pass rate up: green
    assert tone(result(-100, "lower", better=True)) == "good"
    assert tone(result(+100, "lower", better=False)) == "bad"
    assert tone(result(0, "lower")) == "none" and tone(result(5, "unknown")) == "none"


def test_safe_names_and_no_clobber(tmp_path: Path):
    assert naming.safe_name("../../etc/passwd") == "etc-passwd"
    assert naming.safe_name("<script>") == "script"
    (tmp_path / "t-2026-11-23.md").write_text("<!-- popkit-bench-report run-key: other@1 -->\n", encoding="utf-8")
    assert naming.choose_stem(tmp_path, "t-2026-11-23", "mine@2") == "t-2026-11-23-2"
    assert naming.choose_stem(tmp_path, "t-2026-11-23", "other@1") == "t-2026-11-23"
    (tmp_path / "u-2026-11-23.html").write_text("<p>hand-written, not ours</p>", encoding="utf-8")
    assert naming.choose_stem(tmp_path, "u-2026-11-23", "mine@2") == "u-2026-11-23-2"


def test_conversation_of_a_real_session():
    conv = read_conversation(FIXTURES / "basic" / "stream.jsonl", "Read hello.txt")
    kinds = [e.kind for e in conv.entries]
    assert kinds[0] == "prompt" and kinds[-1] == "final"
    assert "tool_call" in kinds and "tool_result" in kinds
    titles = [e.title for e in conv.entries]
    assert any(t.startswith("Read: ") and t.endswith("hello.txt") for t in titles)
    assert any(t.startswith("Bash: python3") for t in titles)
    assert conv.entries[-1].body == "All done."
    assert conv.missing_reason is None and conv.bad_lines == 0


def test_conversation_with_subagent_is_marked():
    conv = read_conversation(FIXTURES / "subagent" / "stream.jsonl")
    assert any(e.title.startswith("Agent") for e in conv.entries)


def test_conversation_is_defensive_and_bounded(tmp_path: Path):
    stream = tmp_path / "stream.jsonl"
    events = [{"type": "assistant", "message": {"content": [{"type": "text", "text": "x" * 5000}]}}]
    events += [{"type": "assistant", "message": {"content": [
        {"type": "tool_use", "id": f"t{i}", "name": "Bash", "input": {"command": f"echo {i}"}}]}} for i in range(50)]
    lines = [json.dumps(e) for e in events] + ["{not json", json.dumps([1, 2]), json.dumps({"type": "mystery"})]
    stream.write_text("\n".join(lines) + "\n", encoding="utf-8")
    conv = read_conversation(stream, "p", max_entries=10, max_chars=100)
    assert len(conv.entries) == 10
    assert conv.omitted_entries == 42  # prompt + text + 50 calls = 52 steps, 10 shown
    assert conv.bad_lines == 1
    assert "more characters" in conv.entries[1].body
    assert conv.missing_reason and "no result event" in conv.missing_reason


def test_conversation_of_a_missing_stream(tmp_path: Path):
    conv = read_conversation(tmp_path / "stream.jsonl", "the prompt")
    assert [e.kind for e in conv.entries] == ["prompt"]
    assert "no stream.jsonl" in (conv.missing_reason or "")


def test_a_constant_trend_is_drawn_on_an_axis_from_zero() -> None:
    import re

    from popkit_bench.report.render import _tick
    from popkit_bench.report.svg import TrendChart, TrendSeries, trend_plot

    chart = TrendChart("Verification pass rate", ["2026-12-01"], [TrendSeries("baseline", [1.0])])
    svg = str(trend_plot(chart, lambda v: _tick(v, "fraction")))
    labels = re.findall(r'text-anchor="end" dominant-baseline="middle" fill="#57606a">([^<]+)<', svg)
    assert labels[0] == "0%" and labels[-1] == "100%", labels
