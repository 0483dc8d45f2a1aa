"""The optional LLM grader: Claude Code (or the scripted model) judges one assertion and quotes its evidence."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from popkit_bench.agent.claude import AgentRequest, run_claude
from popkit_bench.agent.isolation import make_config_dir, remove_config_dir
from popkit_bench.skill.checks import LlmJudge, TrialOutput, quote
from popkit_bench.skill.config import GraderConfig
from popkit_bench.skill.evals import Assertion
from popkit_shared.recording import load_stream_json

GRADER_TOOLS = ("Read", "Glob", "Grep")
MAX_FILE_BYTES = 1_000_000
PROMPT = """You are grading the result of a task another agent did in this folder.
Assertion to judge: {assertion}
{expected}The agent's final answer was:
<final_answer>
{answer}
</final_answer>
Look at the files here if needed. Reply with only one JSON object, no other text:
{{"passed": true or false, "evidence": "<an exact quote from the final answer or a file that shows it>"}}
"""


def make_judge(cfg: GraderConfig, binary: Path, work_dir: Path, run_id: str, *, endpoint: Any = None,
               expected_output: str | None = None, runtime: Any = None) -> LlmJudge:
    """A judge that runs one headless Claude Code session per `llm` assertion, read-only tools only.

    With `runtime` (sandbox.runtime.SandboxRuntime) the grader runs like a trial: confined, and reaching the
    model only through the gateway with a token of its own (it reads the trial's untrusted outputs)."""
    def judge(assertion: Assertion, output: TrialOutput) -> tuple[bool | None, str]:
        key = f"grader-{uuid.uuid4().hex[:12]}"
        base_url = None
        if endpoint is not None:
            task = SimpleNamespace(id="llm-grader", play_path=cfg.rehearsal_play, verification=())
            base_url = endpoint.base_url_for(key, task, None)
        access = runtime.open_trial(key, upstream=base_url) if runtime is not None else None
        if access is not None:
            base_url = access.base_url
        config_dir = make_config_dir(run_id, key, copy_login=access is None)
        work_dir.mkdir(parents=True, exist_ok=True)
        stream = work_dir / f"{key}.stream.jsonl"
        expected = f"What success looks like: {expected_output}\n" if expected_output else ""
        request = AgentRequest(
            prompt=PROMPT.format(assertion=assertion.params.get("text", assertion.name), expected=expected,
                                 answer=output.final_answer),
            cwd=output.cwd, session_id=str(uuid.uuid4()), config_dir=config_dir, stream_path=stream,
            stderr_path=work_dir / f"{key}.stderr.txt", timeout_s=cfg.timeout_seconds,
            model=cfg.model, permission_mode="default", allowed_tools=GRADER_TOOLS, base_url=base_url,
        )
        try:
            outcome = run_claude(binary, request, confinement=access.wrapper if access is not None else None)
        finally:
            remove_config_dir(config_dir)
            if access is not None:
                runtime.close_trial(access, None)
        if outcome.timed_out:
            return None, f"not graded: the grader timed out after {cfg.timeout_seconds:.0f} s"
        result = load_stream_json(stream).result
        return verdict(result.text if result else None, output)
    return judge


def verdict(reply: str | None, output: TrialOutput) -> tuple[bool | None, str]:
    """Parse the grader's JSON; a pass whose quote cannot be found in the outputs is a fail."""
    parsed = parse_reply(reply or "")
    if parsed is None:
        return None, f"not graded: no JSON verdict in the grader's reply {quote(reply or '')}"
    passed, evidence = parsed
    if passed and not quote_found(evidence, output):
        return False, f"grader said pass, but its quote was not found in the outputs: {quote(evidence)}"
    return passed, f"LLM grader: {quote(evidence)}"


def parse_reply(text: str) -> tuple[bool, str] | None:
    """The last JSON object with a boolean `passed` in the text."""
    for match in reversed(list(re.finditer(r"\{.*?\}", text, re.DOTALL))):
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("passed"), bool):
            return data["passed"], str(data.get("evidence") or "")
    return None


def quote_found(evidence: str, output: TrialOutput) -> bool:
    """True when the quote (whitespace-normalised) is in the final answer or in a text file of the folder."""
    needle = " ".join(evidence.split())
    if not needle:
        return False
    if needle in " ".join(output.final_answer.split()):
        return True
    for path in output.cwd.rglob("*"):
        if ".git" in path.parts or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if needle in " ".join(text.split()):
            return True
    return False
