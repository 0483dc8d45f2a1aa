"""The bubblewrap command line of a confined trial process (verified facts: shared/EXECUTION.md).

Inside: the system folders read-only, /dev, /proc, a private /tmp and a fresh empty HOME (tmpfs), then
the read-only paths (the CLI, popkit-ops, the plugins under test), then empty tmpfs over hidden paths
(the run folder), then the writable paths (the worktree, the config folder) and finally the model
socket. Later mounts win, so a read-only tool folder inside HOME (the CLI in ~/.cache) is bound again
after the tmpfs over HOME. New pid, ipc and (unless the task needs the network) net namespaces; the
process tree dies with its parent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from popkit_bench.sandbox.paths import system_entries

SOCKET_INSIDE = Path("/run/popkit/model.sock")


@dataclass(frozen=True)
class BwrapLayout:
    """What one confined process sees; paths are absolute host paths, bound at the same place inside."""

    writable: tuple[Path, ...]
    readonly: tuple[Path, ...] = ()
    hidden: tuple[Path, ...] = ()
    home: Path = Path("/home/trial")
    cwd: Path | None = None
    unshare_net: bool = True
    model_socket: Path | None = None  # host Unix socket bound (read-only) at SOCKET_INSIDE
    extra: tuple[str, ...] = field(default=())  # further bwrap options, appended before the command


def bwrap_argv(bwrap: str, layout: BwrapLayout, command: list[str]) -> list[str]:
    """`bwrap <options> -- <command>` for `layout`; paths that do not exist are skipped (not an error)."""
    argv = [bwrap]
    for kind, path, target in system_entries():
        argv += ["--symlink", str(target), str(path)] if kind == "symlink" else ["--ro-bind", str(path), str(path)]
    argv += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    argv += ["--tmpfs", str(layout.home)]
    inside_hidden = [p for p in _existing(layout.readonly) if _within(p, layout.hidden)]
    for path in _existing(layout.readonly):
        if path not in inside_hidden:
            argv += ["--ro-bind", str(path), str(path)]
    for path in _covered(layout.hidden, layout.readonly + layout.writable):
        argv += ["--tmpfs", str(path)]
    for path in inside_hidden:  # e.g. the run's own git repository a linked worktree needs
        argv += ["--ro-bind", str(path), str(path)]
    for path in _existing(layout.writable):
        argv += ["--bind", str(path), str(path)]
    if layout.model_socket is not None:
        argv += ["--ro-bind", str(layout.model_socket), str(SOCKET_INSIDE)]
    argv += ["--unshare-pid", "--unshare-ipc", "--die-with-parent", "--new-session"]
    if layout.unshare_net:
        argv += ["--unshare-net"]
    if layout.cwd is not None:
        argv += ["--chdir", str(layout.cwd)]
    argv += list(layout.extra)
    return argv + ["--", *command]


def _existing(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        path = Path(os.path.abspath(path))
        if path.exists() and path not in out:
            out.append(path)
    return out


def _within(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path.is_relative_to(Path(os.path.abspath(f))) for f in folders)


def _covered(hidden: tuple[Path, ...], bound: tuple[Path, ...]) -> list[Path]:
    """Hidden folders that would be visible through a bound parent (only those need a tmpfs over them)."""
    out = []
    for path in _existing(hidden):
        if any(path != b and path.is_relative_to(Path(os.path.abspath(b))) for b in bound) and path.is_dir():
            out.append(path)
    return out
