"""Per-trial views: status, metrics, verification output and the conversation, within a size budget."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from popkit_bench.report import fmt
from popkit_bench.report.conversation import read_conversation
from popkit_bench.report.load import USABLE, RunData, read_text_tail

# Units of the trial metrics (the analysis catalog's units; unknown metrics are plain numbers).
TRIAL_UNITS = {
    "tokens_total": "tokens", "tokens_input": "tokens", "tokens_output": "tokens", "tokens_cache_read": "tokens",
    "tokens_cache_creation": "tokens", "context_peak_tokens": "tokens", "context_footprint_tokens": "tokens",
    "cost_usd": "USD", "duration_s": "s", "duration_api_s": "s", "error_rate": "fraction",
    "verification_pass_rate": "fraction", "success": "count",
}
KEY_METRICS = ("tokens_total", "cost_usd", "duration_s", "tool_calls", "verification_pass_rate")


@dataclass(frozen=True)
class Limits:
    """How much per-trial detail a report carries (keeps big runs readable and small)."""

    table_rows: int = 2000            # rows of the trial table (trials not completed are always listed)
    detailed_trials: int = 300        # trials with a full <details> block; the rest get a table row only
    conversations: int = 100          # trials whose conversation is shown
    conversation_chars: int = 1_500_000  # shared by all shown conversations
    entry_chars: int = 1500
    entries: int = 80
    output_chars: int = 2000

    @classmethod
    def for_size(cls, trials: int) -> Limits:
        if trials <= 200:
            return cls()
        return cls(table_rows=2000, detailed_trials=200, conversations=40, conversation_chars=800_000,
                   entry_chars=800, entries=40, output_chars=800)


def unit_of(metric: str) -> str:
    return TRIAL_UNITS.get(metric, "count")


def reused_note(record: dict[str, Any], run_created: Any = None) -> str:
    """'' for a trial this run ran; else where it came from and its age when this run started
    (`run --reuse`): 'reused from run R (arm A, trial N), 2 d old'."""
    origin = record.get("reused_from")
    if not isinstance(origin, dict):
        return ""
    old = fmt.age(origin.get("ended_at"), run_created) if run_created else ""
    return (f"reused from run {origin.get('run_id')} (arm {origin.get('arm')}, trial {origin.get('trial')})"
            + (f", {old} old" if old else ""))


def _reused_age(record: dict[str, Any], run_created: Any) -> str:
    origin = record.get("reused_from")
    if not isinstance(origin, dict):
        return ""
    old = fmt.age(origin.get("ended_at"), run_created) if run_created else ""
    return f"reused, {old} old" if old else "reused"


def row(record: dict[str, Any], run_created: Any = None) -> dict[str, Any]:
    """The compact table row of one trial."""
    metrics = record.get("metrics") if isinstance(record.get("metrics"), dict) else {}
    return {
        "reused": reused_note(record, run_created),
        "reused_age": _reused_age(record, run_created),
        "task_id": str(record.get("task_id")),
        "arm": str(record.get("arm")),
        "trial": str(record.get("trial") if record.get("trial") is not None else "?"),
        "status": str(record.get("status") or "no status"),
        "usable": record.get("status") in USABLE,
        "reason": str(record.get("status_reason") or ""),
        "key": [fmt.value(metrics.get(m), unit_of(m)) for m in KEY_METRICS],
        "anchor": "",
    }


def _priority(record: dict[str, Any]) -> int:
    """Show the unusual first when only some trials can be detailed: excluded, failed, then the rest."""
    status = record.get("status")
    return 0 if status not in USABLE else 1 if status == "failed" else 2


def trial_views(run: RunData, limits: Limits) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """(table rows, detailed views for some trials, counts of what was left out)."""
    created = (run.run_json or {}).get("created_at")
    rows = [row(r, created) for r in run.records]
    order = sorted(range(len(run.records)), key=lambda i: (_priority(run.records[i]), i))
    chosen = sorted(order[: limits.detailed_trials])
    with_conv = set(sorted(chosen, key=lambda i: (_priority(run.records[i]), i))[: limits.conversations])
    per_conv = max(4000, limits.conversation_chars // max(1, len(with_conv)))
    details = []
    for i in chosen:
        rows[i]["anchor"] = f"trial-{i + 1}"
        details.append(detail(run, run.records[i], limits, i in with_conv, per_conv))
        details[-1]["anchor"] = rows[i]["anchor"]
    listed = _table(rows, limits.table_rows)
    omitted = {"detailed": len(run.records) - len(chosen), "conversations": len(run.records) - len(with_conv),
               "rows": len(rows) - len(listed)}
    return listed, details, omitted


def _table(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Every row that is not `completed`, plus the first completed ones up to `limit` rows, in run order."""
    if len(rows) <= limit:
        return rows
    unusual = sum(1 for r in rows if r["status"] != "completed")
    room = max(0, limit - unusual)
    out = []
    for r in rows:
        if r["status"] != "completed":
            out.append(r)
        elif room > 0:
            out.append(r)
            room -= 1
    return out


