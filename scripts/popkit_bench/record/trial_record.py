"""The trial record: one line of results.jsonl, the contract between execution and analysis.

Every field is typed here and nowhere else; docs/schema/trial-record.schema.json is generated from these
classes (record/schema.py) and a test fails when the two drift apart. Statuses are defined once, below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from popkit_bench.record.plain import from_plain, to_plain

RECORD_SCHEMA = 2

Status = Literal["completed", "failed", "timeout", "error", "contaminated", "tampered", "interrupted"]
COMPLETED: Status = "completed"
FAILED: Status = "failed"
TIMEOUT: Status = "timeout"
ERROR: Status = "error"
CONTAMINATED: Status = "contaminated"
TAMPERED: Status = "tampered"
INTERRUPTED: Status = "interrupted"
# Usable records enter the statistics; final records end a trial (resume does not run it again);
# an interrupted record is not final: resume runs that trial again.
USABLE_STATUSES: tuple[str, ...] = (COMPLETED, FAILED)
FINAL_STATUSES: tuple[str, ...] = (COMPLETED, FAILED, TIMEOUT, ERROR, CONTAMINATED, TAMPERED)
NOT_COMPLETED_STATUSES: tuple[str, ...] = (FAILED, TIMEOUT, ERROR, CONTAMINATED, TAMPERED, INTERRUPTED)

MetricValue = int | float | None


def meta(doc: str) -> dict[str, str]:
    """Field metadata: the description that goes into the JSON Schema."""
    return {"doc": doc}


@dataclass
class VerificationResult:
    """One verification command as it ran in the trial's worktree."""

    command: str
    shell: bool = False
    exit_code: int | None = field(default=None, metadata=meta("null when the command could not start"))
    passed: bool = False
    timed_out: bool = False
    duration_s: float | None = None
    output_tail: str = field(default="", metadata=meta("the last 4,000 characters of stdout + stderr"))


@dataclass
class PurityCheck:
    """One thing checked from the init event: plugins, skills, mcp_servers, model or claude_code_version."""

    what: str
    ok: bool = True
    expected: Any = field(default=None, metadata=meta("names the arm must load, or the model / version asked for"))
    found: Any = field(default=None, metadata=meta("the model / version the init event reports"))
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list, metadata=meta("other arms' components that were loaded"))
    failed: list[str] = field(default_factory=list, metadata=meta("the arm's MCP servers that failed to start"))
    note: str | None = None


@dataclass
class Purity:
    """Whether the arm loaded exactly what it must (its plugin under test) and nothing it must not."""

    ok: bool = True
    reason: str | None = None
    expected_plugin: str | None = None
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list, metadata=meta("components the arm must load but did not"))
    unexpected: list[str] = field(default_factory=list, metadata=meta("components the arm must not load but did"))
    checks: list[PurityCheck] = field(default_factory=list, metadata=meta("every check, from the init event"))


@dataclass
class ReusedFrom:
    """The earlier trial a `run --reuse` record was copied from."""

    run_id: str | None = None
    arm: str | None = None
    trial: int | None = None
    run_dir: str | None = None
    ended_at: str | None = None


@dataclass
class Interactions:
    """What the harness, playing the user, answered: questions, approvals and denials (interactions.jsonl)."""

    questions: int = 0
    approvals: int = 0
    denials: int = 0


@dataclass
class EarlierAttempt:
    """An attempt that failed for an infrastructure reason and was retried."""

    attempt: int
    status: str
    reason: str | None = None
    session_id: str | None = None


@dataclass
class GatewayUsage:
    """What the model gateway counted for the trial's token (every request: hooks and nested claude too)."""

    requests: int = 0
    tokens: dict[str, int] = field(default_factory=dict)
    cost_usd: float | None = field(default=None, metadata=meta("at list price; null for a model without one"))
    cost_null_reason: str | None = None
    retries: int = field(default=0, metadata=meta("429/529/overloaded answers retried by the gateway"))
    refused: int = field(default=0, metadata=meta("requests refused because a budget was spent"))
    cross_check_note: str | None = field(default=None, metadata=meta("set when Claude Code's own totals differ"))


@dataclass
class TrialRecord:
    """One finished (or interrupted) trial."""

    task_id: str
    arm: str
    trial: int | None = None
    status: Status | None = None
    status_reason: str | None = None
    schema: int = RECORD_SCHEMA
    run_id: str | None = None
    attempts: int = 1
    earlier_attempts: list[EarlierAttempt] = field(default_factory=list)
    status_before_interrupt: str | None = None
    session_id: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    wall_s: float | None = field(default=None, metadata=meta("harness wall time of the whole trial"))
    agent_wall_s: float | None = field(default=None, metadata=meta("wall time of the claude process"))
    exit_code: int | None = None
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    metrics_null_reasons: dict[str, str] = field(default_factory=dict)
    metrics_source: str | None = None
    tools: dict[str, int] = field(default_factory=dict)
    verification: list[VerificationResult] = field(default_factory=list)
    interactions: Interactions = field(default_factory=Interactions)
    claude_code_version: str | None = None
    model: str | None = None
    plugins_loaded: list[str] = field(default_factory=list)
    purity: Purity | None = None
    codebase_commit: str | None = None
    trial_dir: str | None = field(default=None, metadata=meta("the trial's artifact folder, relative to the run"))
    terminal_reason: str | None = field(default=None, metadata=meta("the result event's terminal_reason"))
    api_error_status: int | None = field(default=None, metadata=meta("HTTP status of a failed API call"))
    final_answer: str | None = field(default=None, metadata=meta("the agent's final answer text"))
    result_subtype: str | None = field(default=None, metadata=meta("the result event's subtype"))
    result_is_error: bool | None = None
    executor: str | None = field(default=None, metadata=meta("which executor ran the trial (local, fake, ...)"))
    reused_from: ReusedFrom | None = field(default=None, metadata=meta(
        "run --reuse: the earlier trial this record was copied from (trial_dir is then that trial's folder)"))
    tampered_paths: list[str] = field(default_factory=list, metadata=meta(
        "protected paths of the task the trial changed (restored before verification; status tampered)"))
    sandbox: str | None = field(default=None, metadata=meta("the sandbox level the trial ran in: bwrap or none"))
    network: str | None = field(default=None, metadata=meta("what the trial could reach: gateway or full"))
    gateway: GatewayUsage | None = field(default=None, metadata=meta("the model gateway's count for this trial"))
    node: str | None = field(default=None, metadata=meta("the cluster node that ran the trial (--executor ray): "
                                                         "address/node id"))

    @property
    def key(self) -> tuple[str, str, int | None]:
        """(task_id, arm, trial)."""
        return (self.task_id, self.arm, self.trial)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_usable(self) -> bool:
        return self.status in USABLE_STATUSES

    def metric(self, name: str) -> float | None:
        """A metric as a finite float, or None."""
        value = self.metrics.get(name)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (the results.jsonl line)."""
        return to_plain(self)

    @classmethod
    def from_json(cls, data: Any) -> TrialRecord:
        """The typed record; PlainError names a field that does not fit."""
        return from_plain(cls, data)
