"""QUERIES.json: `[{"query": "...", "should_trigger": true|false}, ...]` (skill-creator's trigger-eval format).

Also accepted: `{"evals": [...]}` and `prompt` instead of `query`; an optional `id` names a query; other keys
(notes) are kept out of the way.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popkit_bench.errors import InputError
from popkit_bench.skill.jsonio import read_json

EXPECTED = 'a list of {"query": "...", "should_trigger": true|false}'
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # ids name folders: no path separators


@dataclass(frozen=True)
class TriggerQuery:
    """One query: its id (given, else q01, q02, ...), text and whether the skill should be used."""

    id: str
    query: str
    should_trigger: bool


def load_queries(path: str | Path) -> list[TriggerQuery]:
    """Read and validate QUERIES.json (InputError naming file, line, field and what was expected)."""
    path = Path(path).resolve()
    data, text = read_json(path)
    return parse_queries(data, text, path)


def _line(text: str, index: int) -> int | None:
    """Line where the `index`-th object of the query list starts (JSON strings skipped), best effort."""
    depth, count, in_string, escaped = 0, -1, False, False
    item_depth = 2 if text.lstrip().startswith("{") else 1  # inside {"evals": [...]} or a bare [...]
    for pos, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            if char == "{" and depth == item_depth:
                count += 1
                if count == index:
                    return text.count("\n", 0, pos) + 1
            depth += 1
        elif char in "]}":
            depth -= 1
    return None


def parse_queries(data: Any, text: str, path: Path) -> list[TriggerQuery]:
    """Validate decoded QUERIES.json data; `text` points errors at lines."""
    if isinstance(data, dict) and isinstance(data.get("evals"), list):
        data = data["evals"]
    if not isinstance(data, list) or not data:
        raise InputError("must be a non-empty list of queries", file=path, expected=EXPECTED)
    out: list[TriggerQuery] = []
    for index, item in enumerate(data):
        where, line = f"[{index}]", _line(text, index)
        if not isinstance(item, dict):
            raise InputError("each query must be an object", file=path, line=line, field=where, expected=EXPECTED)
        query = item.get("query", item.get("prompt"))
        if not isinstance(query, str) or not query.strip():
            raise InputError("missing or empty 'query'", file=path, line=line, field=f"{where}.query",
                             expected="the user's message as a non-empty string")
        flag = item.get("should_trigger")
        if not isinstance(flag, bool):
            raise InputError(f"'should_trigger' must be true or false, got {flag!r}", file=path, line=line,
                             field=f"{where}.should_trigger", expected="true or false")
        qid = item.get("id", f"q{index + 1:02d}")
        if isinstance(qid, bool) or not isinstance(qid, (str, int)) or not ID_RE.match(str(qid)):
            raise InputError(f"invalid id {qid!r}", file=path, line=line, field=f"{where}.id",
                             expected="letters, digits, '.', '_', '-' (up to 64, not starting with '.')")
        qid = str(qid)
        if any(q.id == qid for q in out):
            raise InputError(f"duplicate id {qid!r}", file=path, line=line, field=f"{where}.id",
                             expected="a unique id per query")
        out.append(TriggerQuery(qid, query, flag))
    return out


def split_holdout(queries: list[TriggerQuery], fraction: float, seed: int) -> dict[str, list[TriggerQuery]]:
    """`{"tune": [...], "holdout": [...]}`: a seeded split, stratified by should_trigger.

    Of each class, fraction x its size (rounded half up) queries go to the holdout part (file order kept).
    """
    rng = random.Random(seed)
    held: set[str] = set()
    for flag in (True, False):
        ids = [q.id for q in queries if q.should_trigger is flag]
        rng.shuffle(ids)
        held.update(ids[:int(fraction * len(ids) + 0.5)])
    return {"tune": [q for q in queries if q.id not in held], "holdout": [q for q in queries if q.id in held]}
