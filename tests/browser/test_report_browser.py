"""Reports in a real headless Chromium: no console errors, no network, hostile text stays text, screenshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cdp import Page, png_size
from hostile import PAYLOAD, XSS_IMG, XSS_SCRIPT, XSS_TEMPLATE

pytestmark = pytest.mark.browser


def test_instrumentation_sees_errors_and_network(page: Page, tmp_path: Path):
    """Control: the checks below are not vacuous: a bad page's error and outside request are caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<p>x</p><script>console.error("boom")</script><img src="http://127.0.0.1:9/x.png">',
                   encoding="utf-8")
    loaded = page.load(bad.as_uri())
    assert any("boom" in e for e in loaded.console_errors)
    assert loaded.outside_requests == ["http://127.0.0.1:9/x.png"]


@pytest.mark.parametrize("name", ["r3", "hostile", "index"])
def test_page_loads_cleanly_offline(page: Page, site: dict[str, Path], name: str):
    loaded = page.load(site[name].as_uri())
    assert loaded.errors == []
    assert loaded.requests and loaded.requests[0].startswith("file://")
    assert loaded.outside_requests == []
    assert page.evaluate("document.querySelectorAll('script, link, iframe, object, embed').length") == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling


def test_report_content_in_the_dom(page: Page, site: dict[str, Path]):
    page.load(site["r3"].as_uri())
    info = page.evaluate("""(() => ({
        verdict: document.querySelector('#verdict').textContent,
        rows: document.querySelectorAll('table.summary tbody tr').length,
        charts: document.querySelectorAll('svg.chart').length,
        criteria: document.querySelectorAll('table.validity tbody tr').length,
        trials: document.querySelectorAll('details.trial').length,
        openTrials: document.querySelectorAll('details.trial[open]').length,
    }))()""")
    assert info["verdict"].startswith("Verdict: With popkit-ops")
    assert info["rows"] >= 8 and info["charts"] >= 10 and info["criteria"] == 9  # the seed's five + contamination + tampering + sandbox + trials completed
    assert info["trials"] == 10 and info["openTrials"] == 0  # conversations folded by default


def test_hostile_text_renders_as_text(page: Page, site: dict[str, Path]):
    loaded = page.load(site["hostile"].as_uri())
    assert loaded.dialogs == [] and loaded.errors == []
    dom = page.evaluate(f"""(() => {{
        const payload = {json.dumps(PAYLOAD)};
        const text = document.body.textContent;
        const holders = [...document.querySelectorAll('pre, td, li, summary, .title')]
            .filter(el => el.textContent.includes('alert(1)'));
        return {{
            scripts: document.querySelectorAll('script').length,
            images: document.querySelectorAll('img').length,
            onerror: document.querySelectorAll('[onerror]').length,
            script: text.includes({json.dumps(XSS_SCRIPT)}),
            img: text.includes({json.dumps(XSS_IMG)}),
            template: text.includes({json.dumps(XSS_TEMPLATE)}),
            whole: text.includes(payload),
            holders: holders.length,
            evaluated: holders.filter(el => el.textContent.includes('49') && !el.textContent.includes('7*7')).length,
            fileName: text.includes('src/' + {json.dumps(XSS_IMG + XSS_TEMPLATE)} + '.py'),
            title: document.title,
        }};
    }})()""")
    assert dom["scripts"] == 0 and dom["images"] == 0 and dom["onerror"] == 0
    assert dom["script"] and dom["img"] and dom["template"] and dom["whole"]
    assert dom["fileName"]  # the tool call's file name, shown in its title
    assert dom["holders"] >= 5  # prompt, assistant text, tool output, status reason, verification output
    assert dom["evaluated"] == 0
    assert "7*7" in dom["title"] or "xss-task" in dom["title"]


def test_screenshots_at_1280(page: Page, site: dict[str, Path], screenshot_dir: Path):
    for name in ("r3", "hostile", "index"):
        page.load(site[name].as_uri())
        for full in (True, False):
            shot = screenshot_dir / f"{name}{'' if full else '-top'}.png"
            size = page.screenshot(shot, width=1280, full=full)
            assert size[0] == 1280 and size[1] >= 900 if full else size == (1280, 900)
            assert png_size(shot.read_bytes()) == size and shot.stat().st_size > 20_000


def test_index_lists_runs_and_trends(page: Page, site: dict[str, Path]):
    page.load(site["index"].as_uri())
    info = page.evaluate("""(() => ({
        rows: [...document.querySelectorAll('table.runs tbody tr td:first-child')].map(td => td.textContent),
        trendCharts: document.querySelectorAll('#trends svg.chart').length,
        links: [...document.querySelectorAll('table.runs a')].map(a => a.getAttribute('href')),
    }))()""")
    assert info["rows"] == ["2026-11-23", "2026-11-22", "2026-11-21", "2026-11-20"]
    assert info["trendCharts"] >= 4
    assert all(link.startswith("./") for link in info["links"])


def test_prints(page: Page, site: dict[str, Path], tmp_path: Path):
    """Print CSS: navigation hidden, pre blocks unclipped; the page prints to a multi-page PDF."""
    import base64

    page.load(site["r3"].as_uri())
    page.send("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
        assert page.evaluate("getComputedStyle(document.querySelector('pre')).maxHeight") == "none"
        page.send("Emulation.setDeviceMetricsOverride",  # A4 at 12 mm margins
                  {"width": 704, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        assert page.evaluate("document.documentElement.scrollWidth") <= 704  # nothing cut off on paper
    finally:
        page.send("Emulation.setEmulatedMedia", {"media": ""})
        page.send("Emulation.clearDeviceMetricsOverride")
    pdf = base64.b64decode(page.send("Page.printToPDF", {"printBackground": True}, timeout=60)["data"])
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 3
    (tmp_path / "report.pdf").write_bytes(pdf)


def test_chart_labels_are_not_clipped(page: Page, tmp_path: Path):
    """Every text of every chart lies inside its SVG, also a long verification command's row label."""
    from synthetic_run import RunSpec, write_run

    from popkit_bench.analysis.analyze import analyze_run
    from popkit_bench.report.generate import write_reports

    run = write_run(tmp_path / "run", RunSpec(verification="python3 -m unittest discover -s tests -q --buffer"))
    html = write_reports(run, analyze_run(run), tmp_path / "out", ("html",))[0]
    page.load(html.as_uri())
    found = page.evaluate("""(() => { const out = []; let labels = 0;
      document.querySelectorAll('svg.chart').forEach(svg => { const r = svg.getBoundingClientRect();
        svg.querySelectorAll('text').forEach(t => { const b = t.getBoundingClientRect();
          if (t.textContent.startsWith('Passes: python3')) labels++;
          if (b.left < r.left - 0.5 || b.right > r.right + 0.5) out.push(t.textContent); }); });
      return {clipped: out, labels: labels}; })()""")
    assert found["labels"] >= 1, "the long label is in a chart"
    assert found["clipped"] == []
