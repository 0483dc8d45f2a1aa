"""A results journal that is not UTF-8 text is refused with its line; a torn last line cut in the middle of
a character (a writer killed mid-write) is not an error: the record before it still counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from records import build_record

from popkit_bench.errors import InputError
from popkit_bench.record.journal import read_journal


def test_torn_tail_cut_inside_a_character_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    whole = json.dumps(build_record("t", "baseline", 1, status="completed", final_answer="café"))
    torn = json.dumps(build_record("t", "baseline", 2, status="completed", final_answer="é" * 10), ensure_ascii=False).encode()
    path.write_bytes(whole.encode() + b"\n" + torn[: torn.index("é".encode()) + 1])  # half of a 2-byte char
    records = read_journal(path)
    assert [r.trial for r in records] == [1] and records[0].final_answer == "café"


def test_binary_line_in_the_middle_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    good = json.dumps(build_record("t", "baseline", 1, status="completed")).encode()
    path.write_bytes(good + b"\n" + good + b"\n\xff\xfe\x00garbage\n" + good + b"\n")
    with pytest.raises(InputError) as caught:
        read_journal(path)
    message = str(caught.value)
    assert "results.jsonl:3" in message and "not UTF-8" in message and "0xff" in message
