"""The LocalExecutor's Confinement (execution/executor.py): `wrap(argv, env, *, cwd, writable, readonly)`.

`Confinement` runs the command inside bubblewrap; `NoConfinement` (level "none") leaves it unchanged.
With network "gateway" the process has no network but loopback, where a forwarder listens on the model
endpoint's port and relays to the endpoint's Unix socket outside; the base URL is therefore the same
inside and outside. Only a command that talks to the model (its environment has ANTHROPIC_BASE_URL: the
agent) gets the forwarder; verification commands get no network at all.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from popkit_bench.sandbox.bwrap import SOCKET_INSIDE, BwrapLayout, bwrap_argv
from popkit_bench.sandbox.paths import PACKAGE_ROOT, tool_dirs, worktree_git_dirs
from popkit_bench.sandbox.probe import LEVEL_BWRAP

NETWORK_GATEWAY = "gateway"
NETWORK_FULL = "full"
NETWORKS = (NETWORK_GATEWAY, NETWORK_FULL)
FORWARDER = Path(__file__).with_name("forwarder.py")
# Variables pointing into the user's home or tool set-up that are meaningless (or leak paths) inside.
DROPPED_ENV = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR",
               "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "DBUS_SESSION_BUS_ADDRESS", "PYENV_ROOT", "VIRTUAL_ENV")


@dataclass(frozen=True)
class ModelSocket:
    """The model endpoint as a trial without network reaches it: loopback port inside, Unix socket outside."""

    port: int
    socket_path: Path


class Confinement:
    """Level "bwrap": each wrapped command runs in its own namespaces with only the given paths writable.

    `hidden`: folders never visible (the run folder); `readonly`: visible to every command (popkit-ops,
    the CLI, this Python); `network`: "gateway" (loopback only, plus `model` if given) or "full".
    """

    level = LEVEL_BWRAP

    def __init__(self, *, bwrap: str | None = None, claude_binary: Path | None = None,
                 hidden: Sequence[Path] = (), readonly: Sequence[Path] = (), network: str = NETWORK_GATEWAY,
                 model: ModelSocket | None = None, home: Path = Path("/home/trial")) -> None:
        if network not in NETWORKS:
            raise ValueError(f"network must be one of {NETWORKS}, got {network!r}")
        self.bwrap = bwrap or shutil.which("bwrap") or "bwrap"
        self.hidden = tuple(Path(p) for p in hidden)
        self.readonly = (PACKAGE_ROOT, *tool_dirs(claude_binary), *(Path(p) for p in readonly))
        self.network = network
        self.model = model
        self.home = home

    def wrap(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path, writable: Sequence[Path] = (),
             readonly: Sequence[Path] = (), *, net: bool | None = None) -> tuple[list[str], dict[str, str]]:
        """The bwrap command running `argv` in `cwd`, and its environment (fresh HOME, private TMPDIR).

        `net`: the command talks to the model (default: when its environment has ANTHROPIC_BASE_URL).
        A linked git worktree in `cwd` also gets its own git folder (writable) and the shared repository
        (read-only).
        """
        isolated = self.network == NETWORK_GATEWAY
        talks = "ANTHROPIC_BASE_URL" in env if net is None else net
        forward = isolated and talks and self.model is not None
        git_rw, git_ro = worktree_git_dirs(Path(cwd))
        layout = BwrapLayout(
            writable=tuple(Path(p) for p in (*writable, *git_rw)),
            readonly=self.readonly + tuple(Path(p) for p in (*readonly, *git_ro)),
            hidden=self.hidden, home=self.home, cwd=Path(cwd), unshare_net=isolated,
            model_socket=self.model.socket_path if forward and self.model else None)
        command = list(argv)
        if forward and self.model is not None:
            command = [forwarder_python(), "-I", "-S", str(FORWARDER), str(self.model.port), str(SOCKET_INSIDE),
                       "--", *command]
        return bwrap_argv(self.bwrap, layout, command), confined_env(env, self.home)


def confined_env(env: Mapping[str, str], home: Path) -> dict[str, str]:
    """`env` with HOME the fresh empty home, TMPDIR the private /tmp, and personal pointers dropped."""
    out = {k: v for k, v in env.items() if k not in DROPPED_ENV}
    out.update({"HOME": str(home), "TMPDIR": "/tmp", "USER": out.get("USER", "trial")})
    return out


def forwarder_python() -> str:
    """The system Python when there is one (always visible inside), else this interpreter (bound read-only)."""
    for candidate in ("/usr/bin/python3", "/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


def trial_writable(worktree: Path, config_dir: Path) -> tuple[list[Path], list[Path]]:
    """(writable, read-only) paths of one trial's agent: the worktree and config folder (the git folders
    of a linked worktree are added by `wrap` itself)."""
    return [worktree, config_dir], []
