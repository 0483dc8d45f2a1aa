"""An arm's `claude_version`: a pinned npm version installed into the cache (like `make cli`), or a binary path."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from popkit_bench.agent.cli_locator import CLI_PACKAGE, cache_root, cli_version
from popkit_bench.errors import InputError

VERSION_RE = re.compile(r"^\d+\.\d+\.\d+([-.][0-9A-Za-z.]+)?$")
INSTALL_TIMEOUT_S = 600


def is_npm_version(text: str) -> bool:
    """'2.1.329' (an exact npm version), as opposed to a path to a binary."""
    return bool(VERSION_RE.match(text))


def version_install_dir(version: str) -> Path:
    """Where `claude_version: X` is installed: <cache>/claude-cli-X (the pinned one stays in claude-cli)."""
    return cache_root() / f"claude-cli-{version}"


def installed_binary(version: str) -> Path:
    return version_install_dir(version) / "node_modules" / ".bin" / "claude"


def install_version(version: str, *, npm: str = "npm") -> Path:
    """The binary of `@anthropic-ai/claude-code@version`, installed with npm into the cache if missing.

    InputError (exit 2) when npm fails or the installed binary reports another version.
    """
    binary = installed_binary(version)
    if binary.exists() and cli_version(binary) == version:
        return binary
    target = version_install_dir(version)
    target.mkdir(parents=True, exist_ok=True)
    argv = [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(target),
            f"{CLI_PACKAGE}@{version}"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"cannot install Claude Code {version} with npm: {exc}", field="claude_version") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout or "").strip().splitlines()[-3:]
        raise InputError(f"npm could not install {CLI_PACKAGE}@{version}: {' | '.join(tail)}",
                         field="claude_version", expected="a published version (npm view "
                         f"{CLI_PACKAGE} versions)")
    found = cli_version(binary) if binary.exists() else None
    if found != version:
        raise InputError(f"installed Claude Code reports version {found!r}, not {version!r}",
                         field="claude_version", file=binary)
    return binary


def resolve_cli(claude_version: str | None, default: Path) -> Path:
    """The binary an arm runs: its npm version (installed on demand), its binary path, or the run's default."""
    if not claude_version:
        return default
    if is_npm_version(claude_version):
        return install_version(claude_version)
    path = Path(claude_version).expanduser()
    if not path.is_file():
        raise InputError("no Claude Code binary at this path", field="claude_version", file=path,
                         expected="an npm version such as 2.1.329 or the path of a claude executable")
    return path.resolve()


def arm_binaries(arms: list, default: Path, default_version: str | None) -> dict[str, tuple[Path, str | None]]:
    """{arm name: (binary, the version it reports)}: each arm's claude_version resolved (installed once)."""
    out: dict[str, tuple[Path, str | None]] = {}
    seen: dict[str, tuple[Path, str | None]] = {}
    for arm in arms:
        wanted = getattr(arm, "claude_version", None)
        if not wanted:
            out[arm.name] = (default, default_version)
            continue
        if wanted not in seen:
            binary = resolve_cli(wanted, default)
            seen[wanted] = (binary, wanted if is_npm_version(wanted) else cli_version(binary))
        out[arm.name] = seen[wanted]
    return out
