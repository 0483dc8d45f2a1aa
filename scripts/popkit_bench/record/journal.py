"""results.jsonl: the one writer, the one reader, and the one rule for which record counts for a trial.

The journal is append-only; each finished trial appends one line, flushed and fsync'ed. A line torn by a
killed writer is cut off (kept in results.jsonl.torn) before the next append; any other bad line is an
InputError naming the file and line.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Hashable, Sequence
from pathlib import Path

from popkit_bench.errors import InputError
from popkit_bench.record.journal_text import journal_text
from popkit_bench.record.plain import PlainError
from popkit_bench.record.trial_record import TrialRecord

RESULTS = "results.jsonl"
TORN = "results.jsonl.torn"

_append_lock = threading.Lock()


def append_record(path: Path, record: TrialRecord) -> None:
    """Append one record as a single line, flushed to disk."""
    line = json.dumps(record.to_json(), sort_keys=True, allow_nan=False) + "\n"
    with _append_lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def read_journal(path: Path) -> list[TrialRecord]:
    """Every record in file order; a torn last line (a killed writer) is skipped, other bad lines raise."""
    if not path.exists():
        return []
    text = journal_text(path)  # InputError with the line of the first non-UTF-8 byte; a torn tail is kept
    lines = text.split("\n")
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            is_last = all(not rest.strip() for rest in lines[number:])
            if is_last and not line.endswith("}"):
                continue  # torn write of a killed process; that trial has no final record
            raise InputError(f"invalid JSON: {exc.msg}", file=path, line=number) from None
        records.append(parse_record(data, file=path, line=number))
    return records


def parse_record(data: object, *, file: Path | str | None = None, line: int | None = None) -> TrialRecord:
    """A typed record from one parsed line; InputError naming file, line and field otherwise."""
    if not isinstance(data, dict):
        raise InputError("each line must be a JSON object (a trial record)", file=file, line=line)
    for name in ("task_id", "arm"):
        if not isinstance(data.get(name), str) or not data.get(name):
            raise InputError("missing or empty", file=file, line=line, field=name, expected="a non-empty string")
    try:
        return TrialRecord.from_json(data)
    except PlainError as exc:
        raise InputError(str(exc).split(": ", 1)[-1], file=file, line=line, field=exc.path,
                         expected="a trial record as in docs/schema/trial-record.schema.json") from None


def counting_indices(entries: Sequence[tuple[Hashable, bool]]) -> list[int]:
    """The one rule for which record counts for a trial, over (trial key, is final) in file order: the
    trial's last final record, else its last record (e.g. interrupted). Returns indices in file order."""
    chosen: dict[Hashable, int] = {}
    for index, (key, final) in enumerate(entries):
        previous = chosen.get(key)
        if previous is None or final or not entries[previous][1]:
            chosen[key] = index
    return sorted(chosen.values())


def counting_records(records: Sequence[TrialRecord]) -> list[TrialRecord]:
    """The record that counts for each trial (counting_indices); records without a trial number count alone."""
    entries = [(r.key if r.trial is not None else ("#", index), r.is_final) for index, r in enumerate(records)]
    return [records[i] for i in counting_indices(entries)]


def final_records(records: Sequence[TrialRecord]) -> list[TrialRecord]:
    """The counting records that end their trial (what resume skips)."""
    return [r for r in counting_records(records) if r.is_final]


def repair_journal(path: Path) -> int:
    """Make results.jsonl end with a newline before appending: a torn last line goes to results.jsonl.torn,
    a complete last line without its newline gets one. Returns the number of bytes cut off."""
    if not path.exists():
        return 0
    with _append_lock, open(path, "rb+") as handle:
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
            with open(path.with_name(TORN), "ab") as torn:
                torn.write(tail + b"\n")
            handle.truncate(cut)
            cut_bytes = len(tail)
        handle.flush()
        os.fsync(handle.fileno())
        return cut_bytes


def read_journal_json(path: Path) -> list[dict]:
    """Every record as plain JSON data with every field present (for the readers that work on JSON)."""
    return [record.to_json() for record in read_journal(path)]
