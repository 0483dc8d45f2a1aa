"""Before a real run: one minimal request through Claude Code, isolated exactly like a trial.

It checks what every trial needs and nothing else does: a login or key that the API accepts, a model
that exists, an API that answers. A failure stops the run before any trial with one message naming the
cause and the fix (exit 2), instead of a run whose every trial "fails" with zero tokens.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.agent.api_errors import api_error
from popkit_bench.agent.claude import AgentRequest, run_claude
from popkit_bench.agent.cli_locator import find_claude
from popkit_bench.agent.isolation import config_root, make_config_dir, remove_config_dir
from popkit_bench.errors import BenchError
from popkit_shared.recording.jsonl import read_objects
from popkit_shared.recording.model import Diagnostics, sum_model_usage

PROMPT = "Reply with the single word: ok"
TIMEOUT_S = 120.0
# Claude Code retries a failing request 10 times with backoff (over two minutes for a closed port); two
# retries still ride out a blip and answer in seconds.
RETRY_ENV = {"CLAUDE_CODE_MAX_RETRIES": "2"}


class PreflightFailed(BenchError):
    """The preflight request failed: not logged in, refused credentials, unknown model, unreachable API (exit 2)."""


@dataclass(frozen=True)
class PreflightResult:
    """What the preflight found: ok, or the cause (an ApiError kind, `timeout`, `no_result`, `no_usage`)."""

    ok: bool
    cause: str | None
    message: str
    model: str | None = None
    tokens: int | None = None


def preflight(binary: Path, *, model: str | None = None, timeout_s: float = TIMEOUT_S) -> PreflightResult:
    """Run the CLI once (fresh config folder, the trial environment, no plugin, --max-turns 1) and diagnose it."""
    run_id = f"preflight-{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="popkit-preflight-") as tmp:
        work, out = Path(tmp) / "work", Path(tmp) / "out"
        work.mkdir()
        out.mkdir()
        config = make_config_dir(run_id, "preflight")
        try:
            request = AgentRequest(prompt=PROMPT, cwd=work, session_id=str(uuid.uuid4()), config_dir=config,
                                   stream_path=out / "stream.jsonl", stderr_path=out / "stderr.txt",
                                   timeout_s=timeout_s, model=model, max_turns=1, extra_env=dict(RETRY_ENV))
            outcome = run_claude(binary, request)
        finally:
            remove_config_dir(config)
            shutil.rmtree(config_root(run_id), ignore_errors=True)
        events = list(read_objects(request.stream_path, Diagnostics())) if request.stream_path.is_file() else []
        stderr = request.stderr_path.read_text(encoding="utf-8", errors="replace") \
            if request.stderr_path.is_file() else ""
    return diagnose(events, exit_code=outcome.exit_code, timed_out=outcome.timed_out, stderr=stderr,
                    timeout_s=timeout_s)


def diagnose(events: list[dict[str, Any]], *, exit_code: int | None, timed_out: bool, stderr: str = "",
             timeout_s: float = TIMEOUT_S) -> PreflightResult:
    """The verdict on one preflight session from its stream-json events."""
    init = next((e for e in events if e.get("type") == "system" and e.get("subtype") == "init"), {})
    model = init.get("model") if isinstance(init.get("model"), str) else None
    error = api_error(events)
    if error is not None:
        return PreflightResult(False, error.kind, f"{error.describe()}. Fix: {error.fix()}", model)
    if timed_out:
        return PreflightResult(False, "timeout", f"Claude Code did not answer a one-word prompt within "
                               f"{timeout_s:.0f} s. Fix: check the network, a proxy, or ANTHROPIC_BASE_URL", model)
    results = [e for e in events if e.get("type") == "result"]
    if not results:
        last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "no output on stderr")
        return PreflightResult(False, "no_result", f"Claude Code exited {exit_code} without a result ({last}). "
                               "Fix: run the CLI by hand (`claude -p ok`) to see why", model)
    usage = results[-1].get("modelUsage")
    tokens = sum_model_usage(usage).total if isinstance(usage, dict) else 0
    if tokens <= 0:
        said = str(results[-1].get("result") or results[-1].get("subtype") or "")[:200]
        return PreflightResult(False, "no_usage", f"the model answered with no token usage ({said!r}), so "
                               "nothing reached a model. Fix: check the login and ANTHROPIC_BASE_URL", model, 0)
    return PreflightResult(True, None, f"Claude Code reached model {model or '(default)'} ({tokens} tokens)",
                           model, tokens)


def require_api(binary: Path, *, model: str | None = None) -> PreflightResult:
    """Run the preflight; raise PreflightFailed (exit 2, no trial runs) with the cause and the fix."""
    result = preflight(binary, model=model)
    if not result.ok:
        raise PreflightFailed(f"preflight (one minimal request before any trial): {result.message}")
    return result


def check_before_run(*, rehearsal: bool, claude_bin: str | None, model: str | None) -> PreflightResult | None:
    """Before a real run (not rehearsal): the preflight, said on stderr; PreflightFailed (exit 2) on failure.

    None when skipped: a rehearsal, or no CLI found (the run then says so itself)."""
    binary = None if rehearsal else find_claude(claude_bin)
    if binary is None or not binary.exists():
        return None
    result = require_api(binary, model=model)
    print(f"popkit-bench: preflight: {result.message}", file=sys.stderr)
    return result
