"""Outside the sandbox: a Unix socket that relays to a loopback TCP endpoint (e.g. the scripted model).

A trial without network reaches the model through its forwarder (inside) and this socket (outside).
The socket lives in a private folder (mode 0700) outside the run folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path

from popkit_bench.sandbox.forwarder import relay


class UnixBridge:
    """Listen on `<private dir>/model.sock`; relay each connection to `host:port`."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._dir = Path(tempfile.mkdtemp(prefix="popkit-bridge-"))
        os.chmod(self._dir, 0o700)
        self.socket_path = self._dir / "model.sock"
        self._listener: socket.socket | None = None

    def start(self) -> Path:
        """Start listening in a daemon thread; return the socket path."""
        if self._listener is None:
            self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._listener.bind(str(self.socket_path))
            self._listener.listen(128)
            threading.Thread(target=self._serve, args=(self._listener,), daemon=True, name="unix-bridge").start()
        return self.socket_path

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection((self.host, self.port), timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            threading.Thread(target=relay, args=(client, upstream), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> UnixBridge:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
