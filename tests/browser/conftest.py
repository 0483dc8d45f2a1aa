"""Browser fixtures: a headless Debian Chromium driven over the DevTools pipe, and generated report sites."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cdp import Browser, Page  # noqa: E402
from hostile import PAYLOAD, XSS_IMG, XSS_TEMPLATE  # noqa: E402
from synthetic_run import BASELINE, TREATMENT, RunSpec, TrialSpec, write_run  # noqa: E402

from popkit_bench.analysis.analyze import analyze_run  # noqa: E402
from popkit_bench.report.generate import write_reports  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_bin() -> str:
    """Debian's chromium (installed by `make browser` / .ci/run)."""
    found = os.environ.get("POPKIT_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found:
        pytest.fail("chromium not found: install Debian's chromium (`make browser` or apt-get install chromium)")
    return found


@pytest.fixture(scope="session")
def browser(chromium_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    instance = Browser(chromium_bin, tmp_path_factory.mktemp("chromium-profile"), width=1280, height=900)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    tab = Page(browser)
    try:
        yield tab
    finally:
        try:
            browser.send("Target.closeTarget", {"targetId": tab.target_id})
        except Exception:  # noqa: BLE001 - closing a tab is best effort
            pass


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A report folder with three runs of one task (for trends) and one run full of hostile text."""
    root = tmp_path_factory.mktemp("site")
    out = root / "results"
    paths: dict[str, Path] = {"out": out}
    for name, day, effect in (("r1", "2026-11-20", 0.9), ("r2", "2026-11-21", 0.8), ("r3", "2026-11-23", 0.7)):
        run = write_run(root / name, RunSpec(run_id=name, created_at=f"{day}T09:00:00Z", effect=effect))
        written = write_reports(run, analyze_run(run), out)
        paths[name] = written[1]
    trials = [
        TrialSpec("xss-task", arm, n, prompt_text=PAYLOAD, file_name=f"src/{XSS_IMG}{XSS_TEMPLATE}.py",
                  status="failed" if n == 2 else "completed", reason=PAYLOAD if n == 2 else None)
        for arm in (BASELINE, TREATMENT) for n in (1, 2, 3)
    ]
    hostile = write_run(root / "hostile", RunSpec(run_id=f"hostile-{XSS_TEMPLATE}", tasks=["xss-task"],
                                                  trials=trials, prompt=PAYLOAD, created_at="2026-11-22T09:00:00Z"))
    written = write_reports(hostile, analyze_run(hostile), out)
    paths["hostile"] = written[1]
    paths["index"] = out / "index.html"
    return paths


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $POPKIT_SCREENSHOT_DIR if set (to look at them), else a temp folder."""
    target = os.environ.get("POPKIT_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        return Path(target)
    return tmp_path_factory.mktemp("screenshots")
