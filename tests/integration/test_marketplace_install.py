"""`claude plugin marketplace add <checkout>` + `plugin install` (real CLI 2.1.330) copies the plugin folder into
its cache as it is, .gitignore or not, but drops symlinks that lead out of the folder. `make links` makes
.venv and .popkit such symlinks, so a checkout where `make demo` ran installs without its environment or
run folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.real_cli


def checkout_copy(target: Path) -> Path:
    """The repository's tracked files, as a fresh checkout would have them."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def install(claude_bin: Path, checkout: Path, home: Path) -> Path:
    """Add the checkout as a marketplace, install popkit-ops from it; return the plugin's cache folder."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "CLAUDE_CONFIG_DIR": str(home / ".claude"), "DISABLE_AUTOUPDATER": "1", "DISABLE_TELEMETRY": "1",
           "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    for argv in (["plugin", "marketplace", "add", str(checkout)], ["plugin", "install", "popkit-ops@popkit-ops"]):
        done = subprocess.run([str(claude_bin), *argv], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    found = sorted((home / ".claude" / "plugins" / "cache").glob("popkit-ops/popkit-ops/*/.claude-plugin"))
    assert found, "plugin not found in the cache"
    return found[0].parent


def fill(checkout: Path) -> None:
    """What `make demo` leaves: a virtual environment and a run folder."""
    (checkout / ".venv" / "lib").mkdir(parents=True, exist_ok=True)
    (checkout / ".venv" / "lib" / "big.bin").write_bytes(b"\0" * 4096)
    (checkout / ".popkit" / "runs" / "20261201-demo").mkdir(parents=True, exist_ok=True)
    (checkout / ".popkit" / "runs" / "20261201-demo" / "results.jsonl").write_text("{}\n")


def test_make_links_keeps_venv_and_runs_out_of_the_plugin_cache(claude_bin: Path, tmp_path: Path) -> None:
    checkout = checkout_copy(tmp_path / "checkout")
    cache = tmp_path / "popkit-cache"
    subprocess.run(["make", "-s", "links", f"CACHE={cache}"], cwd=checkout, check=True, timeout=60)
    assert (checkout / ".venv").is_symlink() and (checkout / ".popkit").is_symlink()
    fill(checkout)  # written through the links, into the cache
    assert list(cache.glob("checkouts/*/venv/lib/big.bin")) and list(cache.glob("checkouts/*/popkit/runs/*"))
    installed = install(claude_bin, checkout, tmp_path / "home")
    assert (installed / "commands" / "benchmark.md").is_file() and (installed / "scripts" / "popkit-bench").is_file()
    assert not (installed / ".venv").exists() and not (installed / ".popkit").exists()


def test_without_the_links_the_cli_copies_them(claude_bin: Path, tmp_path: Path) -> None:
    """Why the links exist: real folders are copied whatever .gitignore says."""
    checkout = checkout_copy(tmp_path / "checkout")
    fill(checkout)
    installed = install(claude_bin, checkout, tmp_path / "home")
    assert (installed / ".venv" / "lib" / "big.bin").is_file() and (installed / ".popkit" / "runs").is_dir()
