"""Start a command in its own process group and kill its whole tree (psutil) on timeout or interrupt."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


def kill_tree(pid: int, *, grace_s: float = 3.0) -> list[int]:
    """Terminate a process and all its descendants (SIGTERM, then SIGKILL after grace); return pids seen."""
    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return []
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    return kill_processes([parent], grace_s=grace_s)


@dataclass
class Finished:
    """How a process tree ended."""

    exit_code: int | None
    timed_out: bool
    wall_s: float
    stdout: str
    stderr: str


def run_tree(
    argv: list[str] | str,
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout_s: float,
    shell: bool = False,
    stdout_path: Path | None = None,
    stderr_path: Path | None = None,
    stdin_data: str | None = None,
) -> Finished:
    """Run a command to completion or timeout; on timeout the whole tree is killed.

    Output goes to files when paths are given (so nothing is lost if we are killed), else is captured.
    """
    out_file = open(stdout_path, "wb") if stdout_path else subprocess.PIPE  # noqa: SIM115
    err_file = open(stderr_path, "wb") if stderr_path else subprocess.PIPE  # noqa: SIM115
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            shell=shell,
            stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
            stdout=out_file,
            stderr=err_file,
            start_new_session=True,
        )
        timed_out = False
        try:
            out, err = proc.communicate(
                input=stdin_data.encode() if stdin_data is not None else None, timeout=timeout_s
            )
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_tree(proc.pid)
            out, err = proc.communicate()
        except BaseException:
            kill_tree(proc.pid)
            proc.wait()
            raise
        else:
            # the leader exited; make sure no stray child of the tree lives on
            kill_tree_group(proc.pid)
        return Finished(
            exit_code=None if timed_out else proc.returncode,
            timed_out=timed_out,
            wall_s=time.monotonic() - start,
            stdout=(out or b"").decode("utf-8", "replace") if out_file is subprocess.PIPE else "",
            stderr=(err or b"").decode("utf-8", "replace") if err_file is subprocess.PIPE else "",
        )
    finally:
        for handle in (out_file, err_file):
            if handle is not subprocess.PIPE:
                handle.close()


def kill_tree_group(pgid: int) -> None:
    """Kill what is left of a process group after its leader exited (background children)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def kill_descendants(*, grace_s: float = 3.0, hard: bool = False) -> list[int]:
    """Kill every process tree started by this process (trials' claude, verification, windows).

    hard: SIGKILL at once (second Ctrl-C); else SIGTERM, then SIGKILL after grace.
    """
    killed: list[int] = []
    for child in psutil.Process().children(recursive=False):
        if hard:
            for proc in [child, *_safe_children(child)]:
                try:
                    proc.kill()
                    killed.append(proc.pid)
                except psutil.NoSuchProcess:
                    pass
        else:
            killed += kill_tree(child.pid, grace_s=grace_s)
    return killed


def _safe_children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def processes_inside(folders: list[Path], *, env_var: str | None = None, env_prefixes: list[Path] = ()) -> list[psutil.Process]:
    """Live processes (other than this one and its ancestors) whose cwd is inside one of `folders`, or
    whose environment variable `env_var` points inside one of `env_prefixes`: a killed run's orphans."""
    mine = {os.getpid()}
    try:
        mine |= {p.pid for p in psutil.Process().parents()}
    except psutil.NoSuchProcess:
        pass
    roots = [str(Path(f).resolve()) for f in folders]
    env_roots = [str(Path(p).resolve()) for p in env_prefixes]
    found = []
    for proc in psutil.process_iter(["pid"]):
        if proc.pid in mine:
            continue
        try:
            if _inside(proc.cwd(), roots):
                found.append(proc)
                continue
            if env_var and env_roots and _inside(proc.environ().get(env_var, ""), env_roots):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def _inside(path: str, roots: list[str]) -> bool:
    return bool(path) and any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def kill_processes(procs: list[psutil.Process], *, grace_s: float = 3.0) -> list[int]:
    """SIGTERM then SIGKILL a list of processes (and their children); return the pids."""
    everyone: dict[int, psutil.Process] = {}
    for proc in procs:
        for p in [proc, *_safe_children(proc)]:
            everyone[p.pid] = p
    for proc in everyone.values():
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(list(everyone.values()), timeout=grace_s)
    for proc in list(alive):  # children may have spawned more while dying
        for child in _safe_children(proc):
            everyone.setdefault(child.pid, child)
            alive.append(child)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace_s)
    return sorted(everyone)
