"""Read a results.jsonl as text, or refuse it clearly: a binary or non-UTF-8 journal is bad input (exit 2).

`record/journal.read_journal` reads the journal through `journal_text`; `check_journal` lets a command refuse
a bad journal before it starts anything (run, demo and --resume do). A torn last line (a writer killed mid-line, possibly mid-character) is not an error: it is decoded with
replacement characters and left to the journal parser, which skips or repairs torn tails.
"""

from __future__ import annotations

from pathlib import Path

from popkit_bench.errors import InputError

EXPECTED = "a results.jsonl journal: UTF-8 text, one JSON object per line"


def journal_text(path: Path) -> str:
    """The journal's text; InputError naming the file, line and byte when it is not UTF-8 text."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError("is a folder, not a results journal", file=path, expected=EXPECTED) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        tail_start = data.rfind(b"\n") + 1
        if exc.start >= tail_start and not data.endswith(b"\n"):
            return data[:tail_start].decode("utf-8") + data[tail_start:].decode("utf-8", errors="replace")
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not a text journal: byte {exc.start} (0x{data[exc.start]:02x}) on this line is not UTF-8; "
            "the file is binary or corrupted",
            file=path, line=line, expected=EXPECTED,
        ) from None


def check_journal(path: Path) -> None:
    """Raise InputError when an existing journal is not UTF-8 text (a missing one is fine)."""
    if path.exists():
        journal_text(path)
