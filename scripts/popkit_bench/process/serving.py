"""Socket servers served from daemon threads, stopped together (the scripted model and the gateway)."""

from __future__ import annotations

import socketserver
import threading
from typing import Self


class BackgroundServers:
    """`serve` starts a server's loop in a daemon thread; `stop` shuts every one down and joins its thread."""

    def __init__(self) -> None:
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []

    @property
    def running(self) -> bool:
        return bool(self._servers)

    def serve(self, server: socketserver.BaseServer, name: str) -> None:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)

    def stop(self, timeout_s: float = 5.0) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=timeout_s)
        self._servers, self._threads = [], []


class LoopbackService:
    """A server on `host`:`port` that is a context manager: subclasses define `start` and `stop`."""

    host: str
    port: int

    def start(self) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"
