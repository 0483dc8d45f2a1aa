"""The gateway's side toward the real API: the user's credential, and requests with central retries.

429, 529 and "overloaded" replies are retried here (bounded, exponential backoff, `retry-after` honoured
up to a cap; not when the upstream answers `x-should-retry: false`) before the trial sees anything; what finally comes back is marked `x-should-retry: false`
so Claude Code does not multiply the retries.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_UPSTREAM = "https://api.anthropic.com"
RETRY_STATUSES = (429, 529)
OVERLOADED_STATUSES = (500, 502, 503, 504)
OAUTH_BETA = "oauth-2025-04-20"
READ_SIZE = 65536


@dataclass(frozen=True)
class Credential:
    """How the gateway authenticates upstream: one header (x-api-key or Authorization) and maybe a beta flag."""

    header: str
    value: str
    beta: str | None = None
    source: str = ""


def user_credential(env: Mapping[str, str] | None = None) -> Credential | None:
    """The user's key or login: ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN, then the
    subscription login file (~/.claude/.credentials.json); None when there is none."""
    env = os.environ if env is None else env
    if env.get("ANTHROPIC_API_KEY"):
        return Credential("x-api-key", env["ANTHROPIC_API_KEY"], None, "ANTHROPIC_API_KEY")
    if env.get("ANTHROPIC_AUTH_TOKEN"):
        return Credential("authorization", "Bearer " + env["ANTHROPIC_AUTH_TOKEN"], None, "ANTHROPIC_AUTH_TOKEN")
    if env.get("CLAUDE_CODE_OAUTH_TOKEN"):
        return Credential("authorization", "Bearer " + env["CLAUDE_CODE_OAUTH_TOKEN"], OAUTH_BETA,
                          "CLAUDE_CODE_OAUTH_TOKEN")
    login = Path(env.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude") / ".credentials.json"
    try:
        token = json.loads(login.read_text(encoding="utf-8"))["claudeAiOauth"]["accessToken"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Credential("authorization", "Bearer " + token, OAUTH_BETA, str(login)) if token else None


def upstream_base(env: Mapping[str, str] | None = None) -> str:
    """Where the gateway forwards: the user's ANTHROPIC_BASE_URL, else the Anthropic API."""
    env = os.environ if env is None else env
    return (env.get("ANTHROPIC_BASE_URL") or DEFAULT_UPSTREAM).rstrip("/")


@dataclass
class Reply:
    """The upstream's final answer: status, headers and the body as a stream of chunks."""

    status: int
    headers: list[tuple[str, str]]
    chunks: Iterator[bytes]
    retries: int
    close: Callable[[], None]

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: at most `retries` more attempts, waits base * 2^n (or retry-after), capped."""

    retries: int = 4
    base_s: float = 0.5
    cap_s: float = 30.0

    def wait(self, attempt: int, retry_after: str) -> float:
        try:
            asked = float(retry_after)
        except ValueError:
            asked = 0.0
        return min(self.cap_s, max(asked, self.base_s * (2 ** attempt)))


def send(url: str, method: str, headers: dict[str, str], body: bytes, policy: RetryPolicy,
         sleep: Callable[[float], None] = time.sleep, timeout_s: float = 600.0) -> Reply:
    """Send one request upstream, retrying 429/529/overloaded and connection failures (bounded)."""
    attempt = 0
    while True:
        conn = _connection(url, timeout_s)
        try:
            conn.request(method, _path(url), body=body or None, headers=headers)
            response = conn.getresponse()
        except OSError as exc:
            conn.close()
            if attempt >= policy.retries:
                raise UpstreamError(f"upstream unreachable after {attempt + 1} attempts: {exc}") from None
            sleep(policy.wait(attempt, ""))
            attempt += 1
            continue
        retry, body_read = _should_retry(response)
        if retry and attempt < policy.retries:
            conn.close()
            sleep(policy.wait(attempt, response.getheader("retry-after") or ""))
            attempt += 1
            continue
        chunks = iter([body_read]) if body_read is not None else _stream(response)
        return Reply(response.status, list(response.getheaders()), chunks, attempt, conn.close)


class UpstreamError(RuntimeError):
    """The upstream could not be reached at all."""


def _should_retry(response: http.client.HTTPResponse) -> tuple[bool, bytes | None]:
    """429/529, or a 5xx saying overloaded; never when the upstream says `x-should-retry: false` (as the
    Anthropic SDK does)."""
    if (response.getheader("x-should-retry") or "").lower() == "false":
        return False, None
    if response.status in RETRY_STATUSES:
        return True, response.read()
    if response.status in OVERLOADED_STATUSES:
        data = response.read()
        return b"overloaded" in data.lower(), data
    return False, None


def _stream(response: http.client.HTTPResponse) -> Iterator[bytes]:
    while True:
        data = response.read1(READ_SIZE)
        if not data:
            return
        yield data


def _connection(url: str, timeout_s: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout_s)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout_s)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
