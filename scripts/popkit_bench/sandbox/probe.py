"""Can bubblewrap confine a trial here? And which sandbox level does `--sandbox auto|bwrap|none` give?"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass

from popkit_bench.errors import InputError

LEVEL_BWRAP = "bwrap"
LEVEL_NONE = "none"
SANDBOX_CHOICES = ("auto", LEVEL_BWRAP, LEVEL_NONE)
INSTALL_HINT = "on Linux: apt-get install bubblewrap (user namespaces enabled), or --sandbox none"
NONE_WARNING = ("WARNING: trials run WITHOUT a sandbox ({why}): the agent and the plugin under test run with "
                "your full privileges and can read your files, reach the network and change the run's results")


@dataclass(frozen=True)
class Probe:
    """Whether bwrap can start a confined process here, and why not."""

    usable: bool
    binary: str | None
    reason: str | None = None


@dataclass(frozen=True)
class SandboxChoice:
    """The level trials run at, and the warning to show loudly when it is `none`."""

    level: str
    requested: str
    warning: str | None = None
    binary: str | None = None


@functools.lru_cache(maxsize=4)
def probe_bwrap(binary: str | None = None) -> Probe:
    """Start `bwrap ... true` with the namespaces a trial uses (pid, ipc, net); cached per binary."""
    if not sys.platform.startswith("linux"):
        return Probe(False, None, f"bubblewrap needs Linux (this is {sys.platform})")
    found = binary or shutil.which("bwrap")
    if not found:
        return Probe(False, None, "bwrap is not installed")
    argv = [found, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--unshare-pid", "--unshare-ipc", "--unshare-net", "--die-with-parent", "--new-session", "--", "true"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Probe(False, found, f"bwrap did not start: {exc}")
    if done.returncode != 0:
        detail = (done.stderr or "").strip().splitlines()
        return Probe(False, found, f"bwrap cannot start here: {detail[-1] if detail else f'exit {done.returncode}'}")
    return Probe(True, found)


def resolve_sandbox(requested: str, probe: Probe | None = None) -> SandboxChoice:
    """auto: bwrap when it can start, else none (with a warning); bwrap: InputError when unusable; none: warning."""
    if requested not in SANDBOX_CHOICES:
        raise InputError(f"unknown sandbox {requested!r}", field="--sandbox", expected=" | ".join(SANDBOX_CHOICES))
    if requested == LEVEL_NONE:
        return SandboxChoice(LEVEL_NONE, requested, NONE_WARNING.format(why="--sandbox none"))
    probe = probe or probe_bwrap()
    if probe.usable:
        return SandboxChoice(LEVEL_BWRAP, requested, None, probe.binary)
    if requested == LEVEL_BWRAP:
        raise InputError(f"--sandbox bwrap: {probe.reason}", field="--sandbox", expected=INSTALL_HINT)
    return SandboxChoice(LEVEL_NONE, requested, NONE_WARNING.format(why=probe.reason))
