"""Run-level confinement: the sandbox level, the model gateway, and each trial's access to the model.

The run set-up creates one `SandboxRuntime` (after `resolve_sandbox`), starts it, and for every trial
calls `open_trial` (a token valid while the trial runs, the environment that points the trial at the
gateway, and the `confine` hook for the claude process and the verification commands) and `close_trial`
(revokes the token; returns what the gateway counted, with a note when it differs from Claude Code).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from popkit_bench.gateway import Credential, Grant, ModelGateway, cli_totals, cross_check
from popkit_bench.sandbox.confine import NETWORK_FULL, NETWORK_GATEWAY, Confinement, NoConfinement
from popkit_bench.sandbox.probe import LEVEL_BWRAP, SandboxChoice


class ModelRoute(Protocol):
    """The scripted model's per-trial URL (RehearsalEndpoint); absent for real runs."""

    def base_url_for(self, key: str, task: Any, arm: Any = None) -> str | None: ...


@dataclass
class TrialAccess:
    """One trial's way to the model and its command wrapper."""

    key: str
    level: str
    env: dict[str, str]
    wrapper: Confinement | NoConfinement
    grant: Grant
    readonly: list[Path] = field(default_factory=list)

    def confine(self, argv: Sequence[str], env: dict[str, str], cwd: Path, writable: Sequence[Path] = (),
                readonly: Sequence[Path] = (), *, net: bool = True) -> tuple[list[str], dict[str, str]]:
        """The LocalExecutor's hook: wrap the claude process (net=True) or a verification command (net=False)."""
        return self.wrapper.wrap(argv, env, cwd, writable, [*self.readonly, *readonly], net=net)


class SandboxRuntime:
    """Owns the gateway and the wrappers of one run; `level` is what every record of the run says."""

    def __init__(self, choice: SandboxChoice, *, run_dir: Path, claude_binary: Path | None,
                 route: ModelRoute | None = None, run_budget_usd: float | None = None,
                 credential: Credential | None | str = "user") -> None:
        self.choice = choice
        self.route = route
        # With the scripted model every trial has its own upstream URL (given at open_trial).
        self.gateway = ModelGateway("http://127.0.0.1:9" if route is not None else None,
                                    None if route is not None else credential, run_budget_usd=run_budget_usd)
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
        """The wrapper for a task's network mode (one per mode, shared by the run's trials)."""
        if network not in self._wrappers:
            if self.level == LEVEL_BWRAP:
                self._wrappers[network] = Confinement(
                    bwrap=self.choice.binary, claude_binary=self._claude, hidden=[self._run_dir],
                    network=network, model=self.gateway.model_socket() if network == NETWORK_GATEWAY else None)
            else:
                self._wrappers[network] = NoConfinement()
        return self._wrappers[network]

    def open_trial(self, key: str, task: Any, arm: Any = None, *, budget_usd: float | None = None) -> TrialAccess:
        """A token for this trial (valid until `close_trial`), its environment and its wrapper."""
        upstream = self.route.base_url_for(key, task, arm) if self.route is not None else None
        grant = self.gateway.issue(key, budget_usd=budget_usd, upstream=upstream)
        network = getattr(task, "network", NETWORK_GATEWAY) or NETWORK_GATEWAY
        plugins = [Path(p) for p in getattr(arm, "plugin_dirs", ()) or ()]
        return TrialAccess(key, self.level, self.gateway.trial_env(grant),
                           self.wrapper(network if network in (NETWORK_GATEWAY, NETWORK_FULL) else NETWORK_GATEWAY),
                           grant, plugins)

    def close_trial(self, access: TrialAccess, result_event: dict[str, Any] | None) -> dict[str, Any]:
        """Revoke the trial's token; its gateway summary (for gateway.json) with the cross-check note."""
        self.gateway.revoke(access.grant)
        summary = access.grant.summary()
        summary["sandbox"] = access.level
        summary["cross_check_note"] = cross_check(access.grant.tokens, cli_totals(result_event or {}))
        return summary
