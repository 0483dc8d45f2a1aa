"""Files a trial needs besides its codebase, shipped to the node: each plugin folder under test (tar.gz,
one object-store entry per folder) and the task's responses file (bytes). On the node they land in the
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
        self._plugins: dict[str, Any] = {}
        self._responses: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes) -> Any:
        if self._put is not None:
            return self._put(data)
        import ray

        return ray.put(data)

    def inputs_for(self, spec: TrialSpec) -> dict[str, Any]:
        """{"plugins": [object ref per plugin dir], "responses": bytes | None} for one trial."""
        with self._lock:
            plugins = []
            for folder in spec.arm.plugin_dirs:
                if str(folder) not in self._plugins:
                    self._plugins[str(folder)] = self.put(pack_plugin(Path(folder)))
                plugins.append(self._plugins[str(folder)])
            responses = None
            path = spec.task.responses_path
            if path is not None:
                if str(path) not in self._responses:
                    self._responses[str(path)] = Path(path).read_bytes()
                responses = self._responses[str(path)]
        return {"plugins": plugins, "responses": responses}


def localize_inputs(spec: TrialSpec, inputs: dict[str, Any], scratch: Path,
                    fetch: Callable[[Any], bytes]) -> TrialSpec:
    """The spec with its plugin folders and responses file unpacked under `scratch` (fetch: ray.get)."""
    plugin_dirs = []
    for index, (folder, ref) in enumerate(zip(spec.arm.plugin_dirs, inputs.get("plugins") or [], strict=True)):
        target = scratch / "plugins" / str(index) / Path(folder).name
        unpack(fetch(ref), target)
        plugin_dirs.append(target)
    task = spec.task
    if inputs.get("responses") is not None and task.responses_path is not None:
        target = scratch / "inputs" / Path(task.responses_path).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(inputs["responses"])
        task = dataclasses.replace(task, responses_path=target)
    arm = dataclasses.replace(spec.arm, plugin_dirs=tuple(plugin_dirs))
    return dataclasses.replace(spec, arm=arm, task=task)
