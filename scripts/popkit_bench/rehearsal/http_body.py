"""The body of an HTTP request as Claude Code sends it (chunked or with Content-Length), for the loopback
servers: the scripted model and the model gateway."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


def read_raw_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body as sent (still compressed if it was): chunked transfer or Content-Length."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            chunk = handler.rfile.read(size)
            handler.rfile.readline()
            if size == 0:
                return b"".join(chunks)
            chunks.append(chunk)
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
