"""Errors the CLI turns into exit codes and one clear message (never a traceback)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INSUFFICIENT_DATA = 3
EXIT_INTERRUPTED = 130


class BenchError(Exception):
    """Base class: an error with a user-facing message and an exit code."""

    exit_code = EXIT_BAD_INPUT


class InputError(BenchError):
    """Bad input: a file, field or argument that is not what was expected (exit 2)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        line: int | None = None,
        expected: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.line = line
        self.expected = expected
        self.detail = message
        super().__init__(self.render())

    def render(self) -> str:
        """One line: `file:line: field: message (expected ...)`."""
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        field = f"field '{self.field}': " if self.field else ""
        expected = f" (expected {self.expected})" if self.expected else ""
        return f"{where}{field}{self.detail}{expected}"


class InsufficientDataError(BenchError):
    """Too little data for an analysis (exit 3)."""

    exit_code = EXIT_INSUFFICIENT_DATA


def read_input_text(path: Path, kind: str = "file") -> str:
    """Read a UTF-8 input file; InputError (file not found, a folder, not UTF-8) instead of a traceback."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except IsADirectoryError:
        raise InputError(f"is a folder, not a {kind}", file=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=path) from None


def is_positive_number(value: Any) -> bool:
    """True for a finite number > 0 (not a bool): NaN and infinity, which YAML's `.nan`/`.inf` and
    JSON's `NaN`/`Infinity` produce, are not valid seconds, counts or limits."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def is_nonnegative_number(value: Any) -> bool:
    """True for a finite number >= 0 (not a bool)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)
