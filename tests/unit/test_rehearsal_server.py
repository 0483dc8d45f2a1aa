"""The rehearsal HTTP server: routing keys, request kinds, served log (no real CLI)."""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from popkit_bench.rehearsal import RehearsalServer, parse_play
from popkit_bench.rehearsal.messages import assemble, decode_sse
from popkit_bench.rehearsal.request_info import SESSION_HEADER

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cli-2.1.330"

PLAY = parse_play({"play": "demo", "subagent_turns": [{"text": "sub report"}], "final_text": "Bye.", "variants": [
    {"name": "with-plugin", "when": {"context_contains": "popkit-ops:pop-benchmark-runner"},
     "turns": [{"text": "plugin path", "tool_calls": [{"name": "Skill", "input": {"skill": "popkit-ops:x"}}]}]},
    {"name": "default", "turns": [
        {"text": "Reading.", "tool_calls": [{"name": "Read", "input": {"file_path": "{cwd}/hello.txt"}}],
         "usage": {"input_tokens": 7, "output_tokens": 3, "cache_read_input_tokens": 0,
                   "cache_creation_input_tokens": 100}},
        {"tool_calls": [{"name": "Bash", "input": {"command": "ls"}}, {"name": "Bash", "input": {"command": "pwd"}}]},
        {"text": "Finished."},
    ]},
]})


def recorded(session: str) -> tuple[dict, dict]:
    """(headers, body) of request 0 of a recorded session."""
    request = json.loads((FIXTURES / session / "requests.jsonl").read_text().splitlines()[0])
    return request["headers"], request["body"]


