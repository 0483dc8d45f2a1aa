"""A task's codebase travels to the worker nodes as a git bundle (no shared filesystem assumed)."""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from pathlib import Path
from typing import Any

from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.fingerprint import repo_fingerprint
from popkit_bench.workspace.git import git
from popkit_bench.workspace.worktree import objects_dir

BUNDLE_REF_PREFIX = "refs/popkit-bundle/"


def bundle_ref(commit: str) -> str:
    """The ref that names the trial's commit inside a bundle."""
    return f"{BUNDLE_REF_PREFIX}{commit}"


def create_bundle(repo: Path, commit: str) -> bytes:
    """A git bundle of `commit` (and its history) of the run's own repository, as bytes.

    The run's repository is only read: the bundle is made in a scratch repository that reaches its objects
    through `objects/info/alternates` (a ref there names the commit), so its fingerprint does not change."""
    ref = bundle_ref(commit)
    with tempfile.TemporaryDirectory(prefix="popkit-bundle-") as tmp:
        scratch = Path(tmp) / "repo"
        git("init", "-q", "--bare", "--template=", str(scratch))
        (scratch / "objects" / "info").mkdir(parents=True, exist_ok=True)
        (scratch / "objects" / "info" / "alternates").write_text(f"{objects_dir(repo)}\n", encoding="utf-8")
        git("update-ref", ref, commit, cwd=scratch)
        path = Path(tmp) / "codebase.bundle"
        git("bundle", "create", "-q", str(path), ref, cwd=scratch)
        return path.read_bytes()


def unbundle(data: bytes, target: Path, codebase: Codebase) -> Codebase:
    """A local repository at `target` holding the bundle's commit; the same codebase, now local (with its
    own fingerprint, so trials refuse to start from it once something wrote to it)."""
    target.mkdir(parents=True, exist_ok=True)
    path = target.parent / f"{target.name}.bundle"
    path.write_bytes(data)
    try:
        git("init", "-q", cwd=target)
        ref = bundle_ref(codebase.commit)
        git("fetch", "-q", str(path), f"{ref}:{ref}", cwd=target)
        got = git("rev-parse", "--verify", "--quiet", f"{codebase.commit}^{{commit}}", cwd=target).strip()
    finally:
        path.unlink(missing_ok=True)
    if got != codebase.commit:
        raise RuntimeError(f"bundle does not hold commit {codebase.commit}")
    return dataclasses.replace(codebase, repo=target, fingerprint=repo_fingerprint(target))


class BundleStore:
    """One object-store entry per (repository, commit): `ref_for` bundles and `ray.put`s it the first time."""

    def __init__(self, put: Any = None) -> None:
        self._put = put
        self._refs: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def ref_for(self, codebase: Codebase) -> Any:
        """The object reference of the codebase's bundle (created once per codebase and commit)."""
        key = (str(codebase.repo), codebase.commit)
        with self._lock:
            if key not in self._refs:
                put = self._put
                if put is None:
                    import ray

                    put = ray.put
                self._refs[key] = put(create_bundle(codebase.repo, codebase.commit))
            return self._refs[key]

    def __len__(self) -> int:
        return len(self._refs)
