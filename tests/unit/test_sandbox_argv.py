"""The bubblewrap command line and the `--sandbox` choice, without starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from popkit_bench.errors import InputError
from popkit_bench.execution.executor import NoConfinement
from popkit_bench.sandbox.bwrap import SOCKET_INSIDE, BwrapLayout, bwrap_argv
from popkit_bench.sandbox.confine import FORWARDER, Confinement, ModelSocket, confined_env
from popkit_bench.sandbox.paths import worktree_git_dirs
from popkit_bench.sandbox.probe import Probe, resolve_sandbox


def positions(argv: list[str], option: str, path: Path) -> list[int]:
    return [i for i in range(len(argv) - 2) if argv[i] == option and argv[i + 2] == str(path)]


def test_order_home_tmpfs_then_readonly_then_hidden_then_writable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli = home / ".cache" / "cli"
    run = tmp_path / "pkg" / "runs" / "r1"
    worktree = run / "worktrees" / "t1"
    for folder in (cli, worktree):
        folder.mkdir(parents=True)
    layout = BwrapLayout(writable=(worktree,), readonly=(cli, tmp_path / "pkg"), hidden=(run,), home=home,
                         cwd=worktree)
    argv = bwrap_argv("bwrap", layout, ["claude", "-p"])
    home_at = argv.index(str(home)) - 1
    assert argv[home_at] == "--tmpfs"
    cli_at = positions(argv, "--ro-bind", cli)[0]
    hidden_at = argv.index(str(run)) - 1
    assert argv[hidden_at] == "--tmpfs"  # the run folder is covered: it lies inside a read-only bind
    worktree_at = positions(argv, "--bind", worktree)[0]
    assert home_at < cli_at < hidden_at < worktree_at  # the CLI is bound again after the tmpfs over HOME
    for flag in ("--unshare-pid", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-ipc"):
        assert flag in argv
    assert argv[-3:] == ["--", "claude", "-p"]
    assert ["--chdir", str(worktree)] == argv[argv.index("--chdir"):argv.index("--chdir") + 2]


def test_system_is_read_only_and_home_folders_absent(tmp_path: Path) -> None:
    argv = bwrap_argv("bwrap", BwrapLayout(writable=(tmp_path,)), ["true"])
    bound = {argv[i + 2] for i, a in enumerate(argv) if a in ("--bind", "--ro-bind")}
    assert "/usr" in bound and "/etc" in bound
    assert not {"/", "/root", "/home", "/work", "/srv", "/mnt"} & bound
    assert positions(argv, "--bind", tmp_path)


def test_hidden_folder_not_under_any_bind_needs_no_tmpfs(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    argv = bwrap_argv("bwrap", BwrapLayout(writable=(), hidden=(tmp_path / "run",)), ["true"])
    assert str(tmp_path / "run") not in argv


def test_network_full_shares_the_network_and_has_no_forwarder(tmp_path: Path) -> None:
    sock = tmp_path / "m.sock"
    sock.write_text("")
    gated = Confinement(network="gateway", model=ModelSocket(4321, sock))
    argv, _ = gated.wrap(["claude"], {"ANTHROPIC_BASE_URL": "http://127.0.0.1:4321/t/x"}, tmp_path, [tmp_path])
    assert "--unshare-net" in argv and str(SOCKET_INSIDE) in argv
    assert argv[-4:] == ["4321", str(SOCKET_INSIDE), "--", "claude"]
    assert argv[argv.index("--") + 1:][2:4] == ["-S", str(FORWARDER)]
    verify, _ = gated.wrap(["python3", "-m", "unittest"], {}, tmp_path, [tmp_path])  # no ANTHROPIC_BASE_URL
    assert "--unshare-net" in verify and "forwarder.py" not in " ".join(verify)
    full, _ = Confinement(network="full", model=ModelSocket(4321, sock)).wrap(
        ["claude"], {"ANTHROPIC_BASE_URL": "x"}, tmp_path, [tmp_path])
    assert "--unshare-net" not in full and "forwarder.py" not in " ".join(full)
    with pytest.raises(ValueError):
        Confinement(network="partial")


def test_env_gets_a_fresh_home_and_loses_personal_pointers() -> None:
    env = confined_env({"HOME": "/root", "SSH_AUTH_SOCK": "/tmp/agent", "PATH": "/usr/bin", "XDG_CONFIG_HOME": "/x"},
                       Path("/home/trial"))
    assert env == {"HOME": "/home/trial", "PATH": "/usr/bin", "TMPDIR": "/tmp", "USER": "trial"}
    plain = NoConfinement().wrap(["a"], {"HOME": "/root"}, cwd=Path("/"), writable=[], readonly=[])
    assert plain == (["a"], {"HOME": "/root"})


def test_linked_worktree_gets_its_gitdir_writable_and_the_shared_repo_read_only(tmp_path: Path) -> None:
    repo_git = tmp_path / "repo" / ".git"
    gitdir = repo_git / "worktrees" / "t1"
    gitdir.mkdir(parents=True)
    (gitdir / "commondir").write_text("../..\n")
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {gitdir}\n")
    assert worktree_git_dirs(worktree) == ([gitdir], [repo_git])
    argv, _ = Confinement(hidden=[tmp_path / "repo"], readonly=[tmp_path]).wrap(["git", "status"], {}, worktree,
                                                                              [worktree])
    tmpfs_at = argv.index(str(tmp_path / "repo")) - 1
    assert argv[tmpfs_at] == "--tmpfs"  # the run's repository is hidden, then bound again read-only ...
    assert tmpfs_at < positions(argv, "--ro-bind", repo_git)[0] < positions(argv, "--bind", gitdir)[0]
    (tmp_path / "clone" / ".git").mkdir(parents=True)
    assert worktree_git_dirs(tmp_path / "clone") == ([], [])


def test_sandbox_choice() -> None:
    usable, broken = Probe(True, "/usr/bin/bwrap"), Probe(False, "/usr/bin/bwrap", "bwrap cannot start here: x")
    assert resolve_sandbox("auto", usable).level == "bwrap"
    assert resolve_sandbox("bwrap", usable).warning is None
    fallback = resolve_sandbox("auto", broken)
    assert fallback.level == "none" and "WITHOUT a sandbox" in fallback.warning and "cannot start" in fallback.warning
    assert "WITHOUT a sandbox" in resolve_sandbox("none").warning
    with pytest.raises(InputError) as err:
        resolve_sandbox("bwrap", broken)
    assert "--sandbox" in str(err.value) and "apt-get install bubblewrap" in str(err.value)
    with pytest.raises(InputError):
        resolve_sandbox("docker", usable)


def test_earlier_runs_are_hidden_with_the_run_folder(tmp_path: Path) -> None:
    from popkit_bench.sandbox.runtime import hidden_folders

    runs = tmp_path / ".popkit" / "runs"
    assert hidden_folders(runs / "r2") == [runs / "r2", runs]
    assert hidden_folders(tmp_path / "my-run") == [tmp_path / "my-run"]