def post(url: str, body: object, headers: dict | None = None) -> tuple[int, dict, bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    wanted = {"Content-Type": "application/json"}
    for key in ("X-Claude-Code-Session-Id", "x-claude-code-agent-id"):
        if headers and key in headers:
            wanted[key] = headers[key]
    request = urllib.request.Request(url, data=data, headers=wanted, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def ask(base: str, body: dict, headers: dict | None = None) -> dict:
    status, response_headers, raw = post(base + "/v1/messages?beta=true", body, headers)
    assert status == 200
    assert response_headers["request-id"].startswith("req_")
    if body.get("stream"):
        assert response_headers["Content-Type"] == "text/event-stream"
        return assemble(decode_sse(raw))
    return json.loads(raw)


def add_turn(body: dict, reply: dict) -> dict:
    """The next request of the session: the reply plus tool results."""
    results = [{"type": "tool_result", "tool_use_id": b["id"], "content": "ok"}
               for b in reply["content"] if b["type"] == "tool_use"]
    return {**body, "messages": body["messages"] + [{"role": "assistant", "content": reply["content"]},
                                                     {"role": "user", "content": results or "next"}]}


@pytest.fixture()
def server():
    with RehearsalServer(PLAY) as srv:
        yield srv


def test_plays_a_session_turn_by_turn(server: RehearsalServer) -> None:
    headers, body = recorded("basic")
    base = server.base_url_for("trial-1", PLAY)
    assert base == server.base_url + "/s/trial-1"
    first = ask(base, body, headers)
    assert first["content"][0] == {"type": "text", "text": "Reading."}
    assert first["content"][1]["name"] == "Read"
    assert first["content"][1]["input"] == {"file_path": "/tmp/popkit-fixture/basic/hello.txt"}
    assert first["usage"]["cache_creation_input_tokens"] == 100
    body = add_turn(body, first)
    second = ask(base, body, headers)
    assert [b["name"] for b in second["content"]] == ["Bash", "Bash"] and second["stop_reason"] == "tool_use"
    body = add_turn(body, second)
    third = ask(base, body, headers)
    assert third["content"] == [{"type": "text", "text": "Finished."}]
    final = ask(base, add_turn(body, third), headers)
    assert final["content"][0]["text"] == "Bye." and final["stop_reason"] == "end_turn"

    served = server.served("trial-1")
    assert served.tool_counts() == {"Read": 1, "Bash": 2}
    assert served.tool_names() == ["Read", "Bash", "Bash"]
    assert [r.turn for r in served.replies] == [0, 1, 2, 3]
    assert served.variants() == ["default"]
    assert served.usage_totals()["input_tokens"] == sum(r.usage["input_tokens"] for r in served.replies)
    assert served.sessions() == [headers["X-Claude-Code-Session-Id"]]
    assert server.served("other").replies == []


def test_non_streaming_and_default_key(server: RehearsalServer) -> None:
    headers, body = recorded("basic")
    reply = ask(server.base_url, {**body, "stream": False}, headers)
    assert reply["type"] == "message" and reply["content"][1]["name"] == "Read"
    assert server.served("").tool_counts() == {"Read": 1}


def test_variant_is_chosen_once_per_session(server: RehearsalServer) -> None:
    headers, body = recorded("plugin")
    base = server.base_url_for("t", PLAY)
    first = ask(base, body, headers)
    assert first["content"][1]["name"] == "Skill"
    # A later request without the plugin listing keeps the session's variant.
    _, plain = recorded("basic")
    later = add_turn(plain, first)
    assert ask(base, later, headers)["content"][0]["text"] == "Bye."
    assert server.served("t").variants() == ["with-plugin"]


def test_subagent_and_side_requests(server: RehearsalServer) -> None:
    lines = (FIXTURES / "subagent" / "requests.jsonl").read_text().splitlines()
    sub = json.loads(lines[1])
    _, main_body = recorded("subagent")
    sub_body = {**sub["body"], "system": main_body["system"], "tools": main_body["tools"]}
    base = server.base_url_for("s", PLAY)
    reply = ask(base, sub_body, sub["headers"])
    assert reply["content"] == [{"type": "text", "text": "sub report"}]
    side = ask(base, {"model": "claude-haiku", "max_tokens": 100, "stream": True,
                      "messages": [{"role": "user", "content": "Write a title"}]})
    assert side["stop_reason"] == "end_turn" and side["content"][0]["text"]
    kinds = [r.kind for r in server.served("s").replies]
    assert kinds == ["subagent", "side"]
    assert server.served("s").replies[0].agent_id == sub["headers"]["x-claude-code-agent-id"]
    assert server.served("s").tool_uses() == []


def test_no_matching_variant_says_so() -> None:
    play = parse_play({"play": "p", "variants": [
        {"name": "only", "when": {"context_contains": "never there"}, "turns": [{"text": "x"}]}]})
    headers, body = recorded("basic")
    with RehearsalServer(play) as srv:
        reply = ask(srv.base_url, body, headers)
    assert "No variant" in reply["content"][0]["text"]


def test_count_tokens_hello_and_errors(server: RehearsalServer) -> None:
    base = server.base_url_for("k", PLAY)
    status, _, raw = post(base + "/v1/messages/count_tokens?beta=true", {"messages": [], "model": "m"})
    assert status == 200 and json.loads(raw)["input_tokens"] > 0
    assert server.served("k").count_tokens_calls == 1
    with urllib.request.urlopen(base + "/api/hello", timeout=5) as response:
        assert response.status == 200
    status, _, raw = post(base + "/v1/other", {})
    assert status == 404 and json.loads(raw)["type"] == "error"
    status, _, raw = post(base + "/v1/messages", b"{not json")
    assert status == 400


def test_keys_are_url_quoted(server: RehearsalServer) -> None:
    headers, body = recorded("basic")
    base = server.base_url_for("task a/b__arm__1", PLAY)
    assert "/s/task%20a%2Fb__arm__1" in base
    ask(base, body, headers)
    assert server.served("task a/b__arm__1").tool_counts() == {"Read": 1}


def test_concurrent_sessions_on_their_own_keys(server: RehearsalServer) -> None:
    headers, body = recorded("basic")

    def session(index: int) -> list[str]:
        base = server.base_url_for(f"k{index}", PLAY)
        own = {**headers, SESSION_HEADER: f"session-{index}"}
        current = copy.deepcopy(body)
        names = []
        for _ in range(3):
            reply = ask(base, current, own)
            names += [b["name"] for b in reply["content"] if b["type"] == "tool_use"]
            current = add_turn(current, reply)
        return names

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(session, range(16)))
    assert all(names == ["Read", "Bash", "Bash"] for names in results)
    for index in range(16):
        assert server.served(f"k{index}").tool_counts() == {"Read": 1, "Bash": 2}


def test_registered_playbook_mapping() -> None:
    headers, body = recorded("basic")
    with RehearsalServer({"fixed": PLAY}) as srv:
        reply = ask(srv.base_url + "/s/fixed", body, headers)
        assert reply["content"][1]["name"] == "Read"
        generic = ask(srv.base_url, body, headers)
        assert generic["content"][1]["input"]["command"] == "ls -la /tmp/popkit-fixture/basic"


def test_endpoint_serves_task_plays_and_generic_plays(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from popkit_bench.rehearsal.endpoint import RehearsalEndpoint

    play_file = tmp_path / "t1.play.yml"
    play_file.write_text("play: t1\nturns:\n  - tool_calls: [{name: Read, input: {file_path: '{cwd}/x'}}]\n")
    with_play = SimpleNamespace(id="t1", play_path=play_file, verification=())
    without = SimpleNamespace(id="t2", play_path=None, verification=(SimpleNamespace(command="make test"),))
    headers, body = recorded("basic")
    endpoint = RehearsalEndpoint()
    endpoint.start()
    try:
        first = ask(endpoint.base_url_for("t1__baseline__1", with_play, None), body, headers)
        assert first["content"][0]["input"] == {"file_path": "/tmp/popkit-fixture/basic/x"}
        assert endpoint.play_for(with_play) is endpoint.play_for(with_play)
        generic = endpoint.play_for(without)
        assert [c.input["command"] for c in generic.variants[0].tool_calls()][1:] == ["make test"]
        assert endpoint.served("t1__baseline__1").tool_counts() == {"Read": 1}
    finally:
        endpoint.stop()


def first_request() -> dict:
    headers, body = recorded("basic")
    return {**body, "stream": False}


@pytest.mark.parametrize(("status", "kind"), [(401, "authentication_error"), (529, "overloaded_error"),
                                              (429, "rate_limit_error"), (500, "api_error")])
def test_fail_first_answers_in_the_api_error_shape(status: int, kind: str) -> None:
    play = parse_play({"play": "fails", "turns": [{"text": "ok"}], "fail_first": {"requests": 1, "status": status}})
    with RehearsalServer(play) as srv:
        code, headers, raw = post(srv.base_url + "/v1/messages?beta=true", first_request())
        assert code == status and headers["x-should-retry"] == "false"
        body = json.loads(raw)
        assert body["type"] == "error" and body["error"]["type"] == kind
        assert f"status {status}" in body["error"]["message"]
        assert ask(srv.base_url, first_request())["content"][0]["text"] == "ok"  # only the first one fails


def test_fail_first_after_lets_requests_through_then_fails_them() -> None:
    play = parse_play({"play": "revoked", "turns": [{"text": "ok"}],
                       "fail_first": {"after": 2, "requests": 3, "status": 401}})
    with RehearsalServer(play) as srv:
        codes = [post(srv.base_url + "/v1/messages?beta=true", first_request())[0] for _ in range(6)]
    assert codes == [200, 200, 401, 401, 401, 200]
