"""Run the real Claude Code CLI headless for one trial, with the harness as its SDK host.

stream-json in and out, `--permission-prompt-tool stdio`: the prompt goes in on stdin, questions
(AskUserQuestion) and permission requests come back as control requests and are answered from the task's
responses file (agent/host.py), identically in every arm. Isolated config; the process tree is killed on
timeout. No `--strict-mcp-config`: it would also stop the plugin's own MCP servers; the user's MCP servers
stay out through the fresh CLAUDE_CONFIG_DIR and `--setting-sources ""`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popkit_bench.agent.host import SessionHost, run_hosted
from popkit_bench.agent.isolation import trial_env
from popkit_shared.benchmark_responses import ResponsesFile

# Bash is not pre-approved: Claude Code asks the host (which applies the responses file) for any command
# it does not consider safe itself. Edits inside the worktree are approved by `acceptEdits`.
DEFAULT_ALLOWED_TOOLS = ("Read", "Edit", "Write", "Glob", "Grep", "MultiEdit", "NotebookEdit",
                         "TodoWrite", "Agent", "Task", "Skill", "WebFetch", "WebSearch")


@dataclass
class AgentRequest:
    """Everything that defines one trial's claude invocation (an arm sets plugin dirs, model, permission mode,
    settings, extra_args and extra_env: agent/arm_launch.py)."""

    prompt: str
    cwd: Path
    session_id: str
    config_dir: Path
    stream_path: Path
    stderr_path: Path
    timeout_s: float
    plugin_dirs: list[Path] = field(default_factory=list)
    model: str | None = None
    permission_mode: str = "acceptEdits"
    allowed_tools: tuple[str, ...] = DEFAULT_ALLOWED_TOOLS
    max_turns: int | None = None
    max_budget_usd: float | None = None
    settings: dict | None = None
    base_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    responses: ResponsesFile | None = None
    extra_args: list[str] = field(default_factory=list)  # an arm's flags (agent/arm_launch.py)
    setting_sources: str = ""  # "" loads no settings; "project" also loads the cwd's .claude/ (project skills)


@dataclass
class AgentOutcome:
    """How the claude process ended, and what the host answered and decided (interactions.jsonl rows)."""

    exit_code: int | None
    timed_out: bool
    wall_s: float
    argv: list[str]
    interactions: list[dict] = field(default_factory=list)


def build_argv(binary: Path, request: AgentRequest) -> list[str]:
    """The exact command line (no shell) for a headless trial; the prompt is sent on stdin."""
    argv = [
        str(binary), "-p",
        "--input-format", "stream-json", "--output-format", "stream-json", "--verbose",
        "--permission-prompt-tool", "stdio",
        "--session-id", request.session_id,
        "--setting-sources", request.setting_sources,
        "--permission-mode", request.permission_mode,
    ]
    if request.allowed_tools:
        argv += ["--allowedTools", ",".join(request.allowed_tools)]
    for plugin in request.plugin_dirs:
        argv += ["--plugin-dir", str(plugin)]
    if request.model:
        argv += ["--model", request.model]
    if request.max_turns:
        argv += ["--max-turns", str(request.max_turns)]
    if request.max_budget_usd:
        argv += ["--max-budget-usd", str(request.max_budget_usd)]
    if request.settings:
        argv += ["--settings", json.dumps(request.settings, sort_keys=True)]
    return argv + list(request.extra_args)


def run_claude(binary: Path, request: AgentRequest, confinement: Any = None) -> AgentOutcome:
    """Run claude as its host to completion or timeout; stdout (stream-json) and stderr go to files.

    `confinement` (execution.executor.Confinement) wraps the process, e.g. in a sandbox."""
    argv = build_argv(binary, request)
    env = trial_env(request.config_dir, base_url=request.base_url, extra=request.extra_env)
    if confinement is not None:
        readonly = [Path(binary).resolve().parent, *request.plugin_dirs]
        argv, env = confinement.wrap(argv, env, cwd=request.cwd, writable=[request.cwd, request.config_dir],
                                     readonly=readonly)
    host = SessionHost(prompt=request.prompt, session_id=request.session_id,
                       responses=request.responses or ResponsesFile(path=None))
    done = run_hosted(argv, host, cwd=request.cwd, env=env, timeout_s=request.timeout_s,
                      stream_path=request.stream_path, stderr_path=request.stderr_path)
    return AgentOutcome(exit_code=done.exit_code, timed_out=done.timed_out, wall_s=done.wall_s, argv=argv,
                        interactions=list(host.interactions))
