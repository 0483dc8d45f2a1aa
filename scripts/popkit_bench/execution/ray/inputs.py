"""Files a trial needs besides its codebase, shipped to the node: each plugin folder and skill folder of the
arm (tar.gz, one object-store entry per folder) and the task's responses file (bytes). On the node they land in the
trial's scratch folder and the spec is rewritten to point there (no shared filesystem assumed)."""

from __future__ import annotations

import dataclasses
import io
import os
import tarfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from popkit_bench.execution.ray.archive import unpack
from popkit_bench.execution.spec import TrialSpec

# Never shipped with a plugin: version control, virtual environments, caches, run folders.
SKIPPED = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache",
           ".popkit", ".tox"}


def pack_plugin(folder: Path) -> bytes:
    """tar.gz of a plugin folder without SKIPPED folders, compiled files or links."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not Path(root, d).is_symlink())
            for name in sorted(files):
                path = Path(root, name)
                if path.is_symlink() or not path.is_file() or name.endswith(".pyc"):
                    continue
                tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    return buffer.getvalue()


class InputStore:
    """Object references of the plugin folders (packed and put once each) and responses files (read once)."""

    def __init__(self, put: Callable[[bytes], Any] | None = None) -> None:
        self._put = put
        self._folders: dict[str, Any] = {}
        self._responses: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes) -> Any:
        if self._put is not None:
            return self._put(data)
        import ray

        return ray.put(data)

    def folder_ref(self, folder: Path) -> Any:
        """The object reference of a packed folder (packed and put the first time; call with the lock held)."""
        if str(folder) not in self._folders:
            self._folders[str(folder)] = self.put(pack_plugin(Path(folder)))
        return self._folders[str(folder)]

    def inputs_for(self, spec: TrialSpec) -> dict[str, Any]:
        """{"plugins": [ref per plugin dir], "skills": [ref per skill folder], "responses": bytes | None}."""
        with self._lock:
            plugins = [self.folder_ref(folder) for folder in spec.arm.plugin_dirs]
            skills = [self.folder_ref(folder) for folder in spec.arm.skills]
            responses = None
            path = spec.task.responses_path
            if path is not None:
                if str(path) not in self._responses:
                    self._responses[str(path)] = Path(path).read_bytes()
                responses = self._responses[str(path)]
        return {"plugins": plugins, "skills": skills, "responses": responses}


def localize_inputs(spec: TrialSpec, inputs: dict[str, Any], scratch: Path,
                    fetch: Callable[[Any], bytes]) -> TrialSpec:
    """The spec with its plugin folders, skill folders and responses file unpacked under `scratch`
    (fetch: ray.get)."""
    def unpacked(kind: str, folders: tuple[Path, ...]) -> tuple[Path, ...]:
        out = []
        for index, (folder, ref) in enumerate(zip(folders, inputs.get(kind) or [], strict=True)):
            target = scratch / kind / str(index) / Path(folder).name
            unpack(fetch(ref), target)
            out.append(target)
        return tuple(out)

    task = spec.task
    if inputs.get("responses") is not None and task.responses_path is not None:
        target = scratch / "inputs" / Path(task.responses_path).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(inputs["responses"])
        task = dataclasses.replace(task, responses_path=target)
    arm = dataclasses.replace(spec.arm, plugin_dirs=unpacked("plugins", spec.arm.plugin_dirs),
                              skills=unpacked("skills", spec.arm.skills))
    return dataclasses.replace(spec, arm=arm, task=task)
