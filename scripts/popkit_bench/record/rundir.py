"""The run folder: run.json, results.jsonl (append-only journal, the source of truth) and trial folders."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.planning.plan import TrialKey

RESULTS = "results.jsonl"
RUN_JSON = "run.json"
TORN = "results.jsonl.torn"  # torn tails cut off the journal by repair_journal (kept for the record)
LOCK = ".orchestrator.lock"
FINAL_STATUSES = ("completed", "failed", "timeout", "error", "contaminated")


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
        self._lock = threading.Lock()

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

    def append_result(self, record: dict[str, Any]) -> None:
        """Append one finished trial's record as a single line, flushed to disk."""
        line = json.dumps(record, sort_keys=True, allow_nan=False) + "\n"
        with self._lock:
            self.path.mkdir(parents=True, exist_ok=True)
            with open(self.results_path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())

    def read_results(self) -> list[dict[str, Any]]:
        """All records; a truncated last line (a killed writer) is ignored, other bad lines are errors."""
        return read_results_file(self.results_path)

    def repair_journal(self) -> int:
        """Make results.jsonl end with a newline before appending: a torn last line (a writer killed
        mid-line) is moved to results.jsonl.torn, a complete last line without its newline gets one.
        Returns the number of bytes cut off."""
        path = self.results_path
        if not path.exists():
            return 0
        with self._lock, open(path, "rb+") as handle:
            data = handle.read()
            if not data or data.endswith(b"\n"):
                return 0
            cut = data.rfind(b"\n") + 1
            tail = data[cut:]
            try:
                complete = isinstance(json.loads(tail), dict)
            except ValueError:
                complete = False
            if complete:
                handle.write(b"\n")
                cut_bytes = 0
            else:
                with open(self.path / TORN, "ab") as torn:
                    torn.write(tail + b"\n")
                handle.truncate(cut)
                cut_bytes = len(tail)
            handle.flush()
            os.fsync(handle.fileno())
            return cut_bytes

    def final_records(self) -> dict[TrialKey, dict[str, Any]]:
        """The last final record of each trial (what analysis sees; interrupted records are superseded)."""
        out: dict[TrialKey, dict[str, Any]] = {}
        for record in self.read_results():
            if record.get("status") in FINAL_STATUSES:
                out[TrialKey(record["task_id"], record["arm"], int(record["trial"]))] = record
        return out

    def finished_keys(self) -> set[TrialKey]:
        """Trials with a final record (interrupted ones are not final: resume runs them again)."""
        return set(self.final_records())


def read_results_file(path: Path) -> list[dict[str, Any]]:
    """Parse a results.jsonl; skip a truncated final line; raise InputError naming the line otherwise."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            is_last = all(not rest.strip() for rest in lines[number:])
            if is_last and not line.endswith("}"):
                continue  # torn write of a killed process; that trial has no final record
            raise InputError(f"invalid JSON: {exc.msg}", file=path, line=number) from None
        if not isinstance(record, dict):
            raise InputError("each line must be a JSON object", file=path, line=number)
        records.append(record)
    return records


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
