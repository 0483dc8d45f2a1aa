"""Inside a sandbox without network: relay 127.0.0.1:PORT to a Unix socket, then become the trial's command.

Usage: python3 -I -S forwarder.py PORT SOCKET -- COMMAND...
Binds the port, forks a relay process (every connection goes to SOCKET, the model gateway outside, bound
in read-only) and execs COMMAND in place, so the command keeps this pid, its stdio and its exit code. The
relay ends with the sandbox's pid namespace, or by itself once its parent is gone. Only built-in modules
(`_socket`, `_thread`): it starts in a few milliseconds with the system Python.
"""

from __future__ import annotations

import _socket
import _thread
import os
import sys
import time

BUFFER = 65536


def pipe(source, target) -> None:  # noqa: ANN001 - _socket.socket or socket.socket
    """Copy bytes from `source` to `target` until EOF, then half-close both directions."""
    try:
        while True:
            data = source.recv(BUFFER)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    for sock, how in ((target, _socket.SHUT_WR), (source, _socket.SHUT_RD)):
        try:
            sock.shutdown(how)
        except OSError:
            pass


def relay(client, upstream) -> None:  # noqa: ANN001
    """Both directions of one connection; closes both sockets when done."""
    done = _thread.allocate_lock()
    done.acquire()

    def back() -> None:
        pipe(upstream, client)
        done.release()

    _thread.start_new_thread(back, ())
    pipe(client, upstream)
    done.acquire()
    client.close()
    upstream.close()


def serve(listener, socket_path: str) -> None:  # noqa: ANN001
    """Accept connections forever, relaying each to the Unix socket."""
    while True:
        try:
            fd, _ = listener._accept()
        except OSError:
            return
        client = _socket.socket(fileno=fd)
        upstream = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            upstream.connect(socket_path)
        except OSError:
            client.close()
            upstream.close()
            continue
        _thread.start_new_thread(relay, (client, upstream))


def watch_parent(parent: int) -> None:
    """End the relay when the command it serves is gone (outside a pid namespace, e.g. in a benchmark)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: forwarder.py PORT SOCKET -- COMMAND...\n")
        return 2
    port, socket_path, command = int(argv[0]), argv[1], argv[3:]
    listener = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    listener.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    parent = os.getpid()
    if os.fork() == 0:  # the relay: holds none of the command's stdio open
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        _thread.start_new_thread(watch_parent, (parent,))
        serve(listener, socket_path)
        os._exit(0)
    listener.close()
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        sys.stderr.write(f"forwarder: cannot start {command[0]}: {exc}\n")
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
