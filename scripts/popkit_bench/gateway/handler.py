"""HTTP handling of the model gateway: authenticate the trial token, forward, stream back, charge usage."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from popkit_bench.gateway.upstream import UpstreamError, send
from popkit_bench.gateway.usage import UsageReader
from popkit_bench.rehearsal.http_body import read_raw_body

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "host", "content-length"}
TOKEN_PATH = "/t/"
# What a trial may do with the user's credential: talk to the model, nothing else (files, batches, admin).
FORWARDED = {("POST", "/v1/messages"), ("POST", "/v1/messages/count_tokens"), ("GET", "/v1/models")}
NOT_FORWARDED = HOP_BY_HOP | {"x-api-key", "authorization", "accept-encoding"}


def error_body(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()


class GatewayHandler(BaseHTTPRequestHandler):
    """One connection from a trial; `gateway` (a ModelGateway) is set on the bound subclass."""

    protocol_version = "HTTP/1.1"
    gateway: Any

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr logging
        return

    def address_string(self) -> str:  # a Unix socket has no (host, port)
        return "gateway-client"

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self.forward()

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        self.forward()

    def token(self) -> str | None:
        """The trial token: from the path (`/t/<token>/v1/...`, the trial's base URL), else the headers."""
        if self.path.startswith(TOKEN_PATH):
            token, _, rest = self.path[len(TOKEN_PATH):].partition("/")
            self.path = "/" + rest
            return token
        key = self.headers.get("x-api-key")
        if key:
            return key.strip()
        auth = self.headers.get("authorization") or ""
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def forward(self) -> None:
        body = self.read_body()
        grant = self.gateway.ledger.active(self.token())
        if grant is None:
            self.reply(401, error_body("authentication_error", "popkit gateway: unknown or revoked trial token"))
            return
        entry: dict[str, Any] = {"method": self.command, "path": self.path}
        if (self.command, self.path.split("?", 1)[0].rstrip("/")) not in FORWARDED:
            entry.update(status=404, refused="not a model endpoint", retries=0)
            self.gateway.ledger.charge(grant, entry, None, {})
            self.reply(404, error_body("not_found_error", f"popkit gateway: {self.path} is not forwarded"))
            return
        refusal = self.gateway.ledger.refusal(grant)
        if refusal is not None:
            entry.update(status=400, refused=refusal, retries=0)
            self.gateway.ledger.charge(grant, entry, None, {})
            self.reply(400, error_body("invalid_request_error", f"popkit gateway: {refusal}"))
            return
        self.relay(grant, entry, body)

    def relay(self, grant: Any, entry: dict[str, Any], body: bytes) -> None:
        started = time.monotonic()
        url = (grant.upstream or self.gateway.upstream) + self.path
        try:
            reply = send(url, self.command, self.upstream_headers(len(body)), body, self.gateway.retry)
        except UpstreamError as exc:
            entry.update(status=502, error=str(exc), retries=self.gateway.retry.retries)
            self.gateway.ledger.charge(grant, entry, None, {})
            self.reply(502, error_body("api_error", f"popkit gateway: {exc}"))
            return
        reader = UsageReader(reply.header("content-type"))
        broken = False
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "x-should-retry":
                    self.send_header(name, value)
            self.send_header("x-should-retry", "false" if reply.status >= 400 else "true")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in reply.chunks:
                reader.feed(chunk)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
        except OSError:
            broken = self.close_connection = True
        finally:  # charged before the client sees the end of the answer
            reply.close()
            reader.finish()
            entry.update(status=reply.status, retries=reply.retries, duration_s=round(time.monotonic() - started, 4))
            self.gateway.ledger.charge(grant, entry, reader.model, reader.usage)
        if not broken:
            try:
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                self.close_connection = True

    def upstream_headers(self, length: int) -> dict[str, str]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in NOT_FORWARDED}
        headers["accept-encoding"] = "identity"
        headers["content-length"] = str(length)
        credential = self.gateway.credential
        if credential is not None:
            headers[credential.header] = credential.value
            if credential.beta:
                betas = [b for b in (headers.get("anthropic-beta") or "").split(",") if b.strip()]
                headers["anthropic-beta"] = ",".join(dict.fromkeys([*betas, credential.beta]))
        return headers

    def read_body(self) -> bytes:
        return read_raw_body(self)  # forwarded as sent (a gzip body stays gzip)

    def reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-should-retry", "false")
        self.end_headers()
        self.wfile.write(payload)
