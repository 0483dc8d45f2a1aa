"""The sandboxed executor: a LocalExecutor whose processes are confined and whose model is the gateway.

For each trial: a token at the gateway (valid only while the trial runs), the spec's model URL replaced
by the gateway's (the scripted model's URL, when there is one, becomes the gateway's upstream for this
trial), the LocalExecutor for the task's network mode, then the token revoked, gateway.json written and
the record told its sandbox level, network and the gateway's count.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from popkit_bench.execution.executor import Confinement, Executor
from popkit_bench.execution.spec import TrialSpec
from popkit_bench.record.trial_record import GatewayUsage, TrialRecord
from popkit_bench.sandbox.confine import NETWORK_GATEWAY
from popkit_bench.sandbox.runtime import SandboxRuntime
from popkit_shared.recording import load_stream_json

GATEWAY_FILE = "gateway.json"


class ConfinedExecutor:
    """Runs each trial through `make_local(confinement)` (one LocalExecutor per network mode)."""

    def __init__(self, runtime: SandboxRuntime, make_local: Callable[[Confinement], Executor],
                 name: str = "local") -> None:
        self.runtime = runtime
        self.name = name
        self._make_local = make_local
        self._local: dict[str, Executor] = {}
        self._lock = threading.Lock()

    def local(self, network: str) -> Executor:
        """The LocalExecutor of a network mode, made at its first trial (the gateway is listening by then)."""
        with self._lock:
            if network not in self._local:
                self._local[network] = self._make_local(self.runtime.wrapper(network))
            return self._local[network]

    def run(self, spec: TrialSpec, trial_dir: Path, cancel: threading.Event) -> TrialRecord:
        """Open the trial's access, run it confined, close the access; never raises (the inner executor records)."""
        network = getattr(spec.task, "network", NETWORK_GATEWAY)
        access = self.runtime.open_trial(spec.key.slug, network=network, upstream=spec.model_base_url,
                                         budget_usd=spec.settings.max_budget_usd)
        confined = replace(spec, model_base_url=access.base_url,
                           settings=replace(spec.settings, sandbox=access.level, network=network))
        record: TrialRecord | None = None
        try:
            record = self.local(network).run(confined, trial_dir, cancel)
        finally:
            summary = self.runtime.close_trial(access, result_event(trial_dir / "stream.jsonl"))
            trial_dir.mkdir(parents=True, exist_ok=True)
            (trial_dir / GATEWAY_FILE).write_text(json.dumps(summary, indent=2), encoding="utf-8")
        record.sandbox, record.network = access.level, network
        record.gateway = gateway_usage(summary)
        return record


def result_event(stream_path: Path) -> dict[str, Any] | None:
    """The token totals of the session's result event (`modelUsage`, for the cross-check), or None."""
    if not stream_path.is_file():
        return None
    try:
        session = load_stream_json(stream_path)
    except Exception:  # a broken stream is the inner executor's to report; the cross-check just lacks it
        return None
    model_usage = getattr(getattr(session, "result", None), "model_usage", None)
    return {"modelUsage": model_usage} if isinstance(model_usage, dict) else None


def gateway_usage(summary: dict[str, Any]) -> GatewayUsage:
    return GatewayUsage(requests=summary["requests"], tokens=dict(summary["tokens"]), cost_usd=summary["cost_usd"],
                        cost_null_reason=summary["cost_null_reason"], retries=summary["retries"],
                        refused=summary["refused"], cross_check_note=summary["cross_check_note"])
