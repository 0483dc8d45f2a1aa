"""The trial spec: everything an executor needs to run one trial, as plain, serialisable data.

A spec survives a round trip through JSON (`TrialSpec.from_json(spec.to_json()) == spec`), so an executor
can ship it to another process or machine. It names no live object: the model endpoint is a URL, the
codebase a git repository path and commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from popkit_bench.planning.arm_definition import ArmDefinition
from popkit_bench.planning.plan import TrialKey
from popkit_bench.record.plain import from_plain, to_plain
from popkit_bench.tasks.spec import TaskSpec
from popkit_bench.workspace.codebase import Codebase

SandboxLevel = Literal["none", "bwrap"]
NetworkLevel = Literal["gateway", "full"]


@dataclass(frozen=True)
class TrialSettings:
    """Per-run settings, identical across arms."""

    timeout_s: float | None = None
    max_turns: int | None = None
    max_budget_usd: float | None = None
    model: str | None = None
    permission_mode: str = "acceptEdits"
    settings: dict[str, Any] | None = None
    keep_worktree: bool = False
    sandbox: SandboxLevel = "none"
    network: NetworkLevel = "full"
    setting_sources: str = ""  # claude --setting-sources: "" none; "project" loads the worktree's .claude/


@dataclass(frozen=True)
class TrialSpec:
    """One trial, self-contained: what to run (task, arm, codebase) and how (settings, model endpoint)."""

    run_id: str
    key: TrialKey
    task: TaskSpec
    arm: ArmDefinition  # a planning.plan.Arm given here is turned into its ArmDefinition
    codebase: Codebase
    settings: TrialSettings = field(default_factory=TrialSettings)
    tested_plugins: tuple[str, ...] = ()
    model_base_url: str | None = None  # the scripted model or gateway for this trial; None: the real API
    config_key: str = ""  # names the run's config-folder root (unique per run folder)
    claude_bin: Path | None = None
    claude_version: str | None = None  # the version the arm's binary reports (checked from the init event)
    forbidden_skills: tuple[str, ...] = ()  # other arms' skills (`<plugin>:<skill>`): this arm must not list them
    forbidden_mcp_servers: tuple[str, ...] = ()  # other arms' MCP servers

    def __post_init__(self) -> None:
        if not isinstance(self.arm, ArmDefinition):
            object.__setattr__(self, "arm", ArmDefinition.from_arm(self.arm))

    @property
    def timeout_s(self) -> float:
        """The trial's timeout: the run's --timeout, else the task's."""
        return float(self.settings.timeout_s or self.task.timeout_seconds)

    def with_codebase(self, codebase: Codebase) -> TrialSpec:
        """The same trial from another copy of the codebase (e.g. unbundled on a worker)."""
        return replace(self, codebase=codebase)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return to_plain(self)

    @classmethod
    def from_json(cls, data: Any) -> TrialSpec:
        """The typed spec (PlainError names a field that does not fit)."""
        return from_plain(cls, data)
