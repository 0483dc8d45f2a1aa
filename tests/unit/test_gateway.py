"""The model gateway over real loopback HTTP, with a small scripted upstream: tokens, usage, budget, retries."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from popkit_bench.gateway import (
    Credential,
    ModelGateway,
    RetryPolicy,
    cli_totals,
    cross_check,
    user_credential,
)
from popkit_bench.gateway.ledger import Ledger
from popkit_bench.gateway.pricing import price_for
from popkit_bench.gateway.usage import UsageReader

SECRET = "sk-ant-api03-gateway-unit-secret"
USAGE = {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 0}


class Upstream:
    """Answers POST /v1/messages: `statuses` first (e.g. 529, 529), then 200 with USAGE; logs headers."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.should_retry: str | None = None
        self.seen: list[dict[str, str]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstream.seen.append({k.lower(): v for k, v in self.headers.items()})
                status = upstream.statuses.pop(0) if upstream.statuses else 200
                body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}} \
                    if status != 200 else {"type": "message", "model": "claude-sonnet-4-5", "usage": USAGE,
                                           "content": [{"type": "text", "text": "hi"}]}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("retry-after", "0")
                if upstream.should_retry is not None:
                    self.send_header("x-should-retry", upstream.should_retry)
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture()
def upstream() -> Iterator[Upstream]:
    server = Upstream([])
    yield server
    server.httpd.shutdown()


