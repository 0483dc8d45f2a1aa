"""The loopback model gateway: the only holder of the user's credential; trials get revocable tokens.

Listens on 127.0.0.1 (TCP) and on a Unix socket in a private folder (for trials without network, via
their forwarder). Each request must carry a trial token that is currently valid; the gateway swaps it
for the real credential, forwards (retrying overload centrally), streams the answer back and charges the
usage to the trial (`Ledger`).
"""

from __future__ import annotations

import os
import shutil
import socketserver
import tempfile
from http.server import ThreadingHTTPServer
from pathlib import Path

from popkit_bench.gateway.handler import GatewayHandler
from popkit_bench.gateway.ledger import Grant, Ledger
from popkit_bench.gateway.upstream import Credential, RetryPolicy, upstream_base, user_credential
from popkit_bench.process.serving import BackgroundServers, LoopbackService
from popkit_bench.sandbox.confine import ModelSocket


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class ModelGateway(LoopbackService):
    """Start it, `issue` a grant per trial, put `trial_env(grant)` into the trial, `revoke` after it.

    `upstream`: base URL requests go to (default: the user's ANTHROPIC_BASE_URL, else the Anthropic API);
    `credential`: what authenticates them (default: the user's key or login; None with a scripted model).
    """

    def __init__(self, upstream: str | None = None, credential: Credential | None | str = "user", *,
                 run_budget_usd: float | None = None, retry: RetryPolicy | None = None,
                 host: str = "127.0.0.1") -> None:
        self.upstream = (upstream or upstream_base()).rstrip("/")
        self.credential = user_credential() if credential == "user" else credential
        self.ledger = Ledger(run_budget_usd)
        self.retry = retry or RetryPolicy()
        self.host = host
        self.port = 0
        self._dir = Path(tempfile.mkdtemp(prefix="popkit-gateway-"))
        os.chmod(self._dir, 0o700)
        self.socket_path = self._dir / "gateway.sock"
        self._serving = BackgroundServers()

    def start(self) -> str:
        """Listen on TCP and on the Unix socket (daemon threads); return the base URL."""
        if not self._serving.running:
            handler = type("BoundGatewayHandler", (GatewayHandler,), {"gateway": self})
            tcp = ThreadingHTTPServer((self.host, 0), handler)
            tcp.daemon_threads = True
            self.port = tcp.server_address[1]
            self._serving.serve(tcp, "model-gateway")
            self._serving.serve(_UnixHTTPServer(str(self.socket_path), handler), "model-gateway-socket")
        return self.base_url

    def stop(self) -> None:
        self._serving.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def issue(self, key: str, *, budget_usd: float | None = None, upstream: str | None = None) -> Grant:
        """A token for trial `key` (valid until `revoke`); `upstream` overrides where its requests go."""
        return self.ledger.issue(key, budget_usd=budget_usd, upstream=upstream)

    def revoke(self, grant: Grant) -> Grant:
        """Invalidate the trial's token; its usage stays readable on the grant."""
        self.ledger.revoke(grant.token)
        return grant

    def url_for(self, grant: Grant) -> str:
        """The trial's ANTHROPIC_BASE_URL: its token in the path, so any API key header is ignored."""
        return f"{self.base_url}/t/{grant.token}"

    def trial_env(self, grant: Grant) -> dict[str, str]:
        """What a trial needs to reach the model: this gateway's URL and its own token (never the key)."""
        return {"ANTHROPIC_BASE_URL": self.base_url, "ANTHROPIC_API_KEY": grant.token}

    def model_socket(self) -> ModelSocket:
        """The endpoint for a confined trial: the forwarder listens on this port, relays to this socket."""
        return ModelSocket(self.port, self.socket_path)
