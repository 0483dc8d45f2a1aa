"""Read JSON input files with errors that name the file and line; write JSON output files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError, read_input_text
from popkit_bench.record.rundir import write_json_atomic


def read_json(path: Path) -> tuple[Any, str]:
    """(data, text) of a JSON file; InputError with file and line when it cannot be read or parsed."""
    text = read_input_text(path, "JSON file")
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None


def line_of(text: str, key: str, start: int = 0) -> int | None:
    """1-based line of the first `"key":` at or after character `start` (a best-effort pointer)."""
    match = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, start)
    return text.count("\n", 0, match.start()) + 1 if match else None


def write_json(path: Path, data: Any) -> None:
    """Write pretty JSON atomically (temp file + rename); NaN is refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, data)
