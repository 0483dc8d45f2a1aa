"""A task's codebase travels to the worker nodes as a git bundle (no shared filesystem assumed)."""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from pathlib import Path
from typing import Any

from popkit_bench.workspace.codebase import Codebase
from popkit_bench.workspace.git import git

BUNDLE_REF_PREFIX = "refs/popkit-bundle/"


def bundle_ref(commit: str) -> str:
    """The ref that names the trial's commit inside a bundle."""
    return f"{BUNDLE_REF_PREFIX}{commit}"


def create_bundle(repo: Path, commit: str) -> bytes:
    """A git bundle of `commit` (and its history) of the run's own repository, as bytes."""
    ref = bundle_ref(commit)
    git("update-ref", ref, commit, cwd=repo)
    try:
        with tempfile.TemporaryDirectory(prefix="popkit-bundle-") as tmp:
            path = Path(tmp) / "codebase.bundle"
            git("bundle", "create", "-q", str(path), ref, cwd=repo)
            return path.read_bytes()
    finally:
        git("update-ref", "-d", ref, cwd=repo, check=False)


def unbundle(data: bytes, target: Path, codebase: Codebase) -> Codebase:
    """A local repository at `target` holding the bundle's commit; the same codebase, now local."""
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
    return dataclasses.replace(codebase, repo=target)


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