def detail(run: RunData, record: dict[str, Any], limits: Limits, conversation: bool, budget: int) -> dict[str, Any]:
    """Everything shown for one trial."""
    folder = run.trial_dir(record)
    metrics = record.get("metrics") if isinstance(record.get("metrics"), dict) else {}
    reasons = record.get("metrics_null_reasons") if isinstance(record.get("metrics_null_reasons"), dict) else {}
    metric_rows = [
        {"metric": str(name), "value": fmt.value(value, unit_of(str(name))),
         "reason": str(reasons.get(name) or "") if value is None else ""}
        for name, value in metrics.items()
    ]
    verification = record.get("verification")
    if not isinstance(verification, list) or not verification:
        verification = _read_json_list(folder / "verification.json")
    checks = [
        {"command": _command_text(v.get("command")), "exit_code": str(v.get("exit_code")),
         "passed": bool(v.get("passed")), "timed_out": bool(v.get("timed_out")),
         "duration": fmt.value(v.get("duration_s"), "s"),
         "output": _tail(str(v.get("output_tail") or ""), limits.output_chars)}
        for v in verification if isinstance(v, dict)
    ]
    view: dict[str, Any] = {
        **row(record, (run.run_json or {}).get("created_at")),
        "folder": str(folder.relative_to(run.path)) if folder.is_relative_to(run.path) else str(folder),
        "session_id": str(record.get("session_id") or ""),
        "model": str(record.get("model") or ""),
        "claude_code_version": str(record.get("claude_code_version") or ""),
        "wall": fmt.value(record.get("wall_s"), "s"),
        "metrics": metric_rows,
        "tools": ", ".join(f"{k} x{v}" for k, v in (record.get("tools") or {}).items()) if isinstance(
            record.get("tools"), dict) else "",
        "verification": checks,
        "stderr": None,
        "harness_error": read_text_tail(folder / "harness-error.txt", limits.output_chars),
        "conversation": None,
        "conversation_note": "",
    }
    if record.get("status") not in ("completed",):
        view["stderr"] = read_text_tail(folder / "stderr.txt", limits.output_chars)
    if conversation:
        conv = read_conversation(folder / "stream.jsonl", run.prompt(str(record.get("task_id"))),
                                 max_entries=limits.entries, max_chars=limits.entry_chars, max_total_chars=budget)
        view["conversation"] = [e.to_json() for e in conv.entries]
        notes = []
        if conv.missing_reason:
            notes.append(conv.missing_reason)
        if conv.omitted_entries:
            notes.append(f"{conv.omitted_entries:,} more steps not shown (see {view['folder']}/stream.jsonl)")
        if conv.bad_lines:
            notes.append(f"{conv.bad_lines} unreadable line(s) skipped")
        view["conversation_note"] = "; ".join(notes)
    else:
        view["conversation_note"] = f"not shown in this report (size limit); see {view['folder']}/stream.jsonl"
    return view


def _command_text(command: Any) -> str:
    if isinstance(command, list):
        return " ".join(str(c) for c in command)
    return str(command)


def _tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"[... {len(text) - limit:,} characters before]\n" + text[-limit:]


def _read_json_list(path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []
