"""Progress of a run: a live bar on a terminal (rich), one line per trial start and end elsewhere (pipes,
Claude Code's Bash tool, CI), or JSON events (`--json`, for agents)."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from typing import Any, TextIO

from popkit_bench.planning.plan import TrialKey
from popkit_bench.record.trial_record import COMPLETED, NOT_COMPLETED_STATUSES, TrialRecord


class LineProgress:
    """Plain lines, one per trial start and end, with done/total, failures and elapsed time."""

    def __init__(self, total: int, stream: TextIO | None = None, as_json: bool = False) -> None:
        self.total = total
        self.stream = stream or sys.stdout
        self.as_json = as_json
        self.done = 0
        self.started_at = time.monotonic()
        self.by_status: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _emit(self, text: str, event: dict[str, Any]) -> None:
        with self._lock:
            line = json.dumps(event, sort_keys=True) if self.as_json else text
            print(line, file=self.stream, flush=True)

    def message(self, text: str) -> None:
        """A free-form line (plan, warnings, paths)."""
        self._emit(text, {"event": "message", "text": text})

    def trial_started(self, key: TrialKey) -> None:
        self._emit(
            f"[{self.done}/{self.total}] start {key.task_id} {key.arm} #{key.trial}",
            {"event": "trial_start", **key.to_json(), "done": self.done, "total": self.total},
        )

    def trial_finished(self, key: TrialKey, record: TrialRecord) -> None:
        with self._lock:
            self.done += 1
            self.by_status[str(record.status)] += 1
        elapsed = time.monotonic() - self.started_at
        eta = elapsed / self.done * (self.total - self.done) if self.done else None
        reason = f" ({record.status_reason})" if record.status_reason else ""
        where = f" on {record.node}" if record.node else ""
        text = (f"[{self.done}/{self.total}] done  {key.task_id} {key.arm} #{key.trial} "
                f"{record.status}{reason} {record.wall_s or 0:.1f}s{where}"
                f" | elapsed {elapsed:.0f}s" + (f" eta {eta:.0f}s" if eta is not None else ""))
        self._emit(text, {"event": "trial_end", **key.to_json(), "status": record.status,
                          "reason": record.status_reason, "wall_s": record.wall_s, "node": record.node,
                          "done": self.done, "total": self.total, "elapsed_s": round(elapsed, 1)})

    def close(self) -> None:
        """Nothing to tear down for plain lines."""




class RichProgress(LineProgress):
    """A live bar per run on a terminal: done/total, elapsed and ETA on the bar line; per-arm counts,
    running trials and failures on the line below."""

    def __init__(self, total: int, stream: TextIO | None = None, label: str = "run") -> None:
        super().__init__(total, stream)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        owner = self

        class _Bar(Progress):
            def get_renderables(self):  # the bar, then the detail line
                yield self.make_tasks_table(self.tasks)
                yield Text(owner.detail())

        self.console = Console(file=self.stream)
        self.by_arm: Counter[str] = Counter()
        self.by_node: Counter[str] = Counter()  # --executor ray: trials done per node
        self.running = 0
        self._bar = _Bar(TextColumn("[bold]{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
                         TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                         console=self.console)
        self._task = self._bar.add_task(label[-28:], total=total, completed=0)
        self._bar.start()

    def detail(self) -> str:
        arms = ", ".join(f"{arm} {n}" for arm, n in sorted(self.by_arm.items())) or "none yet"
        failures = sum(self.by_status[s] for s in NOT_COMPLETED_STATUSES)
        nodes = " | per node: " + ", ".join(f"{node} {n}" for node, n in sorted(self.by_node.items())) \
            if self.by_node else ""
        return f"  done per arm: {arms} | running {self.running} | not completed {failures}{nodes}"

    def _refresh(self) -> None:
        self._bar.update(self._task, completed=self.done, total=self.total)

    def message(self, text: str) -> None:
        self._bar.console.print(text, markup=False, highlight=False)

    def trial_started(self, key: TrialKey) -> None:
        with self._lock:
            self.running += 1
        self._refresh()

    def trial_finished(self, key: TrialKey, record: TrialRecord) -> None:
        with self._lock:
            self.done += 1
            self.running = max(0, self.running - 1)
            self.by_status[str(record.status)] += 1
            self.by_arm[key.arm] += 1
            if record.node:
                self.by_node[record.node] += 1
        if record.status != COMPLETED:
            reason = f" ({record.status_reason})" if record.status_reason else ""
            where = f" on {record.node}" if record.node else ""
            self.message(f"{key.task_id} {key.arm} #{key.trial}: {record.status}{reason}{where}")
        self._refresh()

    def close(self) -> None:
        self._refresh()
        self._bar.stop()


def make_progress(total: int, *, as_json: bool = False, stream: TextIO | None = None,
                  label: str = "run") -> LineProgress:
    """JSON events with --json, a live bar on a terminal, else plain lines."""
    stream = stream or sys.stdout
    if not as_json and stream.isatty():
        return RichProgress(total, stream, label)
    return LineProgress(total, stream, as_json=as_json)
