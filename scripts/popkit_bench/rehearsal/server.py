"""The rehearsal server: a scripted Anthropic Messages API on loopback, one play per routing key."""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from popkit_bench.process.serving import BackgroundServers, LoopbackService
from popkit_bench.rehearsal.director import Director
from popkit_bench.rehearsal.http_body import read_raw_body
from popkit_bench.rehearsal.messages import (
    encode_sse,
    error_json,
    message_json,
    scripted_failure_text,
    sse_events,
)
from popkit_bench.rehearsal.play import Play, generic_play
from popkit_bench.rehearsal.request_info import MAIN, classify, estimate_tokens
from popkit_bench.rehearsal.served import Served

DEFAULT_KEY = ""
KEY_PREFIX = "/s/"


class RehearsalServer(LoopbackService):
    """Serves plays to Claude Code sessions; `base_url_for(key, play)` gives each trial its own URL.

    `playbook` is the default play (for requests without a known key; None: a generic play) or a
    mapping {key: play} registered up front.
    """

    def __init__(self, playbook: Play | Mapping[str, Play] | None = None, host: str = "127.0.0.1",
                 port: int = 0, *, keep_requests: bool = False) -> None:
        self.host = host
        self.port = port
        self.keep_requests = keep_requests
        self._lock = threading.Lock()
        self._directors: dict[str, Director] = {}
        self._served: dict[str, Served] = {}
        self._requests: dict[str, list[dict[str, Any]]] = {}
        self._failed: dict[str, int] = {}  # play name -> main-loop requests failed on purpose (fail_first)
        self._passed: dict[str, int] = {}  # play name -> main-loop requests let through before failing
        self._serving = BackgroundServers()
        default = playbook if isinstance(playbook, Play) else None
        self._default = Director(default or generic_play(()))
        if isinstance(playbook, Mapping):
            for key, play in playbook.items():
                self.register(key, play)

    # lifecycle
    def start(self) -> str:
        """Listen (port 0: any free port) in a daemon thread; return the base URL."""
        if not self._serving.running:
            httpd = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
            httpd.daemon_threads = True
            self.port = httpd.server_address[1]
            self._serving.serve(httpd, "rehearsal-server")
        return self.base_url

    def stop(self) -> None:
        self._serving.stop()

    # plays and keys
    def register(self, key: str, play: Play) -> None:
        """Serve `play` to requests under `/s/<key>`."""
        if not key:
            raise ValueError("a routing key must not be empty")
        with self._lock:
            self._directors[key] = Director(play)

    def base_url_for(self, key: str, play: Play | None = None) -> str:
        """Register `play` (None: the default play) for `key`; return that key's ANTHROPIC_BASE_URL."""
        self.register(key, play or self._default.play)
        return f"{self.base_url}{KEY_PREFIX}{quote(key, safe='')}"

    def served(self, key: str = DEFAULT_KEY) -> Served:
        """A snapshot of what was served under `key` ("" = requests without a known key)."""
        with self._lock:
            log = self._served.get(key) or Served()
            return Served(list(log.replies), log.count_tokens_calls)

    def requests(self, key: str = DEFAULT_KEY) -> list[dict[str, Any]]:
        """Requests received under `key` (only with keep_requests=True): method, path, headers, body."""
        with self._lock:
            return list(self._requests.get(key, []))

    # request handling (called from handler threads)
    def route(self, path: str) -> tuple[str, str]:
        """(key, API path): `/s/<key>/v1/messages` -> (key, `/v1/messages`); unknown keys -> default."""
        path = urlsplit(path).path
        if path.startswith(KEY_PREFIX):
            raw, _, rest = path[len(KEY_PREFIX):].partition("/")
            return unquote(raw), "/" + rest
        return DEFAULT_KEY, path

    def director(self, key: str) -> Director:
        with self._lock:
            return self._directors.get(key, self._default)

    def record(self, key: str, entry: dict[str, Any]) -> None:
        if self.keep_requests:
            with self._lock:
                self._requests.setdefault(key, []).append(entry)

    def planned_failure(self, key: str, headers: Mapping[str, str], body: dict[str, Any]) -> int | None:
        """The HTTP status to fail this request with (the play's `fail_first`), else None."""
        play = self.director(key).play
        if play.fail_first is None or classify(headers, body) != MAIN:
            return None
        with self._lock:
            passed = self._passed.get(play.name, 0)
            if passed < play.fail_first.after:
                self._passed[play.name] = passed + 1
                return None
            done = self._failed.get(play.name, 0)
            if done >= play.fail_first.requests:
                return None
            self._failed[play.name] = done + 1
        return play.fail_first.status

    def messages(self, key: str, headers: Mapping[str, str], body: dict[str, Any]) -> tuple[str, bytes]:
        """(content type, body) for POST /v1/messages (after the play's `turn_delay_s` for a main-loop turn)."""
        delay = self.director(key).play.turn_delay_s
        if delay > 0 and classify(headers, body) == MAIN:
            time.sleep(delay)
        reply, served = self.director(key).reply(headers, body)
        with self._lock:
            self._served.setdefault(key, Served()).replies.append(served)
        if body.get("stream"):
            return "text/event-stream", encode_sse(sse_events(reply))
        return "application/json", json.dumps(message_json(reply)).encode()

    def count_tokens(self, key: str, body: dict[str, Any]) -> bytes:
        with self._lock:
            self._served.setdefault(key, Served()).count_tokens_calls += 1
        return json.dumps({"input_tokens": estimate_tokens(body)}).encode()


def _handler_for(server: RehearsalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        rehearsal = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    rehearsal: RehearsalServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr logging
        return

    def send(self, status: int, content_type: str, payload: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("request-id", "req_" + uuid.uuid4().hex[:24])
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_json(self, status: int, data: Any) -> None:
        self.send(status, "application/json", json.dumps(data).encode())

    def read_body(self) -> bytes:
        raw = read_raw_body(self)
        if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            raw = gzip.decompress(raw)
        return raw

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self.send_json(200, {})  # e.g. the CLI's GET /api/hello connectivity check

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        key, path = self.rehearsal.route(self.path)
        try:
            body = json.loads(self.read_body() or b"{}")
        except (ValueError, OSError):
            self.send_json(400, error_json(400, "request body is not JSON"))
            return
        if not isinstance(body, dict):
            self.send_json(400, error_json(400, "request body must be a JSON object"))
            return
        headers = {k: v for k, v in self.headers.items()}
        self.rehearsal.record(key, {"method": "POST", "path": self.path, "headers": headers, "body": body})
        path = path.rstrip("/")
        failure = self.rehearsal.planned_failure(key, headers, body) if path == "/v1/messages" else None
        if failure is not None:
            payload = json.dumps(error_json(failure, scripted_failure_text(failure))).encode()
            self.send(failure, "application/json", payload, {"x-should-retry": "false"})
        elif path == "/v1/messages":
            content_type, payload = self.rehearsal.messages(key, headers, body)
            self.send(200, content_type, payload)
        elif path == "/v1/messages/count_tokens":
            self.send(200, "application/json", self.rehearsal.count_tokens(key, body))
        else:
            self.send_json(404, error_json(404, f"no route for {path}"))
