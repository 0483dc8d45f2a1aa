"""compute_metrics: exact keys, the token rule, null-with-reason, errors, backtracking, verification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popkit_shared.metrics import METRIC_KEYS, compute_metrics, loaded_commands, loaded_skills, plugin_names
from popkit_shared.recording import load_popkit_recording, load_stream_json, load_transcript

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"
TRANSCRIPT = FIXTURES / "config" / "projects" / "-w-proj" / "11111111-2222-3333-4444-555555555555.jsonl"
PASS, FAIL = {"command": "t", "passed": True}, {"command": "l", "passed": False}
EXPECTED_KEYS = {
    "tokens_total", "tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_creation",
    "context_peak_tokens", "context_footprint_tokens", "cost_usd", "turns", "tool_calls", "errors", "error_rate",
    "backtracking", "duration_s", "duration_api_s", "verification_pass_rate", "success", "questions_asked",
}


def write_stream(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def assistant(mid: str, blocks: list[dict], usage: dict | None = None, parent: str | None = None) -> dict:
    usage = usage or {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 0,
                      "cache_creation_input_tokens": 0}
    return {"type": "assistant", "message": {"id": mid, "model": "m", "content": blocks, "usage": usage},
            "parent_tool_use_id": parent, "session_id": "s"}


def tool_use(tid: str, name: str, **tool_input) -> dict:
    return {"type": "tool_use", "id": tid, "name": name, "input": tool_input}


def tool_result(tid: str, is_error: bool = False) -> dict:
    return {"type": "user", "message": {"content": [{"type": "tool_result", "tool_use_id": tid, "content": "ok",
                                                     "is_error": is_error}]}, "session_id": "s"}


def test_exact_metric_keys_always() -> None:
    assert set(METRIC_KEYS) == EXPECTED_KEYS
    for path, loader in ((FIXTURES / "stream_edge.jsonl", load_stream_json), (TRANSCRIPT, load_transcript),
                         (FIXTURES / "popkit_session.json", load_popkit_recording)):
        for verification in (None, [], [PASS]):
            result = compute_metrics(loader(path), verification)
            assert set(result.metrics) == EXPECTED_KEYS
            for key, value in result.metrics.items():
                assert (value is None) == (key in result.null_reasons), key
                assert value is None or isinstance(value, (int, float))


def test_stream_tokens_come_from_result_model_usage_never_from_events() -> None:
    result = compute_metrics(load_stream_json(FIXTURES / "stream_edge.jsonl"), [PASS, FAIL])
    m = result.metrics
    # modelUsage of the last result summed over both models (the per-event usage would give other numbers)
    assert (m["tokens_input"], m["tokens_output"], m["tokens_cache_read"], m["tokens_cache_creation"]) == \
        (1030, 205, 3000, 410)
    assert m["tokens_total"] == 1030 + 205 + 3000 + 410
    assert result.sources["tokens_total"] == "result.modelUsage"
    assert m["cost_usd"] == 0.0421 and m["turns"] == 8
    assert m["duration_s"] == 12.345 and m["duration_api_s"] == 4.567
    assert m["context_peak_tokens"] == 160 + 100 + 5  # largest main-loop request
    assert m["context_footprint_tokens"] == 100 + 50 + 20  # first main-loop request (msg_a)
    assert result.sources["context_footprint_tokens"] == "stream-json first main-loop API call"
    assert result.source == "stream-json"


def test_stream_tool_metrics() -> None:
    result = compute_metrics(load_stream_json(FIXTURES / "stream_edge.jsonl"), [PASS, FAIL])
    m = result.metrics
    assert m["tool_calls"] == 8  # the subagent's Read included
    assert result.tools == {"Edit": 2, "Write": 2, "AskUserQuestion": 1, "Bash": 1, "Read": 1, "Task": 1}
    # tu_4 denied (is_error result + denial event + result denial: one error), tu_5 failed, tu_99 denied only
    assert m["errors"] == 3 and m["error_rate"] == 3 / 8
    assert m["backtracking"] == 1  # a.py edited twice; b.py once after a failed Write
    assert m["questions_asked"] == 1
    assert m["verification_pass_rate"] == 0.5 and m["success"] == 0


def test_transcript_metrics() -> None:
    result = compute_metrics(load_transcript(TRANSCRIPT), [PASS])
    m = result.metrics
    assert (m["tokens_input"], m["tokens_output"], m["tokens_cache_read"], m["tokens_cache_creation"]) == \
        (168, 116, 940, 90)
    assert m["tokens_total"] == 1314
    assert m["context_peak_tokens"] == 50 + 240 + 0
    assert m["context_footprint_tokens"] == 10 + 100 + 50  # msg_1, the first main-loop request
    assert m["cost_usd"] == 0.0123 and m["duration_s"] == 9.5 and m["duration_api_s"] == 3.0
    assert m["turns"] == 5  # main-loop API calls (no result event in a transcript)
    assert m["tool_calls"] == 6 and m["errors"] == 2 and m["error_rate"] == pytest.approx(2 / 6)
    assert m["backtracking"] == 1
    assert m["success"] is None and "no final result" in result.null_reasons["success"]
    assert m["verification_pass_rate"] == 1.0


def test_stream_with_transcript_takes_tools_from_transcript() -> None:
    stream = load_stream_json(FIXTURES / "stream_edge.jsonl")
    result = compute_metrics(stream, [PASS], transcript=load_transcript(TRANSCRIPT))
    assert result.source == "stream-json+transcript"
    assert result.metrics["tokens_total"] == 4645  # still the stream's result
    assert result.metrics["tool_calls"] == 6 and result.tools["Agent"] == 1
    # the stream's denials tu_4 / tu_99 are not tool calls of this transcript: they still count
    assert result.metrics["errors"] == 2 + 2
    assert any("differ" in note for note in result.notes)  # fixture files of different sessions


def test_no_result_means_null_tokens_with_reason() -> None:
    result = compute_metrics(load_stream_json(FIXTURES / "stream_truncated.jsonl"), [PASS])
    m = result.metrics
    for key in ("tokens_total", "tokens_input", "tokens_output", "tokens_cache_read", "tokens_cache_creation"):
        assert m[key] is None and "placeholder" in result.null_reasons[key]
    assert m["cost_usd"] is None and m["duration_api_s"] is None
    assert m["turns"] == 1 and m["tool_calls"] == 1
    assert m["duration_s"] == 2.5  # first-to-last timestamp
    assert m["success"] == 0  # the agent never reached a result


def test_popkit_recording_metrics() -> None:
    result = compute_metrics(load_popkit_recording(FIXTURES / "popkit_session.json"), [PASS])
    m = result.metrics
    assert m["tokens_total"] is None and "no token usage" in result.null_reasons["tokens_total"]
    assert m["turns"] is None and m["cost_usd"] is None and m["context_peak_tokens"] is None
    assert m["context_footprint_tokens"] is None
    assert "no main-loop API call" in result.null_reasons["context_footprint_tokens"]
    assert m["tool_calls"] == 5 and m["errors"] == 2 and m["error_rate"] == 0.4
    assert m["backtracking"] == 1 and m["questions_asked"] == 1
    assert m["duration_s"] == 10.0 and m["success"] == 1
    legacy = compute_metrics(load_popkit_recording(FIXTURES / "popkit_legacy.json"), [PASS]).metrics
    assert (legacy["tool_calls"], legacy["errors"], legacy["backtracking"], legacy["duration_s"]) == (4, 1, 1, 60.0)


def test_verification_rules(tmp_path: Path) -> None:
    path = write_stream(tmp_path / "s.jsonl", [
        {"type": "result", "subtype": "error_max_turns", "is_error": True, "num_turns": 3, "session_id": "s",
         "modelUsage": {}, "total_cost_usd": 0.0}])
    session = load_stream_json(path)
    none = compute_metrics(session, None)
    assert none.metrics["success"] is None and none.null_reasons["success"] == "verification was not run"
    empty = compute_metrics(session, [])
    assert empty.metrics["verification_pass_rate"] is None and "no verification" in empty.null_reasons["success"]
    failed_agent = compute_metrics(session, [PASS]).metrics
    assert failed_agent["verification_pass_rate"] == 1.0 and failed_agent["success"] == 0
    assert failed_agent["tokens_total"] == 0  # an empty modelUsage is a real zero: nothing was billed


def test_error_rate_is_null_without_tool_calls(tmp_path: Path) -> None:
    path = write_stream(tmp_path / "s.jsonl", [
        assistant("m1", [{"type": "text", "text": "hi"}]),
        {"type": "result", "subtype": "success", "is_error": False, "num_turns": 1, "session_id": "s",
         "modelUsage": {"m": {"inputTokens": 10, "outputTokens": 2, "costUSD": 0.5}}}])
    result = compute_metrics(load_stream_json(path), [PASS])
    assert result.metrics["tool_calls"] == 0 and result.metrics["errors"] == 0
    assert result.metrics["error_rate"] is None and "no tool calls" in result.null_reasons["error_rate"]
    assert result.metrics["cost_usd"] == 0.5 and result.sources["cost_usd"] == "result.modelUsage costUSD"
    assert result.metrics["success"] == 1 and result.metrics["tokens_total"] == 12


def test_result_usage_fallback_only_without_subagents(tmp_path: Path) -> None:
    usage = {"input_tokens": 5, "output_tokens": 6, "cache_read_input_tokens": 7, "cache_creation_input_tokens": 8}
    plain = write_stream(tmp_path / "a.jsonl", [
        assistant("m1", [{"type": "text", "text": "x"}]),
        {"type": "result", "subtype": "success", "is_error": False, "usage": usage, "session_id": "s"}])
    assert compute_metrics(load_stream_json(plain)).metrics["tokens_total"] == 26
    with_agent = write_stream(tmp_path / "b.jsonl", [
        assistant("m1", [tool_use("t1", "Agent", prompt="p")]), tool_result("t1"),
        {"type": "result", "subtype": "success", "is_error": False, "usage": usage, "session_id": "s"}])
    result = compute_metrics(load_stream_json(with_agent))
    assert result.metrics["tokens_total"] is None and "subagents" in result.null_reasons["tokens_total"]


def test_hidden_subagent_tool_uses_are_counted(tmp_path: Path) -> None:
    path = write_stream(tmp_path / "s.jsonl", [
        assistant("m1", [tool_use("t1", "Agent", prompt="p")]),
        {"type": "system", "subtype": "task_notification", "task_id": "k", "tool_use_id": "t1",
         "usage": {"tool_uses": 3, "total_tokens": 9}, "session_id": "s"},
        tool_result("t1"),
        {"type": "result", "subtype": "success", "is_error": False, "modelUsage": {}, "session_id": "s"}])
    result = compute_metrics(load_stream_json(path))
    assert result.metrics["tool_calls"] == 4 and result.tools == {"Agent": 1}
    assert any("subagents" in note for note in result.notes)


def test_backtracking_paths(tmp_path: Path) -> None:
    path = write_stream(tmp_path / "s.jsonl", [
        assistant("m1", [tool_use("t1", "Write", file_path="/w/x.py"), tool_use("t2", "MultiEdit", file_path="/w/./x.py"),
                         tool_use("t3", "NotebookEdit", notebook_path="/w/n.ipynb"),
                         tool_use("t4", "NotebookEdit", notebook_path="/w/n.ipynb"),
                         tool_use("t5", "Edit", file_path="/w/y.py"), tool_use("t6", "Read", file_path="/w/y.py"),
                         tool_use("t7", "Edit", file_path="/w/z.py"), tool_use("t8", "Edit", file_path="/w/z.py")]),
        *[tool_result(f"t{i}", is_error=(i == 8)) for i in range(1, 9)]])
    assert compute_metrics(load_stream_json(path)).metrics["backtracking"] == 2  # x.py and n.ipynb


def test_empty_recording_is_all_null(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    result = compute_metrics(load_stream_json(path), [PASS])
    assert all(result.metrics[k] is None for k in METRIC_KEYS if k not in ("verification_pass_rate", "success"))
    assert result.null_reasons["tool_calls"] == "the stream-json recording has no events"
    assert result.metrics["verification_pass_rate"] == 1.0
    assert result.metrics["success"] == 0


def test_helpers_and_json() -> None:
    session = load_stream_json(FIXTURES / "stream_edge.jsonl")
    assert plugin_names(session) == ["popkit-ops", "cc-plugin-privacy", "other-plugin"]
    assert loaded_skills(session) == ["popkit-ops:pop-benchmark-runner", "verify"]
    assert loaded_commands(session) == ["popkit-ops:benchmark", "clear"]
    data = compute_metrics(session, [PASS]).to_json()
    assert json.loads(json.dumps(data))["metrics"]["tokens_total"] == 4645
    assert set(data) == {"metrics", "metrics_null_reasons", "tools", "metrics_source", "metric_sources",
                         "metric_notes"}


def test_denial_without_id_is_not_counted_twice(tmp_path: Path) -> None:
    path = write_stream(tmp_path / "s.jsonl", [
        assistant("m1", [tool_use("t1", "Bash", command="rm -rf *"), tool_use("t2", "Bash", command="ls")]),
        {"type": "system", "subtype": "permission_denied", "tool_name": "Bash", "message": "blocked",
         "session_id": "s"},
        tool_result("t1", is_error=True), tool_result("t2"),
        {"type": "system", "subtype": "permission_denied", "tool_name": "Write", "session_id": "s"},
        {"type": "result", "subtype": "success", "is_error": False, "modelUsage": {}, "session_id": "s",
         "permission_denials": [{"tool_name": "Bash"}, {"tool_name": "Write"}]}])
    session = load_stream_json(path)
    assert [e.tool_name for e in session.error_events] == ["Bash", "Write"]  # result denials already seen
    assert session.error_events[0].message == "blocked"
    # t1's error result and the Bash denial are one error; the Write denial has no tool call: a second one
    assert compute_metrics(session).metrics["errors"] == 2


def test_context_footprint_is_the_first_main_loop_request(tmp_path: Path) -> None:
    """A subagent's request never counts; later, larger main-loop requests do not change the footprint."""
    first = {"input_tokens": 7, "output_tokens": 1, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 3000}
    later = {"input_tokens": 9, "output_tokens": 1, "cache_read_input_tokens": 3000, "cache_creation_input_tokens": 40}
    sub = {"input_tokens": 500, "output_tokens": 1, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    path = write_stream(tmp_path / "s.jsonl", [
        assistant("sub1", [{"type": "text", "text": "x"}], sub, parent="t0"),
        assistant("m1", [{"type": "text", "text": "x"}], first),
        assistant("m2", [{"type": "text", "text": "y"}], later),
        {"type": "result", "subtype": "success", "is_error": False, "modelUsage": {}, "session_id": "s"}])
    metrics = compute_metrics(load_stream_json(path), [PASS]).metrics
    assert metrics["context_footprint_tokens"] == 7 + 0 + 3000
    assert metrics["context_peak_tokens"] == 9 + 3000 + 40
