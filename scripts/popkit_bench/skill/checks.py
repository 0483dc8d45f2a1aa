"""Check a trial's result against its assertions: exit codes, files, regexes, JSON values (engine-side)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.execution.verification import run_command
from popkit_bench.skill.evals import Assertion, parse_json_path, regex_flags
from popkit_bench.tasks.spec import VerificationCommand

EVIDENCE_CHARS = 300


@dataclass
class TrialOutput:
    """What the agent left behind: its working folder and its final answer."""

    cwd: Path
    final_answer: str


LlmJudge = Callable[[Assertion, TrialOutput], tuple[bool | None, str]]


def grade(assertions: tuple[Assertion, ...], output: TrialOutput, llm: LlmJudge | None = None) -> dict[str, Any]:
    """grading.json's content: each assertion with passed/evidence, and the summary counts."""
    results = [check(a, output, llm) for a in assertions]
    return {"assertions": results, "expectations": [
        {"text": r["name"], "passed": r["passed"], "evidence": r["evidence"]} for r in results
    ], "summary": summarize(results)}


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """passed, failed, total (graded ones), pass_rate (None when nothing was graded), ungraded."""
    passed = sum(1 for r in results if r["passed"] is True)
    failed = sum(1 for r in results if r["passed"] is False)
    total = passed + failed
    return {"passed": passed, "failed": failed, "total": total,
            "pass_rate": round(passed / total, 4) if total else None,
            "ungraded": sum(1 for r in results if r["passed"] is None)}


def check(assertion: Assertion, output: TrialOutput, llm: LlmJudge | None = None) -> dict[str, Any]:
    """One assertion's result; an unexpected problem fails the assertion with the reason as evidence."""
    try:
        if assertion.type == "llm":
            if llm is None:
                passed, evidence = None, "not graded: the LLM grader is off (set llm_grader in the config)"
            else:
                passed, evidence = llm(assertion, output)
        else:
            passed, evidence = CHECKS[assertion.type](assertion.params, output)
    except Exception as exc:  # a check must never crash the benchmark
        passed, evidence = False, f"check error: {exc.__class__.__name__}: {exc}"
    if assertion.negate and passed is not None:
        passed, evidence = (not passed), f"(negated) {evidence}"
    return {"name": assertion.name, "type": assertion.type, "passed": passed, "evidence": evidence}


def check_command(params: dict[str, Any], output: TrialOutput) -> tuple[bool, str]:
    command = VerificationCommand(params["command"], params.get("shell", False), int(params.get("timeout_seconds", 120)))
    done = run_command(command, output.cwd)
    expected = params.get("exit_code", 0)
    tail = done.output_tail[-EVIDENCE_CHARS:].strip()
    if done.timed_out:
        return False, f"timed out after {command.timeout_seconds} s"
    ok = done.exit_code == expected
    return ok, f"exit code {done.exit_code} (expected {expected})" + (f"; output: {tail}" if tail else "")


def check_file_exists(params: dict[str, Any], output: TrialOutput) -> tuple[bool, str]:
    target = output.cwd / params["path"]
    if target.exists():
        kind = "folder" if target.is_dir() else f"{target.stat().st_size} bytes"
        return True, f"{params['path']} exists ({kind})"
    return False, f"{params['path']} does not exist"


def check_regex(params: dict[str, Any], output: TrialOutput) -> tuple[bool, str]:
    pattern = re.compile(params["pattern"], regex_flags(params.get("flags", "")))
    if "file" in params:
        where = params["file"]
        target = output.cwd / where
        if not target.is_file():
            return False, f"{where} does not exist"
        text = target.read_text(encoding="utf-8", errors="replace")
    else:
        where, text = "the final answer", output.final_answer
    match = pattern.search(text)
    if match:
        return True, f"matched in {where}: {quote(match.group(0))}"
    return False, f"no match in {where} ({len(text)} characters)"


def check_json_value(params: dict[str, Any], output: TrialOutput) -> tuple[bool, str]:
    target = output.cwd / params["file"]
    if not target.is_file():
        return False, f"{params['file']} does not exist"
    try:
        value: Any = json.loads(target.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return False, f"{params['file']} is not valid JSON: {exc}"
    for part in parse_json_path(params["path"]):
        if isinstance(part, int) and isinstance(value, list) and -len(value) <= part < len(value):
            value = value[part]
        elif isinstance(part, str) and isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return False, f"{params['path']} not found in {params['file']}"
    shown = quote(json.dumps(value))
    if "equals" not in params:
        return True, f"{params['path']} = {shown}"
    ok = value == params["equals"] and type(value) is type(params["equals"]) or (
        _both_numbers(value, params["equals"]) and value == params["equals"])
    return ok, f"{params['path']} = {shown} (expected {json.dumps(params['equals'])})"


def _both_numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))


def quote(text: str) -> str:
    """A short quoted excerpt for evidence."""
    text = text if len(text) <= EVIDENCE_CHARS else text[:EVIDENCE_CHARS] + "..."
    return json.dumps(text, ensure_ascii=False)


CHECKS: dict[str, Callable[[dict[str, Any], TrialOutput], tuple[bool, str]]] = {
    "command": check_command,
    "file_exists": check_file_exists,
    "regex": check_regex,
    "json_value": check_json_value,
}
