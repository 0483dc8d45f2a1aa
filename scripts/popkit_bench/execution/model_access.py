"""The model side of a run: the scripted model (with --rehearsal) and the sandbox runtime with its model
gateway, started before the first trial and stopped after the last, the same for run, skill run and
skill triggers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from popkit_bench.sandbox.probe import SandboxChoice
from popkit_bench.sandbox.runtime import SandboxRuntime


class ModelAccess:
    """`endpoint` (the scripted model, or None) and `runtime` (sandbox + gateway); a context manager."""

    def __init__(self, *, rehearsal: bool, sandbox: SandboxChoice, run_dir: Path, claude_binary: Path | None,
                 budget_usd: float | None) -> None:
        self.endpoint: Any = None
        if rehearsal:
            from popkit_bench.rehearsal.endpoint import RehearsalEndpoint

            self.endpoint = RehearsalEndpoint()
        self.runtime = SandboxRuntime(sandbox, run_dir=run_dir, claude_binary=claude_binary,
                                      scripted=self.endpoint is not None, run_budget_usd=budget_usd)

    @property
    def after_trial(self) -> Any:
        """The scripted model's record of what it served a trial (rehearsal.json), or None."""
        return self.endpoint.after_trial if self.endpoint is not None else None

    def __enter__(self) -> ModelAccess:
        if self.endpoint is not None:
            self.endpoint.start()
        self.runtime.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.runtime.stop()
        if self.endpoint is not None:
            self.endpoint.stop()
