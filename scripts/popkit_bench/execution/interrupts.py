"""Ctrl-C / SIGTERM: stop starting trials, kill the running ones (recorded `interrupted`), exit 130.

A second Ctrl-C kills every process of the run at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from popkit_bench.errors import EXIT_INTERRUPTED, BenchError
from popkit_bench.process.tree import kill_descendants


class RunInterrupted(BenchError):
    """Ctrl-C or SIGTERM: what finished is journaled; resume finishes the plan (exit 130)."""

    exit_code = EXIT_INTERRUPTED


class StopSignals:
    """While active (a context manager), SIGINT and SIGTERM set `stop` instead of killing the process."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.reason: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def _handle(self, signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if self.stop.is_set():  # second Ctrl-C: kill everything at once
            print(f"popkit-bench: {name} again: killing all trials now", file=sys.stderr, flush=True)
            kill_descendants(hard=True)
            os._exit(EXIT_INTERRUPTED)
        self.reason = name
        self.stop.set()
        print(f"popkit-bench: {name}: stopping; running trials are terminated and recorded 'interrupted' "
              "(press Ctrl-C again to kill at once)", file=sys.stderr, flush=True)
        threading.Thread(target=kill_descendants, name="trial-killer", daemon=True).start()
