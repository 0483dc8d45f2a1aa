"""What confinement costs: the sandbox's added time per trial and the gateway's added latency per request.

Usage: python benchmarks/bench_sandbox.py [--repeat N] [--requests M] [--cli K]
- sandbox: a trivial command run N times plain and inside bubblewrap, the way a trial runs its agent
  (network unshared + the in-namespace forwarder) and its verification (no forwarder); the added time
  per trial is (agent wrap) + (one verification wrap), medians (target <= 0.2 s).
- gateway: M streamed /v1/messages requests to the scripted model directly, through the gateway (TCP)
  and through forwarder -> Unix socket -> gateway (the path of a confined trial); medians per request.
- --cli K: also K one-turn sessions of the real CLI, plain vs confined through the gateway (noisy).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from popkit_bench.agent.cli_locator import find_claude
from popkit_bench.execution.executor import NoConfinement
from popkit_bench.gateway import ModelGateway
from popkit_bench.rehearsal import RehearsalServer, parse_play
from popkit_bench.sandbox.confine import FORWARDER, Confinement, ModelSocket, forwarder_python
from popkit_bench.sandbox.probe import probe_bwrap

BODY = json.dumps({"model": "claude-haiku-4-5", "max_tokens": 16, "stream": True,
                   "messages": [{"role": "user", "content": "hello"}]}).encode()


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def sandbox_overhead(repeat: int, socket_path: Path, port: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(work)}
        confined = Confinement(model=ModelSocket(port, socket_path))
        plain, agent, verify = [], [], []
        for _ in range(repeat):
            plain.append(timed(*NoConfinement().wrap(["true"], env, cwd=work, writable=[], readonly=[]), work))
            argv, wrapped_env = confined.wrap(["true"], env, work, [work], net=True)
            agent.append(timed(argv, wrapped_env, work))
            argv, wrapped_env = confined.wrap(["true"], env, work, [work], net=False)
            verify.append(timed(argv, wrapped_env, work))
    base = statistics.median(plain)
    added_agent, added_verify = statistics.median(agent) - base, statistics.median(verify) - base
    return {"plain_s": base, "agent_added_s": added_agent, "verification_added_s": added_verify,
            "per_trial_added_s": added_agent + added_verify}


def request_latency(connect: tuple[str, int], path: str, headers: dict[str, str], count: int) -> float:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        conn = http.client.HTTPConnection(*connect, timeout=30)
        conn.request("POST", path, body=BODY, headers={"content-type": "application/json", **headers})
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 200, response.status
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gateway_latency(model: RehearsalServer, gateway: ModelGateway, count: int) -> dict[str, float]:
    grant = gateway.issue("bench", upstream=model.base_url_for("bench"))
    auth = {"x-api-key": grant.token}
    direct = request_latency(("127.0.0.1", model.port), "/s/bench/v1/messages", {}, count)
    via_tcp = request_latency(("127.0.0.1", gateway.port), "/v1/messages", auth, count)
    port = free_port()
    forwarder = subprocess.Popen([forwarder_python(), "-I", "-S", str(FORWARDER), str(port), str(gateway.socket_path),
                                  "--", "sleep", "600"])
    try:
        time.sleep(0.3)
        via_socket = request_latency(("127.0.0.1", port), "/v1/messages", auth, count)
    finally:
        forwarder.terminate()
        forwarder.wait()
    return {"direct_s": direct, "gateway_added_s": via_tcp - direct, "forwarder_gateway_added_s": via_socket - direct}


def cli_sessions(model: RehearsalServer, gateway: ModelGateway, count: int) -> dict[str, float]:
    claude = find_claude()
    if claude is None:
        return {}
    plain, confined = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(count):
            for label, times in (("plain", plain), ("confined", confined)):
                work, config = Path(tmp) / f"{label}{index}", Path(tmp) / f"{label}{index}-config"
                work.mkdir()
                config.mkdir()
                grant = gateway.issue(f"{label}{index}", upstream=model.base_url_for(f"{label}{index}"))
                env = {"PATH": os.environ["PATH"], "HOME": str(work), "CLAUDE_CONFIG_DIR": str(config),
                       "DISABLE_TELEMETRY": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                       **gateway.trial_env(grant)}
                argv = [str(claude), "-p", "hi", "--output-format", "json", "--setting-sources", "",
                        "--strict-mcp-config"]
                wrapper = Confinement(claude_binary=claude, model=gateway.model_socket()) if label == "confined" \
                    else NoConfinement()
                times.append(timed(*wrapper.wrap(argv, env, cwd=work, writable=[work, config], readonly=[]), work))
    return {"cli_plain_s": statistics.median(plain), "cli_confined_s": statistics.median(confined)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--cli", type=int, default=0)
    args = parser.parse_args()
    probe = probe_bwrap()
    if not probe.usable:
        sys.exit(f"bubblewrap cannot start here: {probe.reason}")
    play = parse_play({"play": "bench", "turns": [{"text": "hello"}]})
    with RehearsalServer(play) as model, ModelGateway(model.base_url, None) as gateway:
        sandbox = sandbox_overhead(args.repeat, gateway.socket_path, gateway.port)
        latency = gateway_latency(model, gateway, args.requests)
        cli = cli_sessions(model, gateway, args.cli) if args.cli else {}
    print(f"sandbox: plain `true` {sandbox['plain_s'] * 1000:.1f} ms; added per trial "
          f"{sandbox['per_trial_added_s'] * 1000:.1f} ms (agent wrap with forwarder "
          f"{sandbox['agent_added_s'] * 1000:.1f} ms + one verification wrap "
          f"{sandbox['verification_added_s'] * 1000:.1f} ms), target <= 200 ms, median of {args.repeat}")
    print(f"gateway: direct request {latency['direct_s'] * 1000:.2f} ms; added via gateway "
          f"{latency['gateway_added_s'] * 1000:.2f} ms; added via forwarder + Unix socket + gateway "
          f"{latency['forwarder_gateway_added_s'] * 1000:.2f} ms, median of {args.requests}")
    if cli:
        print(f"real CLI one-turn session: plain {cli['cli_plain_s']:.2f} s, confined {cli['cli_confined_s']:.2f} s "
              f"(median of {args.cli}; noisy on a shared machine)")


if __name__ == "__main__":
    main()
