"""The run folder: run.json, results.jsonl (the journal: record/journal.py) and the trial folders."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.planning.plan import TrialKey
from popkit_bench.record.journal import RESULTS, append_record, final_records, read_journal, repair_journal
from popkit_bench.record.trial_record import TrialRecord

RUN_JSON = "run.json"
LOCK = ".orchestrator.lock"


def utc_now() -> str:
    """ISO-8601 UTC timestamp with seconds."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_run_dir(base: Path, label: str) -> Path:
    """A new folder under base named <timestamp>-<label>."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = base / f"{stamp}-{label}"
    suffix = 1
    while path.exists():
        suffix += 1
        path = base / f"{stamp}-{label}-{suffix}"
    return path


class RunDir:
    """Reads and writes one run folder. Appends to results.jsonl are serialised and fsync'ed."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def results_path(self) -> Path:
        return self.path / RESULTS

    @property
    def run_json_path(self) -> Path:
        return self.path / RUN_JSON

    def trial_dir(self, key: TrialKey) -> Path:
        return self.path / "trials" / key.task_id / key.arm / str(key.trial)

    def worktree_dir(self, key: TrialKey) -> Path:
        return self.path / "worktrees" / key.slug

    def write_run_json(self, data: dict[str, Any]) -> None:
        """Write run.json atomically."""
        self.path.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.run_json_path, data)

    def read_run_json(self) -> dict[str, Any] | None:
        if not self.run_json_path.exists():
            return None
        try:
            return json.loads(self.run_json_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=self.run_json_path, line=exc.lineno) from None

    def append_result(self, record: TrialRecord) -> None:
        """Append one finished trial's record to the journal."""
        append_record(self.results_path, record)

    def read_results(self) -> list[TrialRecord]:
        """All records in file order (see record/journal.py)."""
        return read_journal(self.results_path)

    def repair_journal(self) -> int:
        """Cut a torn last line off the journal (see record/journal.py)."""
        return repair_journal(self.results_path)

    def final_records(self) -> dict[TrialKey, TrialRecord]:
        """The record that counts for each finished trial (interrupted trials have none)."""
        return {TrialKey(r.task_id, r.arm, int(r.trial or 0)): r for r in final_records(self.read_results())}

    def finished_keys(self) -> set[TrialKey]:
        """Trials with a final record (interrupted ones are not final: resume runs them again)."""
        return set(self.final_records())


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp file and rename it over the target."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class RunLock:
    """An exclusive lock on a run folder held by the orchestrator while it runs (POSIX flock; released by
    the kernel when the process dies, even by SIGKILL), so a resume never races a live run."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK
        self._handle: Any = None

    def acquire(self) -> None:
        """Take the lock or raise InputError naming the pid that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            import fcntl
        except ImportError:  # Windows: no advisory lock; best effort
            self._handle = handle
            return
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise InputError(f"another popkit-bench (pid {holder}) is running this run folder", file=self.path.parent,
                             expected="wait for it to finish or stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
