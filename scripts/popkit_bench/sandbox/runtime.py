"""Run-level confinement: the sandbox level, the model gateway, and each trial's access to the model.

The run set-up creates one `SandboxRuntime` (after `resolve_sandbox`), starts it, and for every trial
calls `open_trial` (a token valid while the trial runs, the trial's base URL through the gateway, and
the wrapper for its network mode) and `close_trial` (revokes the token; returns what the gateway
counted, with a note when it differs from Claude Code's own totals).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.execution.executor import NoConfinement
from popkit_bench.gateway import Credential, Grant, ModelGateway, cli_totals, cross_check
from popkit_bench.sandbox.confine import NETWORK_GATEWAY, NETWORKS, Confinement
from popkit_bench.sandbox.probe import LEVEL_BWRAP, SandboxChoice

PLACEHOLDER_UPSTREAM = "http://127.0.0.1:9"  # scripted model: every trial brings its own upstream URL


@dataclass
class TrialAccess:
    """One trial's way to the model: its grant, base URL (token in the path) and command wrapper."""

    key: str
    level: str
    network: str
    base_url: str
    wrapper: Confinement | NoConfinement
    grant: Grant


class SandboxRuntime:
    """Owns the gateway and the wrappers of one run; `level` is what every record of the run says.

    `scripted`: the model is the scripted one (each trial's upstream is its own rehearsal URL, no
    credential, no budget: nothing is spent). Otherwise the gateway holds the user's credential and
    enforces `run_budget_usd` and each trial's budget.
    """

    def __init__(self, choice: SandboxChoice, *, run_dir: Path, claude_binary: Path | None, scripted: bool = False,
                 run_budget_usd: float | None = None, credential: Credential | None | str = "user") -> None:
        self.choice = choice
        self.scripted = scripted
        self.gateway = ModelGateway(PLACEHOLDER_UPSTREAM if scripted else None, None if scripted else credential,
                                    run_budget_usd=None if scripted else run_budget_usd)
        self._wrappers: dict[str, Confinement | NoConfinement] = {}
        self._run_dir = run_dir
        self._claude = claude_binary

    @property
    def level(self) -> str:
        return self.choice.level

    def start(self) -> None:
        """Start the gateway; say loudly when trials run without a sandbox."""
        self.gateway.start()
        if self.choice.warning:
            print(f"popkit-bench: {self.choice.warning}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        self.gateway.stop()

    def wrapper(self, network: str) -> Confinement | NoConfinement:
        """The wrapper for a network mode (one per mode, shared by the run's trials)."""
        if network not in NETWORKS:
            raise ValueError(f"network must be one of {NETWORKS}, got {network!r}")
        if not self.gateway.port:
            raise RuntimeError("start the SandboxRuntime before asking for a wrapper (the gateway has no port yet)")
        if network not in self._wrappers:
            if self.level == LEVEL_BWRAP:
                self._wrappers[network] = Confinement(
                    bwrap=self.choice.binary, claude_binary=self._claude, hidden=hidden_folders(self._run_dir),
                    network=network,
                    model=self.gateway.model_socket() if network == NETWORK_GATEWAY else None)
            else:
                self._wrappers[network] = NoConfinement()
        return self._wrappers[network]

    def open_trial(self, key: str, *, network: str = NETWORK_GATEWAY, upstream: str | None = None,
                   budget_usd: float | None = None) -> TrialAccess:
        """A token for this trial (valid until `close_trial`), its base URL and its wrapper."""
        grant = self.gateway.issue(key, budget_usd=None if self.scripted else budget_usd, upstream=upstream)
        return TrialAccess(key, self.level, network, self.gateway.url_for(grant), self.wrapper(network), grant)

    def close_trial(self, access: TrialAccess, result_event: dict[str, Any] | None) -> dict[str, Any]:
        """Revoke the trial's token; its gateway summary (for gateway.json) with the cross-check note."""
        self.gateway.revoke(access.grant)
        summary = access.grant.summary()
        summary.update(sandbox=access.level, network=access.network,
                       cross_check_note=cross_check(access.grant.tokens, cli_totals(result_event or {})))
        return summary


def hidden_folders(run_dir: Path) -> list[Path]:
    """The run folder, and the folder of earlier runs when it is the usual `.popkit/runs` (their
    transcripts and reports are no business of this trial)."""
    run_dir = Path(run_dir)
    return [run_dir, run_dir.parent] if run_dir.parent.name == "runs" else [run_dir]
