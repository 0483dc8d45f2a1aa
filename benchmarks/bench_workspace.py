"""Per-trial cost of a trial's working copy: the private `clone --shared` popkit uses, against a linked
`git worktree` (shares the run's refs/objects: unsafe) and a full `clone --no-local --no-hardlinks`.

Usage: python benchmarks/bench_workspace.py [--repeats N] [--repo PATH]
Default repository: the bundled callback-store codebase (as a run makes it); --repo times a bigger one.
Prints the median create+remove time per design in ms, and the fingerprint check's share.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.fingerprint import repo_fingerprint
from popkit_bench.workspace.git import commit_folder, git
from popkit_bench.workspace.worktree import create_worktree, remove_worktree

BUNDLED = Path(__file__).resolve().parents[1] / "tasks" / "codebases" / "callback-store"


def base_repo(tmp: Path, source: Path | None) -> Codebase:
    target = tmp / "base"
    if source is None:
        shutil.copytree(BUNDLED, target)
        commit_folder(target, "bundled")
    else:
        git("clone", "-q", "--no-checkout", "--no-local", str(source), str(target))
    commit = git("rev-parse", "HEAD", cwd=target).strip()
    return Codebase(target, commit, "HEAD", "bench", None, repo_fingerprint(target))


def private_clone(codebase: Codebase, path: Path) -> None:
    create_worktree(codebase, path)
    remove_worktree(codebase, path)


def linked_worktree(codebase: Codebase, path: Path) -> None:
    git("worktree", "add", "-q", "--detach", str(path), codebase.commit, cwd=codebase.repo)
    git("worktree", "remove", "--force", str(path), cwd=codebase.repo)


def full_clone(codebase: Codebase, path: Path) -> None:
    git("clone", "-q", "--no-local", "--no-hardlinks", "--no-checkout", str(codebase.repo), str(path))
    git("checkout", "-q", "--detach", codebase.commit, cwd=path)
    shutil.rmtree(path)


def timed(design: Callable[[Codebase, Path], None], codebase: Codebase, tmp: Path, repeats: int) -> float:
    samples = []
    for index in range(repeats):
        start = time.perf_counter()
        design(codebase, tmp / f"wt-{design.__name__}-{index}")
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--repo", type=Path, help="a git repository to time instead of the bundled codebase")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        codebase = base_repo(tmp, args.repo)
        print(f"repository: {args.repo or BUNDLED} ({sum(1 for _ in codebase.repo.rglob('*'))} entries)")
        for design in (private_clone, linked_worktree, full_clone):
            print(f"{design.__name__:16s} median {timed(design, codebase, tmp, args.repeats):7.1f} ms per trial")
        start = time.perf_counter()
        for _ in range(args.repeats):
            repo_fingerprint(codebase.repo)
        print(f"fingerprint check: {(time.perf_counter() - start) / args.repeats * 1000:.2f} ms")


if __name__ == "__main__":
    cli()
