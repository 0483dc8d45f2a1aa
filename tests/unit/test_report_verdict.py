"""verdict_sentence: one sentence with what improved, what got worse and how sure."""

from __future__ import annotations

import re
from pathlib import Path

from synthetic_run import RunSpec, write_run

from popkit_bench.analysis.analyze import analyze_run
from popkit_bench.report.generate import verdict_sentence

T = "popkit-ops"


def metric(name: str, unit: str, direction: str, base: float, treat: float, *, n: int = 3, p: float = 0.5,
           significant: bool = False, better: bool | None = None, label: str | None = "large") -> dict:
    return {"metric": name, "unit": unit, "direction": direction, "label": name,
            "baseline": {"n": n, "mean": base}, T: {"n": n, "mean": treat},
            "difference": {"estimate": treat - base}, "p_value_adjusted": p, "significant": significant,
            "better": better, "effect_size_label": label}


def analysis(*metrics: dict, ok: bool = True, problems: tuple[str, ...] = ()) -> dict:
    table = {m["metric"]: m for m in metrics}
    comp = {"baseline": "baseline", "treatment": T, "unit": "trial", "metrics": table,
            "summary": {"family": list(table)}}
    return {"sufficiency": {"ok": ok, "problems": list(problems)}, "comparisons": [comp]}


def test_the_briefs_example_shape():
    sentence = verdict_sentence(analysis(
        metric("tokens_total", "tokens", "lower", 10000, 7700, n=5, p=0.01, significant=True, better=True),
        metric("duration_s", "s", "lower", 100, 88),
        metric("verification_pass_rate", "fraction", "higher", 1.0, 1.0),
    ))
    assert sentence == ("With popkit-ops, tokens fell 23.0% (Holm p=0.010, large effect) and time fell 12.0% "
                        "(not significant, n=3 per arm); verification pass rate unchanged.")


def test_worse_metrics_are_named():
    sentence = verdict_sentence(analysis(
        metric("tokens_total", "tokens", "lower", 1000, 1500, p=0.002, significant=True, better=False),
        metric("errors", "count", "lower", 0, 2, p=0.03, significant=True, better=False, label="medium"),
    ))
    assert "tokens rose 50.0% (Holm p=0.002, large effect)" in sentence
    assert "errors rose by 2 (from 0) (Holm p=0.030, medium effect)" in sentence
    assert sentence.count(".") >= 1 and sentence.endswith(".")


def test_nothing_significant_says_so():
    sentence = verdict_sentence(analysis(metric("tokens_total", "tokens", "lower", 100, 95, n=4)))
    assert "not significant, n=4 per arm" in sentence
    assert "no significant difference" in sentence


def test_pass_rate_change_in_points():
    sentence = verdict_sentence(analysis(metric("verification_pass_rate", "fraction", "higher", 0.5, 0.75)))
    assert "verification pass rate rose from 50.0% to 75.0% (not significant)" in sentence


def test_insufficient_data_and_no_analysis():
    sentence = verdict_sentence(analysis(metric("tokens_total", "tokens", "lower", 100, 90, n=1), ok=False,
                                         problems=("arm baseline: 1 usable trial(s), at least 2 are needed",)))
    assert sentence.startswith("No verdict, not enough data (arm baseline: 1 usable trial(s)")
    assert "observed only: with popkit-ops, tokens fell 10.0%" in sentence
    assert verdict_sentence(None).startswith("No verdict")
    assert "no treatment arm" in verdict_sentence({"sufficiency": {"ok": True}, "comparisons": []})


def test_with_the_real_analyzer(tmp_path: Path):
    run = write_run(tmp_path / "run", RunSpec(trials_requested=8, effect=0.6))
    sentence = verdict_sentence(analyze_run(run, write=False))
    assert sentence.startswith("With popkit-ops, ")
    assert "tokens fell" in sentence and re.search(r"\(Holm p[=<]0\.\d{3}", sentence)


def test_a_tiny_p_value_reads_p_below_not_p_equals():
    sentence = verdict_sentence(analysis(
        metric("tokens_total", "tokens", "lower", 10000, 5000, n=5, p=0.00001, significant=True, better=True)))
    assert "(Holm p<0.001, large effect)" in sentence and "p=<" not in sentence