def post(base_url: str, token: str, body: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(base_url + "/v1/messages", data=json.dumps(body or {"model": "m"}).encode(),
                                     headers={"x-api-key": token, "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def gateway_for(upstream: Upstream, **kw: Any) -> ModelGateway:
    return ModelGateway(upstream.url, Credential("x-api-key", SECRET), retry=RetryPolicy(3, 0.01, 0.05), **kw)


def test_the_upstream_sees_the_real_key_and_the_trial_only_its_token(upstream: Upstream) -> None:
    with gateway_for(upstream) as gateway:
        grant = gateway.issue("t1")
        assert SECRET not in json.dumps(gateway.trial_env(grant))
        status, _, body = post(gateway.base_url, grant.token)
        assert status == 200 and body["usage"] == USAGE
        assert upstream.seen[-1]["x-api-key"] == SECRET
        assert grant.token not in json.dumps(upstream.seen)
        assert grant.tokens == USAGE and grant.cost_usd == pytest.approx((10 * 3 + 100 * 0.3 + 5 * 15) / 1e6)


def test_unknown_and_revoked_tokens_are_refused(upstream: Upstream) -> None:
    with gateway_for(upstream) as gateway:
        assert post(gateway.base_url, "popkit-trial-guess")[0] == 401
        grant = gateway.issue("t1")
        assert post(gateway.base_url, grant.token)[0] == 200
        gateway.revoke(grant)
        status, headers, body = post(gateway.base_url, grant.token)
        assert status == 401 and body["error"]["type"] == "authentication_error"
        assert len(upstream.seen) == 1


def test_overload_is_retried_centrally(upstream: Upstream) -> None:
    upstream.statuses = [529, 429]
    with gateway_for(upstream) as gateway:
        grant = gateway.issue("t1")
        assert post(gateway.base_url, grant.token)[0] == 200
        assert grant.summary()["retries"] == 2 and len(upstream.seen) == 3
        upstream.statuses = [529] * 10
        status, headers, _ = post(gateway.base_url, grant.token)
        assert status == 529 and headers.get("x-should-retry") == "false"  # bounded: 1 + 3 retries, then give up
        assert len(upstream.seen) == 3 + 4
        upstream.statuses, upstream.should_retry = [529], "false"
        assert post(gateway.base_url, grant.token)[0] == 529  # the upstream said not to retry
        assert len(upstream.seen) == 3 + 4 + 1


def test_budget_is_enforced_before_the_next_request(upstream: Upstream) -> None:
    with gateway_for(upstream, run_budget_usd=1.0) as gateway:
        grant = gateway.issue("t1", budget_usd=0.0001)
        assert post(gateway.base_url, grant.token)[0] == 200
        status, _, body = post(gateway.base_url, grant.token)
        assert status == 400 and "budget" in body["error"]["message"]
        assert len(upstream.seen) == 1 and grant.summary()["refused"] == 1
        other = gateway.issue("t2")
        gateway.ledger.run_spent_usd = 1.0
        status, _, body = post(gateway.base_url, other.token)
        assert status == 400 and "run's budget" in body["error"]["message"]


def test_usage_reader_sse_split_anywhere_and_json() -> None:
    stream = (b'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-haiku-4-5",'
              b'"usage":{"input_tokens":7,"output_tokens":1,"cache_read_input_tokens":3}}}\n\n'
              b'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":42}}\n\n')
    for cut in (1, 17, 90, len(stream) - 3):
        reader = UsageReader("text/event-stream; charset=utf-8")
        reader.feed(stream[:cut])
        reader.feed(stream[cut:])
        reader.finish()
        assert reader.model == "claude-haiku-4-5"
        assert reader.usage == {"input_tokens": 7, "output_tokens": 42, "cache_read_input_tokens": 3}
    reader = UsageReader("application/json")
    reader.feed(json.dumps({"model": "x", "usage": USAGE}).encode())
    reader.finish()
    assert reader.usage == USAGE


def test_cross_check_notes_a_difference() -> None:
    result = {"modelUsage": {"a": {"inputTokens": 10, "outputTokens": 5, "cacheReadInputTokens": 100,
                                   "cacheCreationInputTokens": 0}}}
    assert cross_check(USAGE, cli_totals(result)) is None
    more = cross_check({**USAGE, "output_tokens": 9}, cli_totals(result))
    assert "output_tokens 9 vs 5" in more and "hooks" in more
    assert "never forwarded" in cross_check({**USAGE, "input_tokens": 1}, cli_totals(result))
    assert "no token totals" in cross_check(USAGE, None)


def test_unknown_model_cost_is_null_and_charged_at_the_highest_price() -> None:
    ledger = Ledger()
    grant = ledger.issue("t1", budget_usd=0.001)
    ledger.charge(grant, {}, "claude-future-9", {"output_tokens": 100})
    assert price_for("claude-future-9") is None and price_for("claude-opus-4-5-20251101").output == 25.0
    assert grant.cost_usd is None and "claude-future-9" in grant.cost_null_reason
    assert grant.spent_usd == pytest.approx(100 * 75 / 1e6)
    assert ledger.refusal(grant) and "trial's budget" in ledger.refusal(grant)


def test_user_credential_order_and_login_file(tmp_path: Path) -> None:
    assert user_credential({"ANTHROPIC_API_KEY": "k", "CLAUDE_CODE_OAUTH_TOKEN": "o"}).header == "x-api-key"
    oauth = user_credential({"CLAUDE_CODE_OAUTH_TOKEN": "o", "CLAUDE_CONFIG_DIR": str(tmp_path)})
    assert oauth.value == "Bearer o" and oauth.beta == "oauth-2025-04-20"
    assert user_credential({"CLAUDE_CONFIG_DIR": str(tmp_path)}) is None
    (tmp_path / ".credentials.json").write_text(json.dumps({"claudeAiOauth": {"accessToken": "login-token"}}))
    assert user_credential({"CLAUDE_CONFIG_DIR": str(tmp_path)}).value == "Bearer login-token"


def test_oauth_credential_adds_the_beta_flag(upstream: Upstream) -> None:
    credential = Credential("authorization", "Bearer tok", "oauth-2025-04-20")
    with ModelGateway(upstream.url, credential) as gateway:
        grant = gateway.issue("t1")
        assert post(gateway.base_url, grant.token)[0] == 200
    seen = upstream.seen[-1]
    assert seen["authorization"] == "Bearer tok" and "oauth-2025-04-20" in seen["anthropic-beta"]
    assert "x-api-key" not in seen


def test_retry_wait_is_bounded() -> None:
    policy = RetryPolicy(retries=4, base_s=0.5, cap_s=30)
    assert [policy.wait(n, "") for n in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert policy.wait(0, "12") == 12 and policy.wait(0, "600") == 30


def test_only_model_endpoints_are_forwarded(upstream: Upstream) -> None:
    with gateway_for(upstream) as gateway:
        grant = gateway.issue("t1")
        request = urllib.request.Request(gateway.base_url + "/v1/files", data=b"{}", headers={"x-api-key": grant.token})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=10)
        assert err.value.code == 404 and upstream.seen == []
        url = gateway.url_for(grant)
        assert url.endswith("/t/" + grant.token)
        status, _, _ = post(url, "ignored-header-key")  # the token in the base URL's path is enough
        assert status == 200 and len(upstream.seen) == 1 and grant.summary()["not_forwarded"] == 1
        assert grant.token not in json.dumps(grant.summary())
